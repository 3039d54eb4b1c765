"""``UploadFile`` as a type users can annotate parameters with.

``asgi_core.forms.UploadFile`` is what the form parser builds; ``asgi_core``
knows nothing of pydantic. This subclass adds the pydantic hooks: a value is
valid when it is any ``asgi_core`` ``UploadFile`` (the parser's objects are
passed through unchanged, as FastAPI does with Starlette's), and its JSON
Schema is FastAPI's binary string.
"""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

from ferrule.asgi_core.forms import UploadFile as _BaseUploadFile

__all__ = ["UploadFile"]


def _validate_upload(value: Any, _info: core_schema.ValidationInfo) -> Any:
    if not isinstance(value, _BaseUploadFile):
        # COMPAT(fastapi): the exact message of fastapi.UploadFile._validate.
        raise ValueError(f"Expected UploadFile, received: {type(value)}")
    return value


class UploadFile(_BaseUploadFile):
    """An uploaded file; annotate a ``File()`` parameter with it."""

    __slots__ = ()

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(_validate_upload)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {"type": "string", "contentMediaType": "application/octet-stream"}
