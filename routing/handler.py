"""An ``APIRoute``'s request path: the route handler and the steps around it.

COMPAT(fastapi) "Custom Request and APIRoute class": ``APIRoute.get_route_handler()``
returns ``async def handler(request) -> Response``, and a route class may override
it to wrap the default one (give it a ``Request`` subclass that decompresses the
body, catch ``RequestValidationError`` and answer its own body, time the request
and add a header). Whatever it returns is what the route calls.

Theory of operation (``APIRoute.handle``, one path for every route):

1. build the ``Request`` (with ``body_timeout``, its ``receive`` is timed);
2. put the request's exit stack in the scope (``REQUEST_STACK``): the default
   handler finds it there even when a wrapping handler passes it another
   ``Request`` object, since both share the scope (FastAPI keeps its stacks in
   the scope for the same reason);
3. ``response = await handler(request)`` (with ``response_timeout``, inside a
   cancel scope: see ``timeouts.py``);
4. send the response, then unwind the exit stack: request-scoped ``yield``
   dependencies, then the uploads of the parsed form body (pushed first, so
   closed last, as FastAPI does), with the exception if one was raised;
5. a ``RequestValidationError`` that got this far is answered right there when
   the app keeps FastAPI's default handler (``keeps_default_422``).

The default handler (``EndpointHandler``) is ``plan.solve`` (validate, run the
dependencies, call the endpoint) and then the route's responder.

PERF: the one fast path is ``EndpointHandler.direct_lane``: for an endpoint with
nothing to inject or tear down (``EndpointPlan.direct``) whose route uses the
default handler, the route's ``handle`` is a lane that validates, calls and
responds with no exit stack, solve context or handler coroutine (and no
``Request`` at all for an endpoint without parameters). Interleaved in-process
A/B, lane vs the general path: hello 4.6 vs 7.4 us, query 10.7 vs 12.5, body
15.6 vs 19.4, error422 17.9 vs 25.7.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from time import perf_counter
from typing import Any, Final, Protocol, TypeGuard

from anyio import CapacityLimiter

from ferrule.asgi_core.request import Request
from ferrule.asgi_core.response import Response
from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send
from ferrule.di import AppScope, DependencyOverrides, EndpointPlan, SolveContext, StageObserver, TeardownStack
from ferrule.validation.errors import (
    RequestValidationError,
    ValidationException,
    request_validation_exception_handler,
)

from .responder import Responder

__all__ = [
    "REQUEST_STACK",
    "EndpointHandler",
    "RouteHandler",
    "RouteProvider",
    "keeps_default_422",
    "locate_error",
]

RouteHandler = Callable[[Request], Awaitable[Response]]
"""What ``APIRoute.get_route_handler()`` returns (FastAPI's contract)."""

REQUEST_STACK: Final = "ferrule.request_stack"
"""The scope key of the request's exit stack (set by ``APIRoute.handle``)."""


class RouteProvider(Protocol):
    """What a route reads from the app (or the standalone ``APIRouter``) that owns it."""

    @property
    def dependency_overrides(self) -> DependencyOverrides | None: ...

    @property
    def app_scope(self) -> AppScope | None: ...

    @property
    def stage_observer(self) -> StageObserver | None: ...

    @property
    def thread_limiter(self) -> CapacityLimiter | None: ...

    @property
    def exception_handlers(self) -> Mapping[Any, Any]: ...


def locate_error(exc: ValidationException, scope: Scope, path: str) -> None:
    """Give ``exc`` the request's ``METHOD <mount prefix><route path>`` (FastAPI's endpoint path).

    COMPAT(fastapi): the context names the method of the request (not every method of
    the route) and the ``root_path`` of a mounted sub-app. Only on the error path.
    """
    ctx = exc.endpoint_ctx
    if ctx is None:
        return
    method_path = f"{scope.get('method', 'WS')} {scope.get('root_path', '').rstrip('/')}{path}"
    if ctx.method_path != method_path:
        exc.endpoint_ctx = dataclasses.replace(ctx, method_path=method_path)


def keeps_default_422(exc: BaseException, provider: RouteProvider | None) -> TypeGuard[RequestValidationError]:
    """Whether ``exc`` is a ``RequestValidationError`` that FastAPI's default handler answers.

    The caller then sends ``request_validation_exception_handler``'s 422 itself.
    PERF: the common 422 is answered where it is raised (same bytes as
    ExceptionMiddleware would send) instead of unwinding through the router and
    the middleware frames; bench ``error422``.
    """
    if not isinstance(exc, RequestValidationError) or provider is None:
        return False
    return provider.exception_handlers.get(RequestValidationError) is request_validation_exception_handler


class EndpointHandler:
    """The default route handler: ``await handler(request) -> Response`` (see the module docstring).

    Args:
        plan: the endpoint's compiled dependency plan.
        respond: the route's responder (result -> response).
        provider: the app (or router) whose observer, limiter and handlers apply.
        method_path: ``"METHOD /path"``, how the stage observer names the route.
    """

    __slots__ = ("plan", "respond", "provider", "method_path")

    def __init__(self, plan: EndpointPlan, respond: Responder, provider: RouteProvider | None, method_path: str) -> None:
        self.plan = plan
        self.respond = respond
        self.provider = provider
        self.method_path = method_path

    async def __call__(self, request: Request) -> Response:
        stack: TeardownStack | None = request.scope.get(REQUEST_STACK)
        if stack is None:
            raise RuntimeError(
                f"the route handler of {self.method_path} was called outside its route: call it from the "
                "handler your get_route_handler() returns, which the route calls with each request"
            )
        provider = self.provider
        observer = provider.stage_observer if provider is not None else None
        ctx = SolveContext(
            stack,
            observer=observer,
            limiter=provider.thread_limiter if provider is not None else None,
        )
        result = await self.plan.solve(request, ctx)
        if observer is None:
            return self.respond(result, ctx.response, ctx.background)
        start = perf_counter()
        response = self.respond(result, ctx.response, ctx.background)
        observer.on_stage(self.method_path, "serialize", perf_counter() - start)
        return response

    def direct_lane(self, general: ASGIApp, max_body_size: int | None, path: str) -> ASGIApp | None:
        """The fast path (see the module docstring), or None when the endpoint does not allow it.

        ``general`` is the route's one path, taken instead while a stage observer
        is set (it times every stage); ``path`` is the route's, for error contexts.
        """
        direct = self.plan.direct
        if direct is None or self.plan.is_generator_endpoint:
            return None
        validator, call, positional, keywords = direct
        respond = self.respond
        provider = self.provider
        reads_form = validator is not None and validator.body_is_form

        async def lane(scope: Scope, receive: Receive, send: Send) -> None:
            if provider is not None and provider.stage_observer is not None:
                await general(scope, receive, send)
                return
            if validator is None:  # no parameters: the responders need no request
                response = respond(await call(), None, None)
                await response(scope, receive, send)
                return
            request = Request(scope, receive, send, max_body_size=max_body_size)
            try:
                # PERF: no coroutine to await when there is no body to read.
                values = await validator.validate(request) if validator.needs_body else validator.validate_params(request)
                if positional:  # positional-only parameters (rare: FastAPI passes by keyword)
                    result = await call(*[values[i] for i in positional], **{n: values[i] for n, i in keywords})
                else:
                    result = await call(**{n: values[i] for n, i in keywords})
                await respond(result, None, None)(scope, receive, send)
            except RequestValidationError as exc:
                # PERF: FastAPI's default handler does not read the error's context:
                # it is located only when the error goes on (nothing else saw it here).
                if not keeps_default_422(exc, provider):
                    locate_error(exc, scope, path)
                    raise
                await (await request_validation_exception_handler(request, exc))(scope, receive, send)
            finally:
                if reads_form:
                    await request.close()  # uploads: shielded, so a cancelled request deletes them too

        return lane
