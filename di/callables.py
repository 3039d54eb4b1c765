"""Inspecting dependency callables: what kind of call they are, and their parameters.

Rules:

* Kinds: coroutine function, plain (sync) callable, generator function, async
  generator function. ``functools.partial`` and ``functools.wraps`` wrappers
  are looked through; a class is a sync callable (instantiating it); an
  instance is classified by its ``__call__``.
* Parameters come from ``inspect.signature`` (``self`` and the arguments bound
  by a ``partial`` are already gone). ``*args`` and ``**kwargs`` are skipped:
  there is nothing to inject into them.
* String annotations (forward references, ``from __future__ import
  annotations``) are evaluated in the callable's module globals plus its
  closure variables, one parameter at a time, so a failure names the parameter.
* Results are cached per callable, by identity and weakly: an entry lives as
  long as its callable, so nothing accumulates across apps or tests, and a
  dependency shared by many routes (or an override applied again) is analysed
  once. Callables that cannot be weakly referenced are analysed every time.
"""

from __future__ import annotations

import enum
import functools
import inspect
import sys
import typing
import weakref
from dataclasses import dataclass
from typing import Any

from .errors import DependencyConfigError, describe_callable

__all__ = [
    "CallIdentity",
    "CallKind",
    "CallableInfo",
    "ParameterInfo",
    "cached_callables",
    "call_kind",
    "inspect_callable",
]


class CallKind(enum.Enum):
    """How a callable is run."""

    ASYNC = "async"  # await call(...)
    SYNC = "sync"  # call(...) in a worker thread
    GENERATOR = "generator"  # next() in a worker thread; teardown in a worker thread
    ASYNC_GENERATOR = "async_generator"  # await anext(); teardown awaited

    @property
    def is_generator(self) -> bool:
        return self is CallKind.GENERATOR or self is CallKind.ASYNC_GENERATOR


@dataclass(frozen=True, slots=True)
class ParameterInfo:
    """One parameter of a callable, with its annotation evaluated."""

    name: str
    annotation: Any  # inspect.Parameter.empty when there is none
    default: Any  # inspect.Parameter.empty when there is none
    positional: bool  # can be passed positionally (positional-only or positional-or-keyword)
    positional_only: bool


@dataclass(frozen=True, slots=True)
class CallableInfo:
    """What the graph builder needs to know about one callable."""

    kind: CallKind
    parameters: tuple[ParameterInfo, ...]


def _impartial(call: Any) -> Any:
    while isinstance(call, functools.partial):
        call = call.func
    return call


def _function_kind(func: Any) -> CallKind | None:
    for candidate in (_impartial(func), inspect.unwrap(_impartial(func))):
        if inspect.isasyncgenfunction(candidate):
            return CallKind.ASYNC_GENERATOR
        if inspect.isgeneratorfunction(candidate):
            return CallKind.GENERATOR
        if inspect.iscoroutinefunction(candidate):
            return CallKind.ASYNC
    return None


def call_kind(call: Any) -> CallKind:
    """Classify ``call`` (see the module docstring)."""
    kind = _function_kind(call)
    if kind is not None:
        return kind
    target = inspect.unwrap(_impartial(call))
    if inspect.isclass(target) or inspect.isroutine(target):
        return CallKind.SYNC
    dunder = getattr(target, "__call__", None)  # noqa: B004 - instances with __call__
    if dunder is not None:
        kind = _function_kind(dunder)
        if kind is not None:
            return kind
    return CallKind.SYNC


def _namespace_function(call: Any) -> Any:
    """The Python function whose module globals and closure resolve ``call``'s annotations."""
    target = inspect.unwrap(_impartial(call))
    if inspect.isclass(target):
        for attr in ("__init__", "__new__"):
            func = getattr(target, attr, None)
            if inspect.isfunction(func):
                return inspect.unwrap(func)
        return target
    if inspect.isroutine(target):
        return inspect.unwrap(getattr(target, "__func__", target))
    dunder = getattr(type(target), "__call__", None)  # noqa: B004
    if dunder is not None and inspect.isfunction(dunder):
        return inspect.unwrap(dunder)
    return target


