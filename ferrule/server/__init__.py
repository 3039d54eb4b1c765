"""ferrule's development server: anyio + h11, HTTP/1.1 and WebSockets (RFC 6455).

`serve(app, config)` runs inside an event loop you own; `run(app, **options)`
owns the loop (and the process, with `reload=True`). The server imports
nothing above `asgi_core`: any ASGI 3 app works.
"""

from .config import ServerConfig as ServerConfig
from .config import ServerConfigError as ServerConfigError
from .importer import AppImportError as AppImportError
from .importer import import_app as import_app
from .lifespan import LifespanFailure as LifespanFailure
from .serve import run as run
from .serve import serve as serve
from .state import ClientDisconnected as ClientDisconnected

__all__ = [
    "AppImportError",
    "ClientDisconnected",
    "LifespanFailure",
    "ServerConfig",
    "ServerConfigError",
    "import_app",
    "run",
    "serve",
]
