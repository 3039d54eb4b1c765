"""Response classes (FastAPI's ``fastapi.responses``)."""

from typing_extensions import deprecated

from ferrule.asgi_core.exceptions import FastAPIDeprecationWarning
from ferrule.asgi_core.fileresponse import FileResponse as FileResponse
from ferrule.asgi_core.response import HTMLResponse as HTMLResponse
from ferrule.asgi_core.response import JSONResponse as JSONResponse
from ferrule.asgi_core.response import PlainTextResponse as PlainTextResponse
from ferrule.asgi_core.response import RedirectResponse as RedirectResponse
from ferrule.asgi_core.response import Response as Response
from ferrule.streaming import EventSourceResponse as EventSourceResponse
from ferrule.streaming import StreamingResponse as StreamingResponse


@deprecated(
    "ORJSONResponse is deprecated (as in FastAPI): with a return type or response_model, "
    "the JSON bytes come straight from pydantic, which is faster; use JSONResponse",
    category=FastAPIDeprecationWarning,
)
class ORJSONResponse(JSONResponse):
    """COMPAT(fastapi): FastAPI's orjson response; ferrule's JSON is already pydantic-core.

    Deprecated as in FastAPI: creating one warns ``FastAPIDeprecationWarning``.
    """


@deprecated(
    "UJSONResponse is deprecated (as in FastAPI): with a return type or response_model, "
    "the JSON bytes come straight from pydantic, which is faster; use JSONResponse",
    category=FastAPIDeprecationWarning,
)
class UJSONResponse(JSONResponse):
    """COMPAT(fastapi): FastAPI's ujson response; ferrule's JSON is already pydantic-core.

    Deprecated as in FastAPI: creating one warns ``FastAPIDeprecationWarning``.
    """


__all__ = [
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "ORJSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "UJSONResponse",
]
