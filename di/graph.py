"""Dependency graph analysis: an endpoint's signature becomes a tree of ``Dependant``.

Runs once per endpoint, at startup. Every parameter of every callable is
classified, in this order:

1. **sub-dependency**: a ``Depends``/``Security`` marker, as the default value
   or in ``Annotated[...]`` metadata (``Depends()`` with no callable uses the
   annotation, e.g. a class);
2. **special injectable**: annotated with ``Request``, ``WebSocket``,
   ``HTTPConnection``, ``Response``, ``BackgroundTasks`` or ``SecurityScopes``
   (or a subclass);
3. **request parameter**: everything else, handed to
   ``ferrule.validation.fields.analyze_param``.

Checks, each a ``DependencyError`` naming the chain of callables:

* cycles (``a -> b -> a``);
* ``scope="app"`` dependencies may not use anything that lives per request
  (request parameters, ``Request``/``WebSocket``/``Response``/
  ``BackgroundTasks``, dependencies declared ``scope="request"``/``"function"``);
  their undeclared sub-dependencies become app-scoped too;
* a ``yield`` dependency torn down after the response (``"request"``) may not
  depend on one declared ``scope="function"`` (FastAPI's rule);
* WebSocket routes cannot take body parameters or ``Request``; HTTP routes
  cannot take ``WebSocket``.

``dependency_overrides`` are applied while building: each dependency is looked
up by its declared callable and replaced (recursively) before analysis.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from ferrule.validation.errors import EndpointContext
from ferrule.validation.fields import ParamField, ParamLocation, analyze_param
from ferrule.validation.params import Body, Param

from .callables import CallIdentity, CallKind, ParameterInfo, call_kind, inspect_callable
from .dependant import PER_REQUEST_SPECIALS, SPECIAL_TYPES, Argument, CacheKey, Dependant, SpecialKind
from .errors import (
    DependencyConfigError,
    DependencyCycleError,
    DependencyError,
    DependencyScopeError,
    describe_callable,
    name_of,
)
from .markers import DependencyScope, Depends

__all__ = ["CacheKey", "build_dependant"]


def _lenient_special(annotation: Any) -> SpecialKind | None:
    # COMPAT(python3.10): ``list[str]`` is an instance of ``type`` there, yet
    # ``issubclass`` refuses it: a parameterized generic is never a special.
    if not isinstance(annotation, type) or isinstance(annotation, types.GenericAlias):
        return None
    for cls, kind in SPECIAL_TYPES:
        if issubclass(annotation, cls):
            return kind
    return None


def _merge_scopes(parent: Sequence[str], own: Sequence[str]) -> tuple[str, ...]:
    merged = list(parent)
    for scope in own:
        if scope not in merged:
            merged.append(scope)
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where the builder is: the chain so far and the scope context."""

    calls: tuple[CallIdentity, ...]
    names: tuple[str, ...]
    app_root: tuple[str, ...] | None  # chain to the app-scoped ancestor, when inside one


