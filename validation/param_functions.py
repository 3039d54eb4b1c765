"""The functions users call to declare parameters: ``Query()``, ``Path()``, ...

Each returns the marker of the same name from ``params`` (typed ``Any`` so
``q: int = Query(3)`` type-checks, as in FastAPI). ``Depends``/``Security``
live in ``ferrule.di.markers``.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import Unpack

from . import params
from .params import FieldOptions, Undefined

__all__ = ["Body", "Cookie", "File", "Form", "Header", "Path", "Query"]


def Path(default: Any = ..., **options: Unpack[FieldOptions]) -> Any:  # noqa: N802
    """Declare a path parameter (always required).

    Args:
        default: must be left out (or ``...``): a path parameter has no default.
        **options: validation and OpenAPI options (see ``FieldOptions``).
    """
    return params.Path(default, **options)


def Query(default: Any = Undefined, **options: Unpack[FieldOptions]) -> Any:  # noqa: N802
    """Declare a query parameter.

    Args:
        default: the value used when the key is absent (required when left out).
        **options: validation and OpenAPI options (see ``FieldOptions``).
    """
    return params.Query(default, **options)


def Header(  # noqa: N802
    default: Any = Undefined,
    *,
    convert_underscores: bool = True,
    **options: Unpack[FieldOptions],
) -> Any:
    """Declare a header parameter.

    Args:
        default: the value used when the header is absent (required when left out).
        convert_underscores: read ``user_agent`` from the ``user-agent`` header.
        **options: validation and OpenAPI options (see ``FieldOptions``).
    """
    return params.Header(default, convert_underscores=convert_underscores, **options)


def Cookie(default: Any = Undefined, **options: Unpack[FieldOptions]) -> Any:  # noqa: N802
    """Declare a cookie parameter.

    Args:
        default: the value used when the cookie is absent (required when left out).
        **options: validation and OpenAPI options (see ``FieldOptions``).
    """
    return params.Cookie(default, **options)


def Body(  # noqa: N802
    default: Any = Undefined,
    *,
    embed: bool | None = None,
    media_type: str = "application/json",
    **options: Unpack[FieldOptions],
) -> Any:
    """Declare a (JSON) body parameter.

    Args:
        default: the value used when the body (or its key) is absent.
        embed: expect ``{"<name>": value}`` even for a single body parameter.
        media_type: the media type OpenAPI documents.
        **options: validation and OpenAPI options (see ``FieldOptions``).
    """
    return params.Body(default, embed=embed, media_type=media_type, **options)


def Form(  # noqa: N802
    default: Any = Undefined,
    *,
    media_type: str = "application/x-www-form-urlencoded",
    **options: Unpack[FieldOptions],
) -> Any:
    """Declare a form field.

    Args:
        default: the value used when the field is absent or empty.
        media_type: the media type OpenAPI documents.
        **options: validation and OpenAPI options (see ``FieldOptions``).
    """
    return params.Form(default, media_type=media_type, **options)


def File(  # noqa: N802
    default: Any = Undefined,
    *,
    media_type: str = "multipart/form-data",
    **options: Unpack[FieldOptions],
) -> Any:
    """Declare an uploaded file (``bytes`` or ``UploadFile``).

    Args:
        default: the value used when no file was sent.
        media_type: the media type OpenAPI documents.
        **options: validation and OpenAPI options (see ``FieldOptions``).
    """
    return params.File(default, media_type=media_type, **options)
