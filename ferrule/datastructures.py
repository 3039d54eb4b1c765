"""Data structures (FastAPI's ``fastapi.datastructures``)."""

from ferrule.asgi_core.forms import FormData as FormData
from ferrule.validation.uploads import UploadFile as UploadFile
from ferrule.asgi_core.headers import Headers as Headers
from ferrule.asgi_core.headers import MutableHeaders as MutableHeaders
from ferrule.asgi_core.state import State as State
from ferrule.asgi_core.url import URL as URL
from ferrule.asgi_core.url import QueryParams as QueryParams
from ferrule.routing.options import Default as Default
from ferrule.routing.options import DefaultPlaceholder as DefaultPlaceholder

__all__ = ["URL", "Default", "DefaultPlaceholder", "FormData", "Headers", "MutableHeaders", "QueryParams", "State", "UploadFile"]