class _Builder:
    def __init__(
        self,
        *,
        path_param_names: frozenset[str],
        overrides: Mapping[Any, Any] | None,
        kind: Literal["http", "websocket"],
        endpoint_ctx: EndpointContext | None,
    ) -> None:
        self.path_param_names = path_param_names
        self.overrides = overrides or {}
        self.kind = kind
        self.endpoint_ctx = endpoint_ctx

    # -- errors ------------------------------------------------------------------

    def _config(self, message: str, names: Sequence[str]) -> DependencyConfigError:
        return DependencyConfigError(message, path=names, endpoint=self.endpoint_ctx)

    def _scope(self, message: str, names: Sequence[str]) -> DependencyScopeError:
        return DependencyScopeError(message, path=names, endpoint=self.endpoint_ctx)

    def _app_scope_error(self, frame: _Frame, names: Sequence[str], what: str) -> DependencyScopeError:
        assert frame.app_root is not None
        root = frame.app_root[-1]
        return self._scope(
            f'{root!r} is declared scope="app", so it is created once and shared by all '
            f"requests, but {what} lives only as long as one request; remove scope=\"app\" "
            f"from {root!r}, or stop using {what} inside it",
            names,
        )

    # -- building ----------------------------------------------------------------

    def endpoint(self, call: Callable[..., Any], dependencies: Sequence[Depends]) -> Dependant:
        name = name_of(call)
        frame = _Frame(calls=(CallIdentity(call),), names=(name,), app_root=None)
        extra: list[Dependant] = []
        for depends in dependencies:
            if not isinstance(depends, Depends) or depends.dependency is None:
                raise self._config(
                    f"dependencies=[...] entries must be Depends(callable), got {depends!r}; "
                    "write dependencies=[Depends(verify_token)]",
                    (name,),
                )
            sub = self._sub(
                depends,
                depends.dependency,
                name=None,
                parent=frame,
                parent_scopes=(),
                parent_kind=None,
                parent_computed=None,
            )
            extra.append(sub)
        return self._dependant(
            call,
            original=call,
            name=None,
            frame=frame,
            own_scopes=(),
            parent_scopes=(),
            use_cache=True,
            scope=None,
            computed_scope=None,
            extra=tuple(extra),
            is_endpoint=True,
        )

    def _sub(
        self,
        depends: Depends,
        declared: Callable[..., Any],
        *,
        name: str | None,
        parent: _Frame,
        parent_scopes: tuple[str, ...],
        parent_kind: CallKind | None,
        parent_computed: DependencyScope | None,
    ) -> Dependant:
        call = self.overrides.get(declared, declared) if _hashable(declared) else declared
        call_name = name_of(call)
        names = (*parent.names, call_name)
        identity = CallIdentity(call)
        if identity in parent.calls:
            start = parent.calls.index(identity)
            cycle = (*parent.names[start:], call_name)
            raise DependencyCycleError(
                f"dependency cycle: {' -> '.join(cycle)}; a dependency cannot need itself, "
                "directly or through others; break the loop by moving the shared part into "
                "a separate dependency",
                cycle=cycle,
                path=names,
                endpoint=self.endpoint_ctx,
            )
        info_kind = call_kind(call)
        scope = depends.scope
        if parent.app_root is not None:
            if scope in ("request", "function"):
                raise self._app_scope_error(parent, names, f'{call_name!r} (declared scope="{scope}")')
            computed: DependencyScope | None = "app"
        elif scope is not None:
            computed = scope
        else:
            computed = "request" if info_kind.is_generator else None
        if (
            parent_kind is not None
            and parent_kind.is_generator
            and parent_computed == "request"
            and scope == "function"
        ):
            raise self._scope(
                f"the dependency {parent.names[-1]!r} has a scope of \"request\" (torn down after "
                f"the response is sent), so it cannot depend on {call_name!r}, which has a scope "
                'of "function" (torn down before); declare both with the same scope',
                names,
            )
        app_root = parent.app_root
        if computed == "app" and app_root is None:
            app_root = names
        frame = _Frame(calls=(*parent.calls, identity), names=names, app_root=app_root)
        own_scopes = tuple(getattr(depends, "scopes", None) or ())
        return self._dependant(
            call,
            original=declared,
            name=name,
            frame=frame,
            own_scopes=own_scopes,
            parent_scopes=parent_scopes,
            use_cache=depends.use_cache,
            scope=scope,
            computed_scope=computed,
            extra=(),
            is_endpoint=False,
        )

    def _dependant(
        self,
        call: Callable[..., Any],
        *,
        original: Callable[..., Any],
        name: str | None,
        frame: _Frame,
        own_scopes: tuple[str, ...],
        parent_scopes: tuple[str, ...],
        use_cache: bool,
        scope: DependencyScope | None,
        computed_scope: DependencyScope | None,
        extra: tuple[Dependant, ...],
        is_endpoint: bool,
    ) -> Dependant:
        try:
            info = inspect_callable(call)
        except DependencyError as exc:
            raise self._config(exc.message, frame.names) from exc.__cause__
        scopes = _merge_scopes(parent_scopes, own_scopes)
        owner = describe_callable(call)
        arguments: list[Argument] = []
        dependencies: list[Dependant] = list(extra)
        params: list[ParamField] = []
        for param in info.parameters:
            source = self._classify(param, call, frame)
            if isinstance(source, Depends):
                assert source.dependency is not None
                sub = self._sub(
                    source,
                    source.dependency,
                    name=param.name,
                    parent=frame,
                    parent_scopes=scopes,
                    parent_kind=None if is_endpoint else info.kind,
                    parent_computed=computed_scope,
                )
                dependencies.append(sub)
                arguments.append(Argument(param.name, param.positional_only, sub))
            elif isinstance(source, SpecialKind):
                self._check_special(source, param.name, frame)
                arguments.append(Argument(param.name, param.positional_only, source))
            else:
                field = self._request_param(param, owner, frame)
                params.append(field)
                arguments.append(Argument(param.name, param.positional_only, field))
        uses_scopes = (
            bool(own_scopes)
            or any(a.source is SpecialKind.SECURITY_SCOPES for a in arguments)
            or any(d.uses_scopes for d in dependencies)
        )
        dependant = Dependant(
            call=call,
            original=original,
            name=name,
            kind=info.kind,
            arguments=tuple(arguments),
            dependencies=tuple(dependencies),
            params=tuple(params),
            own_scopes=own_scopes,
            scopes=scopes,
            use_cache=use_cache,
            scope=scope,
            computed_scope=computed_scope,
            uses_scopes=uses_scopes,
            path=frame.names,
        )
        if not dependant.uses_scopes and dependant.security_scheme is not None:
            dependant.uses_scopes = True
        return dependant

    def _classify(self, param: ParameterInfo, call: Any, frame: _Frame) -> Depends | SpecialKind | None:
        """The parameter's ``Depends`` marker, its special kind, or ``None`` (a request parameter)."""
        annotation = _unalias(param.annotation)
        type_annotation = annotation
        depends: Depends | None = None
        marker: Any = None
        if get_origin(annotation) is Annotated:
            args = get_args(annotation)
            type_annotation = args[0]
            found = [m for m in args[1:] if isinstance(m, (Depends, Param, Body))]
            if found:
                if isinstance(found[-1], Depends):
                    depends = found[-1]
                else:
                    marker = found[-1]
        default = param.default
        if isinstance(default, Depends):
            if depends is not None:
                raise self._config(
                    f"parameter {param.name!r} of {name_of(call)} has Depends both in "
                    "Annotated[...] and as its default value; keep only one of them",
                    frame.names,
                )
            if marker is not None:
                raise self._config(
                    f"parameter {param.name!r} of {name_of(call)} has a {type(marker).__name__}() "
                    "marker in Annotated[...] and Depends as its default value; a parameter is "
                    "either a dependency or a request parameter, keep only one of them",
                    frame.names,
                )
            depends = default
        elif depends is not None and isinstance(default, (Param, Body)):
            raise self._config(
                f"parameter {param.name!r} of {name_of(call)} has Depends in Annotated[...] and "
                f"a {type(default).__name__}() default value; keep only one of them",
                frame.names,
            )
        if depends is not None:
            if depends.dependency is None:
                if type_annotation is inspect.Parameter.empty or not callable(type_annotation):
                    raise self._config(
                        f"parameter {param.name!r} of {name_of(call)} uses Depends() without a "
                        f"callable, so its annotation is called, but the annotation "
                        f"{_show(type_annotation)} is not callable; write Depends(the_function) "
                        "or annotate the parameter with a class",
                        frame.names,
                    )
                depends = _with_dependency(depends, type_annotation)
            return depends
        special = _lenient_special(type_annotation)
        if special is not None:
            if marker is not None or isinstance(default, (Param, Body)):
                raise self._config(
                    f"parameter {param.name!r} of {name_of(call)} is a {special.value}, which "
                    "ferrule injects; it cannot also have a Query()/Body()/... marker; "
                    "remove the marker",
                    frame.names,
                )
            return special
        return None

    def _check_special(self, special: SpecialKind, param_name: str, frame: _Frame) -> None:
        if frame.app_root is not None and special in PER_REQUEST_SPECIALS:
            raise self._app_scope_error(frame, frame.names, f"{special.value} (parameter {param_name!r})")
        if self.kind == "websocket" and special is SpecialKind.REQUEST:
            raise self._config(
                f"parameter {param_name!r} asks for a Request, but this is a WebSocket route; "
                "annotate it with WebSocket, or with HTTPConnection to share the dependency "
                "between HTTP and WebSocket routes",
                frame.names,
            )
        if self.kind == "http" and special is SpecialKind.WEBSOCKET:
            raise self._config(
                f"parameter {param_name!r} asks for a WebSocket, but this is an HTTP route; "
                "annotate it with Request, or with HTTPConnection to share the dependency "
                "between HTTP and WebSocket routes",
                frame.names,
            )

    def _request_param(self, param: ParameterInfo, owner: str, frame: _Frame) -> ParamField:
        annotation = _unalias(param.annotation)
        if annotation is inspect.Parameter.empty:
            annotation = Any
        try:
            field = analyze_param(
                param.name,
                annotation,
                param.default,
                path_param_names=self.path_param_names,
                owner=owner,
            )
        except Exception as exc:
            if hasattr(exc, "add_note"):
                exc.add_note("Path: " + " -> ".join(frame.names))
            raise
        if frame.app_root is not None:
            raise self._app_scope_error(
                frame, frame.names, f"the request parameter {param.name!r} ({field.location.value})"
            )
        if self.kind == "websocket" and field.location is ParamLocation.body:
            raise self._config(
                f"parameter {param.name!r} of {owner} is a request body parameter, but "
                "WebSocket routes have no request body; read messages with "
                "websocket.receive_json() instead, or declare it as Query()/Header()/Cookie()",
                frame.names,
            )
        return field


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _unalias(annotation: Any) -> Any:
    # PEP 695 `type X = ...` aliases (typing.TypeAliasType / typing_extensions).
    if type(annotation).__name__ == "TypeAliasType" and hasattr(annotation, "__value__"):
        return annotation.__value__
    return annotation


