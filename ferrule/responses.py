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


_USE_JSON_RESPONSE = (
    " is deprecated (as in FastAPI): with a return type or response_model, "
    "the JSON bytes come straight from pydantic, which is faster; use JSONResponse"
)


# COMPAT(fastapi): FastAPI's orjson and ujson responses. ferrule's JSON is already
# pydantic-core; both are deprecated as in FastAPI: creating one warns FastAPIDeprecationWarning.
@deprecated("ORJSONResponse" + _USE_JSON_RESPONSE, category=FastAPIDeprecationWarning)
class ORJSONResponse(JSONResponse):
    """Deprecated: a plain ``JSONResponse`` under FastAPI's orjson response name."""


@deprecated("UJSONResponse" + _USE_JSON_RESPONSE, category=FastAPIDeprecationWarning)
class UJSONResponse(JSONResponse):
    """Deprecated: a plain ``JSONResponse`` under FastAPI's ujson response name."""


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
