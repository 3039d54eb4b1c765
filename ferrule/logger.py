"""The framework's logger (FastAPI's ``fastapi.logger``): ``logging.getLogger("ferrule")``.

Areas log on children of it (``ferrule.routing``, ``ferrule.server``, ...), so
configuring this one configures them all.
"""

import logging

__all__ = ["logger"]

logger = logging.getLogger("ferrule")