def _show(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "(none)"
    return repr(annotation)


def _with_dependency(depends: Depends, dependency: Callable[..., Any]) -> Depends:
    """``depends`` with its callable filled in (``Depends()`` uses the annotation)."""
    return dataclasses.replace(depends, dependency=dependency)


def build_dependant(
    call: Callable[..., Any],
    *,
    path_param_names: frozenset[str] = frozenset(),
    dependencies: Sequence[Depends] = (),
    overrides: Mapping[Any, Any] | None = None,
    kind: Literal["http", "websocket"] = "http",
    endpoint_ctx: EndpointContext | None = None,
) -> Dependant:
    """Analyse ``call`` (an endpoint) and everything it depends on.

    Args:
        call: the endpoint.
        path_param_names: names in the route's path template.
        dependencies: route-level ``dependencies=[...]``, already merged
            (app, routers, route); run first, results discarded.
        overrides: ``app.dependency_overrides`` (declared callable -> replacement).
        kind: ``"http"`` or ``"websocket"``.
        endpoint_ctx: the route, for error messages.

    Returns:
        The endpoint's ``Dependant``.

    Raises:
        DependencyError: a cycle, a scope violation or an unusable declaration.
    """
    builder = _Builder(
        path_param_names=path_param_names, overrides=overrides, kind=kind, endpoint_ctx=endpoint_ctx
    )
    return builder.endpoint(call, dependencies)
