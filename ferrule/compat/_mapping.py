"""Which ferrule module stands in for each ``fastapi`` / ``starlette`` module.

``fastapi.X`` -> ``ferrule.X`` for every module ferrule has (the public-surface
test keeps them aligned); ``fastapi`` itself -> ``ferrule.compat.fastapi``
(ferrule's names plus FastAPI's ``__version__``).

The Starlette surface was chosen from what extensions import (slowapi,
fastapi-users, httpx-oauth, fastapi-pagination, Sentry's and OpenTelemetry's
integrations): requests, responses, datastructures, types, routing (``Match``,
``route.matches``), config, concurrency, background, exceptions, status,
websockets, applications (``Starlette``), staticfiles, templating, testclient
and the middleware modules. ``UNMAPPED`` lists what is deliberately not there.
"""

from __future__ import annotations

__all__ = ["FASTAPI_VERSION", "STARLETTE", "STARLETTE_VERSION", "UNMAPPED", "target"]

FASTAPI_VERSION = "0.165.0"
"""The FastAPI release whose public surface tests/compat checks ferrule against."""
STARLETTE_VERSION = "1.10.0"
"""The Starlette release that FastAPI release is built on."""

_OWN = "ferrule.compat.starlette"

STARLETTE: dict[str, str] = {
    "starlette": _OWN,
    "starlette.applications": _OWN + ".applications",
    "starlette.authentication": "",
    "starlette.background": "ferrule.background",
    "starlette.concurrency": "ferrule.concurrency",
    "starlette.config": _OWN + ".config",
    "starlette.datastructures": _OWN + ".datastructures",
    "starlette.exceptions": "ferrule.exceptions",
    "starlette.formparsers": "",
    "starlette.middleware": "ferrule.middleware",
    "starlette.middleware.authentication": "",
    "starlette.middleware.base": _OWN + ".middleware_base",
    "starlette.middleware.cors": "ferrule.middleware.cors",
    "starlette.middleware.errors": "ferrule.asgi_core.middleware.errors",
    "starlette.middleware.exceptions": "ferrule.asgi_core.middleware.exceptions",
    "starlette.middleware.gzip": "ferrule.middleware.gzip",
    "starlette.middleware.httpsredirect": "ferrule.middleware.httpsredirect",
    "starlette.middleware.sessions": "",
    "starlette.middleware.trustedhost": "ferrule.middleware.trustedhost",
    "starlette.middleware.wsgi": "ferrule.middleware.wsgi",
    "starlette.requests": "ferrule.requests",
    "starlette.responses": "ferrule.responses",
    "starlette.routing": _OWN + ".routing",
    "starlette.schemas": "",
    "starlette.staticfiles": "ferrule.staticfiles",
    "starlette.status": "ferrule.status",
    "starlette.templating": "ferrule.templating",
    "starlette.testclient": "ferrule.testclient",
    "starlette.types": _OWN + ".types",
    "starlette.websockets": "ferrule.websockets",
}

UNMAPPED: dict[str, str] = {
    "starlette.authentication": "Starlette's auth backends (requires, AuthCredentials); use ferrule.security and dependencies",
    "starlette.middleware.authentication": "as starlette.authentication",
    "starlette.middleware.sessions": "signed-cookie sessions (needs itsdangerous); not in ferrule",
    "starlette.formparsers": "Starlette's multipart parser classes; ferrule parses forms in ferrule.asgi_core.forms",
    "starlette.schemas": "Starlette's schema generator; ferrule builds OpenAPI in ferrule.openapi",
}


def target(fullname: str) -> str | None:
    """The ferrule module standing in for ``fullname``, or ``None`` when it is not mapped."""
    if fullname == "fastapi":
        return "ferrule.compat.fastapi"
    if fullname.startswith("fastapi."):
        import importlib.util

        name = "ferrule" + fullname[len("fastapi"):]
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            return None
        return name if found is not None else None
    return STARLETTE.get(fullname) or None
