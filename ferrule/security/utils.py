"""Helpers shared by the security schemes."""

from __future__ import annotations

__all__ = ["get_authorization_scheme_param"]


def get_authorization_scheme_param(authorization_header_value: str | None) -> tuple[str, str]:
    """Split an ``Authorization`` value into ``(scheme, credentials)``.

    ``"Bearer abc"`` gives ``("Bearer", "abc")``; a missing or empty header
    gives ``("", "")`` (RFC 9110 §11.6.2: ``credentials = auth-scheme [ 1*SP ... ]``).
    """
    if not authorization_header_value:
        return "", ""
    scheme, _, param = authorization_header_value.partition(" ")
    return scheme, param.strip()