def _namespaces(call: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    func = _namespace_function(call)
    globalns = getattr(func, "__globals__", None)
    if globalns is None:
        module = sys.modules.get(getattr(func, "__module__", "") or "")
        globalns = vars(module) if module is not None else {}
    localns: dict[str, Any] = {}
    code = getattr(func, "__code__", None)
    closure = getattr(func, "__closure__", None)
    if code is not None and closure:
        for name, cell in zip(code.co_freevars, closure):
            try:
                localns[name] = cell.cell_contents
            except ValueError:  # an empty cell: the variable is not assigned yet
                pass
    target = inspect.unwrap(_impartial(call))
    owner = target if inspect.isclass(target) else type(target)
    if not inspect.isroutine(target):
        localns.setdefault(owner.__name__, owner)
    return globalns, localns


class _Annotations:
    """Holder so ``typing.get_type_hints`` evaluates one annotation for us."""

    def __init__(self, name: str, annotation: Any) -> None:
        self.__annotations__ = {name: annotation}


def _evaluate(call: Any, name: str, annotation: Any, namespaces: tuple[dict[str, Any], dict[str, Any]]) -> Any:
    if not isinstance(annotation, (str, typing.ForwardRef)):
        return annotation
    globalns, localns = namespaces
    try:
        hints = typing.get_type_hints(
            _Annotations(name, annotation), globalns=globalns, localns=localns, include_extras=True
        )
    except NameError as exc:
        raise DependencyConfigError(
            f"cannot resolve the annotation {annotation!r} of parameter {name!r} of "
            f"{describe_callable(call)}: {exc}; ferrule evaluates string annotations in the "
            "module's globals, so define or import that name at module level (a name that "
            "only exists under `if TYPE_CHECKING:` or inside a function cannot be found)"
        ) from exc
    except Exception as exc:  # SyntaxError, TypeError from a bad annotation
        raise DependencyConfigError(
            f"cannot evaluate the annotation {annotation!r} of parameter {name!r} of "
            f"{describe_callable(call)}: {type(exc).__name__}: {exc}"
        ) from exc
    return hints[name]


@dataclass(frozen=True, slots=True, eq=False)
class CallIdentity:
    """Cache key comparing callables by identity (instances may be unhashable)."""

    call: Any

    def __hash__(self) -> int:
        return id(self.call)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CallIdentity) and other.call is self.call


def _inspect(call: Any) -> CallableInfo:
    try:
        signature = inspect.signature(call)
    except (TypeError, ValueError) as exc:
        raise DependencyConfigError(
            f"cannot read the signature of {describe_callable(call)}: {exc}; "
            "a dependency must be a Python function, class or callable object"
        ) from exc
    namespaces: tuple[dict[str, Any], dict[str, Any]] | None = None
    parameters: list[ParameterInfo] = []
    for param in signature.parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        annotation = param.annotation
        if isinstance(annotation, (str, typing.ForwardRef)):
            if namespaces is None:
                namespaces = _namespaces(call)
            annotation = _evaluate(call, param.name, annotation, namespaces)
        parameters.append(
            ParameterInfo(
                name=param.name,
                annotation=annotation,
                default=param.default,
                positional=param.kind
                in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD),
                positional_only=param.kind is inspect.Parameter.POSITIONAL_ONLY,
            )
        )
    return CallableInfo(kind=call_kind(call), parameters=tuple(parameters))


#: id(callable) -> (weak reference to it, its analysis); entries leave with their callable.
_INFO: dict[int, tuple[weakref.ref[Any], CallableInfo]] = {}


def _forget(key: int, ref: weakref.ref[Any]) -> None:
    entry = _INFO.get(key)
    if entry is not None and entry[0] is ref:
        del _INFO[key]


def inspect_callable(call: Any) -> CallableInfo:
    """Kind and parameters of ``call`` (cached while ``call`` lives).

    Raises:
        DependencyConfigError: no signature, or an annotation cannot be evaluated.
    """
    key = id(call)
    entry = _INFO.get(key)
    if entry is not None and entry[0]() is call:
        return entry[1]
    info = _inspect(call)
    try:
        ref = weakref.ref(call, functools.partial(_forget, key))
    except TypeError:  # not weakly referenceable (e.g. a class with __slots__ and no __weakref__)
        return info
    _INFO[key] = (ref, info)
    return info


def cached_callables() -> int:
    """How many callables' analyses are cached (they are dropped with their callables)."""
    return len(_INFO)
