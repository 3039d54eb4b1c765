"""The per-endpoint plan: the graph lowered to a frozen tuple of steps, and ``solve``.

Compile once (``compile_endpoint``, at startup):

1. ``graph.build_dependant`` analyses the endpoint and its dependencies.
2. The request parameters of the whole graph (pre-order, repeats skipped) go
   to ``validation.compile_request``: one validator, one call per request.
3. The graph is lowered to ``Step`` objects in topological (post-) order.
   Equal cache keys share one step (unless ``use_cache=False``), so a
   dependency runs at most once per request with no lookup at run time.
   ``scope="app"`` dependencies become one step reading the ``AppScope``.
4. A results list is preallocated: ``[validated params..., injected values
   (connection, sub-response, background tasks, security scopes)...,
   step results...]``.

Run many (``EndpointPlan.solve``, one path): check the overrides version (one
integer compare), copy the list, fill the injected values, validate, run the
steps, call the endpoint. When validation fails, the steps whose inputs are
all valid still run, in order, before the 422 is raised (FastAPI's order: a
401 wins over a 422; ``ErrorBlame`` maps the errors to parameters).
``function``-scoped teardowns run before ``solve`` returns; ``request``-scoped
ones are on ``ctx.request_stack``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from time import perf_counter
from typing import Any, Literal, NamedTuple, NoReturn

from ferrule.asgi_core.request import Request
from ferrule.asgi_core.websocket import WebSocket
from ferrule.validation.compile import RequestConfig, RequestValidator, compile_request
from ferrule.validation.errors import EndpointContext, ValidationException
from ferrule.validation.fields import ParamField

from .app_scope import AppScope
from .callables import CallKind
from .context import SolveContext
from .dependant import CacheKey, Dependant
from .graph import build_dependant
from .lowering import ENDPOINT_RUNNERS, Lowering
from .markers import Depends
from .overrides import DependencyOverrides
from .steps import SecurityScopesFiller, Step, run_async
from .teardown import TeardownStack

__all__ = ["EndpointPlan", "ErrorBlame", "compile_endpoint"]


class _Compiled:
    """Everything ``solve`` reads, built for one overrides version."""

    __slots__ = (
        "version",
        "dependant",
        "validator",
        "n_fields",
        "template",
        "conn_slot",
        "response_slot",
        "background_slot",
        "scopes_fillers",
        "steps",
        "endpoint",
        "function_stack",
        "injects",
        "blame",
    )

    def __init__(
        self, version: int, dependant: Dependant, validator: RequestValidator, lowering: Lowering, endpoint: Step
    ) -> None:
        self.version = version
        self.dependant = dependant
        self.validator = validator
        self.n_fields = len(validator.fields)
        self.template: list[Any] = [None] * lowering.size
        self.conn_slot = lowering.conn_slot
        self.response_slot = lowering.response_slot
        self.background_slot = lowering.background_slot
        self.scopes_fillers = tuple(
            SecurityScopesFiller(slot, scopes) for scopes, slot in lowering.scopes_slots.items()
        )
        self.steps = tuple(lowering.steps)
        self.endpoint = endpoint
        self.function_stack = lowering.has_function_stack
        # Anything to put in `values` besides validated params and step results.
        self.injects = bool(
            self.conn_slot >= 0
            or self.response_slot >= 0
            or self.background_slot >= 0
            or self.scopes_fillers
        )
        self.blame = ErrorBlame(validator.fields)


class ErrorBlame:
    """Which parameters a 422's errors make unusable, and so which steps can still run.

    Each location (path, query, header, cookie, body) is one validation: when
    one of its parameters is invalid, none of its values exist, so every
    parameter of a location named by an error (``loc[0]``) is unusable, and
    every parameter when an error names no known location. A dependency is
    skipped, never run on a missing value.

    COMPAT(fastapi): FastAPI validates each parameter on its own, so it still
    runs a dependency whose query parameter is valid while another query
    parameter is invalid; ferrule skips it. Dependencies that take no request
    parameter, or only parameters of other locations (an ``Authorization``
    header while the body is invalid), run as in FastAPI.
    """

    __slots__ = ("n_fields", "by_location")

    def __init__(self, fields: Sequence[ParamField]) -> None:
        self.n_fields = len(fields)
        self.by_location: dict[str, list[int]] = {}
        for index, field in enumerate(fields):
            self.by_location.setdefault(field.location.value, []).append(index)

    def failed(self, errors: Sequence[Any]) -> set[int]:
        """The slots of the parameters that have no valid value after ``errors``."""
        failed: set[int] = set()
        for error in errors:
            loc = error.get("loc") or ()
            fields = self.by_location.get(loc[0]) if loc else None
            if fields is None:
                return set(range(self.n_fields))
            failed.update(fields)
        return failed

    def runnable(self, steps: Sequence[Step], errors: Sequence[Any]) -> list[Step]:
        """``steps`` (in order) whose inputs, directly or through other steps, are all valid."""
        tainted = self.failed(errors)
        runnable: list[Step] = []
        for step in steps:  # topological order: arguments are known before their users
            sources = (*step.positional, *(index for _, index in step.keywords))
            if any(index in tainted for index in sources):
                tainted.add(step.out)
            else:
                runnable.append(step)
        return runnable


class DirectCall(NamedTuple):
    """See ``EndpointPlan.direct``: ``values = validator(conn)`` (none when there
    are no parameters), then ``await call(*values[positional], **keywords)``."""

    validator: RequestValidator | None
    call: Callable[..., Awaitable[Any]]
    positional: tuple[int, ...]
    keywords: tuple[tuple[str, int], ...]


class EndpointPlan:
    """The compiled dependency plan of one endpoint (see the module docstring).

    Attributes:
        call: the endpoint.
        endpoint_ctx: the route, for errors and the timing hook.
        is_generator_endpoint: the endpoint is a (async) generator function;
            ``solve`` returns the generator without iterating it.
        is_async: the endpoint is a coroutine or async generator function.
    """

    __slots__ = (
        "call",
        "endpoint_ctx",
        "is_generator_endpoint",
        "is_async",
        "route",
        "_path_param_names",
        "_dependencies",
        "_overrides",
        "_request_config",
        "_kind",
        "_app_scope",
        "_compiled",
    )

    def __init__(
        self,
        call: Callable[..., Any],
        *,
        path_param_names: frozenset[str],
        dependencies: Sequence[Depends],
        overrides: DependencyOverrides | None,
        request_config: RequestConfig,
        endpoint_ctx: EndpointContext,
        kind: Literal["http", "websocket"],
        app_scope: AppScope | None,
    ) -> None:
        if overrides is not None and not isinstance(overrides, DependencyOverrides):
            raise TypeError(
                f"overrides must be a DependencyOverrides (app.dependency_overrides), got "
                f"{type(overrides).__name__}; a plain dict cannot tell compiled plans that it changed"
            )
        self.call = call
        self.endpoint_ctx = endpoint_ctx
        self.route = endpoint_ctx.method_path or endpoint_ctx.function
        self._path_param_names = path_param_names
        self._dependencies = tuple(dependencies)
        self._overrides = overrides
        self._request_config = request_config
        self._kind = kind
        self._app_scope = app_scope
        self._compiled = self._compile()
        endpoint_kind = self._compiled.dependant.kind
        self.is_generator_endpoint = endpoint_kind.is_generator
        self.is_async = endpoint_kind in (CallKind.ASYNC, CallKind.ASYNC_GENERATOR)

    @property
    def direct(self) -> DirectCall | None:
        """The endpoint and its arguments when solving is just "validate, then
        ``await endpoint(...)``", else None.

        That is an async endpoint with no dependency, injection or teardown, so
        no override can change its plan either. PERF: the route then skips the
        solve context and the exit stack (bench ``hello``, ``body``).
        """
        compiled = self._current()
        endpoint = compiled.endpoint
        if compiled.steps or compiled.injects or compiled.function_stack or endpoint.run is not run_async:
            return None
        return DirectCall(
            compiled.validator if compiled.n_fields else None,
            endpoint.call,
            endpoint.positional,
            endpoint.keywords,
        )

    @property
    def dependant(self) -> Dependant:
        """The endpoint's dependency graph (current overrides applied)."""
        return self._current().dependant

    @property
    def validator(self) -> RequestValidator:
        """The request validator of the whole graph (current overrides applied)."""
        return self._current().validator

    @property
    def steps(self) -> tuple[Step, ...]:
        """The dependency steps in run order (the endpoint not included)."""
        return self._current().steps

    def _current(self) -> _Compiled:
        compiled = self._compiled
        overrides = self._overrides
        if overrides is not None and overrides.version != compiled.version:
            compiled = self._compiled = self._compile()
        return compiled

    def _compile(self) -> _Compiled:
        overrides = self._overrides
        version = overrides.version if overrides is not None else 0
        dependant = build_dependant(
            self.call,
            path_param_names=self._path_param_names,
            dependencies=self._dependencies,
            overrides=overrides,
            kind=self._kind,
            endpoint_ctx=self.endpoint_ctx,
        )
        fields: list[ParamField] = []
        field_slots: dict[tuple[CacheKey, str], int] = {}
        for dep in dependant.walk():
            key = dep.cache_key
            for field in dep.params:
                field_slots[(key, field.name)] = len(fields)
                fields.append(field)
        validator = compile_request(fields, config=self._request_config, endpoint_ctx=self.endpoint_ctx)
        lowering = Lowering(field_slots, len(fields), self._app_scope, self.endpoint_ctx)
        children = {id(sub): lowering.lower(sub) for sub in dependant.dependencies}
        positional, keywords = lowering.arguments(dependant, children)
        endpoint = Step(
            ENDPOINT_RUNNERS[dependant.kind],
            dependant.call,
            positional=positional,
            keywords=keywords,
            out=lowering.slot(),
            name=dependant.path[0],
        )
        return _Compiled(version, dependant, validator, lowering, endpoint)

    async def solve(self, conn: Request | WebSocket, ctx: SolveContext) -> Any:
        """Validate, run the dependencies, call the endpoint; return its raw result.

        Raises:
            RequestValidationError: the request parameters are invalid (after
                the dependencies whose own inputs are valid ran, see ``_invalid``).
            HTTPException: raised by a dependency, also when parameters are invalid.
            Exception: whatever a dependency or the endpoint raised, after
                ``function``-scoped teardowns ran.
        """
        compiled = self._compiled
        overrides = self._overrides
        if overrides is not None and overrides.version != compiled.version:
            compiled = self._current()
        values = compiled.template.copy()
        if compiled.injects:
            self._inject(compiled, values, conn, ctx)
        if compiled.n_fields:
            observer = ctx.observer
            start = perf_counter() if observer is not None else 0.0
            validator = compiled.validator
            error: ValidationException | None = None
            try:
                # PERF: no coroutine to await when there is no body to read.
                if validator.needs_body:
                    await validator.validate(conn, values)
                else:
                    validator.validate_params(conn, values)
            except ValidationException as exc:
                error = exc
            if observer is not None:
                observer.on_stage(self.route, "parse", perf_counter() - start)
            if error is not None:
                await self._invalid(compiled, values, ctx, error)
        if not compiled.function_stack:
            return await self._run(compiled, values, ctx)
        async with TeardownStack() as function_stack:
            ctx.function_stack = function_stack
            return await self._run(compiled, values, ctx)

    @staticmethod
    def _inject(compiled: _Compiled, values: list[Any], conn: Request | WebSocket, ctx: SolveContext) -> None:
        if compiled.conn_slot >= 0:
            values[compiled.conn_slot] = conn
        if compiled.response_slot >= 0:
            values[compiled.response_slot] = ctx.get_response()
        if compiled.background_slot >= 0:
            values[compiled.background_slot] = ctx.get_background()
        for filler in compiled.scopes_fillers:
            filler.fill(values)

    async def _run(self, compiled: _Compiled, values: list[Any], ctx: SolveContext) -> Any:
        """Run the steps, then the endpoint; return its result."""
        observer = ctx.observer
        start = perf_counter() if observer is not None else 0.0
        for step in compiled.steps:
            await step.run(step, values, ctx)
        endpoint = compiled.endpoint
        if observer is not None:
            middle = perf_counter()
            observer.on_stage(self.route, "dependencies", middle - start)
            await endpoint.run(endpoint, values, ctx)
            observer.on_stage(self.route, "endpoint", perf_counter() - middle)
            return values[endpoint.out]
        if endpoint.run is run_async and not endpoint.positional:
            # PERF: bench `deps` - the common async endpoint is awaited here, not
            # through run_async (one coroutine less per request).
            return await endpoint.call(**{n: values[i] for n, i in endpoint.keywords})
        await endpoint.run(endpoint, values, ctx)
        return values[endpoint.out]

    async def _invalid(
        self, compiled: _Compiled, values: list[Any], ctx: SolveContext, error: ValidationException
    ) -> NoReturn:
        """Raise ``error``, after running the dependencies whose own inputs are valid.

        COMPAT(fastapi): FastAPI solves the dependencies in order; one whose
        request parameters (or sub-dependencies) are invalid is skipped, the
        others run, and the collected errors become the 422 only after them.
        So an exception from any of them (an authentication dependency's 401)
        wins over the 422, and an unauthenticated client learns nothing about
        the parameters. The error-free path never comes here. A body that is
        not JSON is refused at once, before any dependency, as FastAPI does.
        """
        errors = error.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            raise error
        steps = compiled.blame.runnable(compiled.steps, errors)
        if not steps:
            raise error
        if not compiled.function_stack:
            for step in steps:
                await step.run(step, values, ctx)
            raise error
        stack = ctx.function_stack = TeardownStack()
        try:
            for step in steps:
                await step.run(step, values, ctx)
        except BaseException as exc:
            await stack.aexit(type(exc), exc, exc.__traceback__)  # di's teardowns never suppress
            raise
        await stack.aexit(type(error), error, error.__traceback__)
        raise error


