"""Jinja2 templates (FastAPI's ``fastapi.templating``).

``pip install "ferrule[templates]"`` adds jinja2; importing this module without
it raises an ``ImportError`` that says so. Rules:

* ``TemplateResponse(request, name, context)`` renders ``name`` with ``context``
  plus ``request``; the context processors' results are merged in first, so the
  caller's context wins.
* Templates get ``url_for(name, **path_params)``, the absolute URL of a route
  (``request.url_for``), as Starlette's do.
* The legacy form ``TemplateResponse(name, {"request": request, ...})`` still
  works and warns ``DeprecationWarning``, as in FastAPI.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ferrule.asgi_core.background import BackgroundTask
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.response import HTMLResponse

try:
    import jinja2
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test in a subprocess
    raise ImportError(
        "ferrule.templating needs jinja2: install it with `pip install \"ferrule[templates]\"` "
        "(or `pip install jinja2`)"
    ) from exc

__all__ = ["Jinja2Templates"]

ContextProcessor = Callable[[Request], Mapping[str, Any]]


class _TemplateResponse(HTMLResponse):
    """An HTML response that keeps the template and context it was rendered from (for tests)."""

    def __init__(
        self,
        template: Any,
        context: dict[str, Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.template = template
        self.context = context
        super().__init__(template.render(context), status_code, headers, media_type, background)


@jinja2.pass_context
def _url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> Any:
    return context["request"].url_for(name, **path_params)


class Jinja2Templates:
    """Render Jinja2 templates into HTML responses.

    Args:
        directory: a folder (or several) to load templates from; give this or ``env``.
        context_processors: callables ``(request) -> dict`` whose results every template gets.
        env: a ready ``jinja2.Environment`` (its loader is used as is).

    Raises:
        ValueError: neither or both of ``directory`` and ``env`` given.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
        *,
        context_processors: list[ContextProcessor] | None = None,
        env: jinja2.Environment | None = None,
    ) -> None:
        if (directory is None) == (env is None):
            raise ValueError(
                "Jinja2Templates needs exactly one of `directory` (a template folder) "
                "or `env` (a jinja2.Environment)"
            )
        self.context_processors = list(context_processors or [])
        if env is None:
            env = jinja2.Environment(loader=jinja2.FileSystemLoader(directory), autoescape=True)  # type: ignore[arg-type]
        env.globals.setdefault("url_for", _url_for)
        self.env = env

    def get_template(self, name: str) -> jinja2.Template:
        return self.env.get_template(name)

    def TemplateResponse(self, *args: Any, **kwargs: Any) -> _TemplateResponse:  # noqa: N802 - FastAPI's name
        """``TemplateResponse(request, name, context=None, status_code=200, headers=None,
        media_type=None, background=None)``: render ``name`` into an HTML response."""
        if args and not isinstance(args[0], Request):
            # COMPAT(fastapi): the old (name, context) order, request inside the context.
            warnings.warn(
                "The `name` is not the first parameter anymore. The first parameter should be "
                "the `Request` instance.\nReplace `TemplateResponse(name, {\"request\": request})` "
                "by `TemplateResponse(request, name)`.",
                DeprecationWarning,
                stacklevel=2,
            )
            names: tuple[str, ...] = ("name", "context", "status_code", "headers", "media_type", "background")
        else:
            names = ("request", "name", "context", "status_code", "headers", "media_type", "background")
        if len(args) > len(names):
            raise TypeError(f"TemplateResponse() takes at most {len(names)} positional arguments")
        for key, value in zip(names, args):
            if key in kwargs:
                raise TypeError(f"TemplateResponse() got multiple values for {key!r}")
            kwargs[key] = value
        context: dict[str, Any] = dict(kwargs.get("context") or {})
        request = kwargs.get("request") or context.get("request")
        if not isinstance(request, Request):
            raise ValueError("TemplateResponse() needs the request: TemplateResponse(request, name, context)")
        if "name" not in kwargs:
            raise TypeError("TemplateResponse() needs the template name: TemplateResponse(request, name, context)")
        merged: dict[str, Any] = {}
        for processor in self.context_processors:
            merged.update(processor(request))
        merged.update(context)
        merged.setdefault("request", request)
        return _TemplateResponse(
            self.get_template(kwargs["name"]),
            merged,
            status_code=kwargs.get("status_code", 200),
            headers=kwargs.get("headers"),
            media_type=kwargs.get("media_type"),
            background=kwargs.get("background"),
        )
