"""Import the check modules in the matrix's row order (registration order is row order)."""

from __future__ import annotations

from . import checks_scope as checks_scope  # noqa: I001 - order matters: rows
from . import checks_body as checks_body
from . import checks_response as checks_response
from . import checks_stream as checks_stream
from . import checks_ws as checks_ws
from . import checks_ext as checks_ext
from . import checks_lifespan as checks_lifespan

__all__ = ["checks_body", "checks_ext", "checks_lifespan", "checks_response", "checks_scope", "checks_stream", "checks_ws"]
