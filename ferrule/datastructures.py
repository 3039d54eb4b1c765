"""Data structures (FastAPI's ``fastapi.datastructures``)."""

from typing import TypeVar

from ferrule.asgi_core.forms import FormData as FormData
from ferrule.asgi_core.headers import Headers as Headers
from ferrule.asgi_core.headers import MutableHeaders as MutableHeaders
from ferrule.asgi_core.multidict import ImmutableMultiDict as ImmutableMultiDict
from ferrule.asgi_core.state import Address as Address
from ferrule.asgi_core.state import State as State
from ferrule.asgi_core.url import URL as URL
from ferrule.asgi_core.url import QueryParams as QueryParams
from ferrule.routing.options import Default as Default
from ferrule.routing.options import DefaultPlaceholder as DefaultPlaceholder
from ferrule.validation.uploads import UploadFile as UploadFile

DefaultType = TypeVar("DefaultType")

__all__ = [
    "URL",
    "Address",
    "Default",
    "DefaultPlaceholder",
    "DefaultType",
    "FormData",
    "Headers",
    "ImmutableMultiDict",
    "MutableHeaders",
    "QueryParams",
    "State",
    "UploadFile",
]