def compile_endpoint(
    call: Callable[..., Any],
    *,
    path_param_names: frozenset[str],
    dependencies: Sequence[Depends] = (),
    overrides: DependencyOverrides | None,
    request_config: RequestConfig,
    endpoint_ctx: EndpointContext,
    kind: Literal["http", "websocket"] = "http",
    app_scope: AppScope | None,
) -> EndpointPlan:
    """Analyse ``call`` and compile its dependency plan (startup).

    Args:
        call: the endpoint.
        path_param_names: the names in the route's path template.
        dependencies: ``dependencies=[...]`` of app, routers and route, merged
            in that order; they run first and their results are discarded.
        overrides: ``app.dependency_overrides``; the plan recompiles lazily
            when it changes.
        request_config: body limits and content-type policy for validation.
        endpoint_ctx: the route, for error messages.
        kind: ``"http"`` or ``"websocket"``.
        app_scope: the app's ``AppScope`` (needed for ``scope="app"``).

    Returns:
        The ``EndpointPlan``.

    Raises:
        DependencyError: a cycle, a scope violation or an unusable declaration.
        ParamConfigError: a request parameter declared wrongly.
    """
    return EndpointPlan(
        call,
        path_param_names=path_param_names,
        dependencies=dependencies,
        overrides=overrides,
        request_config=request_config,
        endpoint_ctx=endpoint_ctx,
        kind=kind,
        app_scope=app_scope,
    )
