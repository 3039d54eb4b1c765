"""Lowering a dependency graph to a flat, topologically ordered tuple of ``Step``.

Rules:

* Post-order walk, dependencies in declaration order: every step comes after
  the steps computing its arguments.
* Slots: ``[validated params..., injected values..., step results...]``; a
  step's arguments are slot indexes, its result goes to its own slot.
* Equal cache keys share one step when ``use_cache`` (the last computed value
  for a key is reused, as FastAPI's per-request cache does).
* ``computed_scope == "app"``: one ``run_app`` step reading the ``AppScope``;
  the dependency's own subtree is lowered separately into an ``AppEntry``.
"""

from __future__ import annotations

from ferrule.validation.errors import EndpointContext

from .app_scope import AppEntry, AppScope, run_app
from .callables import CallKind
from .dependant import CacheKey, Dependant, SpecialKind
from .errors import DependencyScopeError
from .steps import SecurityScopesFiller, Step, run_async, run_direct, run_sync
from .teardown import run_async_gen, run_sync_gen

__all__ = ["AppLowering", "ENDPOINT_RUNNERS", "Lowering"]

DEPENDENCY_RUNNERS = {
    CallKind.ASYNC: run_async,
    CallKind.SYNC: run_sync,
    CallKind.GENERATOR: run_sync_gen,
    CallKind.ASYNC_GENERATOR: run_async_gen,
}
ENDPOINT_RUNNERS = {
    CallKind.ASYNC: run_async,
    CallKind.SYNC: run_sync,
    CallKind.GENERATOR: run_direct,
    CallKind.ASYNC_GENERATOR: run_direct,
}
CONNECTION = frozenset({SpecialKind.REQUEST, SpecialKind.WEBSOCKET, SpecialKind.HTTP_CONNECTION})


class Lowering:
    """Assigns slots and builds steps for one plan (an endpoint or an app entry)."""

    def __init__(
        self,
        fields: dict[tuple[CacheKey, str], int],
        n_fields: int,
        app_scope: AppScope | None,
        endpoint_ctx: EndpointContext | None,
    ) -> None:
        self.fields = fields
        self.size = n_fields
        self.app_scope = app_scope
        self.endpoint_ctx = endpoint_ctx
        self.steps: list[Step] = []
        self.seen: dict[CacheKey, int] = {}
        self.conn_slot = -1
        self.response_slot = -1
        self.background_slot = -1
        self.scopes_slots: dict[tuple[str, ...], int] = {}
        self.has_function_stack = False

    def slot(self) -> int:
        self.size += 1
        return self.size - 1

    def special(self, kind: SpecialKind, dependant: Dependant) -> int:
        if kind in CONNECTION:
            if self.conn_slot < 0:
                self.conn_slot = self.slot()
            return self.conn_slot
        if kind is SpecialKind.RESPONSE:
            if self.response_slot < 0:
                self.response_slot = self.slot()
            return self.response_slot
        if kind is SpecialKind.BACKGROUND_TASKS:
            if self.background_slot < 0:
                self.background_slot = self.slot()
            return self.background_slot
        slot = self.scopes_slots.get(dependant.scopes)
        if slot is None:
            slot = self.scopes_slots[dependant.scopes] = self.slot()
        return slot

    def arguments(
        self, dependant: Dependant, children: dict[int, int]
    ) -> tuple[tuple[int, ...], tuple[tuple[str, int], ...]]:
        positional: list[int] = []
        keywords: list[tuple[str, int]] = []
        key = dependant.cache_key
        for argument in dependant.arguments:
            source = argument.source
            if isinstance(source, SpecialKind):
                index = self.special(source, dependant)
            elif isinstance(source, Dependant):
                index = children[id(source)]
            else:
                index = self.fields[(key, argument.name)]
            if argument.positional:
                positional.append(index)
            else:
                keywords.append((argument.name, index))
        return tuple(positional), tuple(keywords)

    def lower(self, dependant: Dependant) -> int:
        """Steps computing ``dependant`` (and what it needs); returns its result slot."""
        key = dependant.cache_key
        if dependant.use_cache or dependant.computed_scope == "app":
            known = self.seen.get(key)
            if known is not None:
                return known
        if dependant.computed_scope == "app":
            out = self.app_step(dependant)
        else:
            function_scope = dependant.computed_scope == "function" and dependant.kind.is_generator
            if function_scope:
                self.has_function_stack = True
            out = self.call_step(dependant, function_scope)
        self.seen[key] = out
        return out

    def call_step(self, dependant: Dependant, function_scope: bool = False) -> int:
        """Lower what ``dependant`` needs, then one step calling it; returns its result slot."""
        children = {id(sub): self.lower(sub) for sub in dependant.dependencies}
        positional, keywords = self.arguments(dependant, children)
        out = self.slot()
        self.steps.append(
            Step(
                DEPENDENCY_RUNNERS[dependant.kind],
                dependant.call,
                positional=positional,
                keywords=keywords,
                out=out,
                name=dependant.path[-1],
                function_scope=function_scope,
            )
        )
        return out

    def app_step(self, dependant: Dependant) -> int:
        scope = self.app_scope
        if scope is None:
            raise DependencyScopeError(
                f'{dependant.path[-1]!r} is declared scope="app", but this endpoint was compiled '
                "without an AppScope; compile it through the app (or pass app_scope=AppScope())",
                path=dependant.path,
                endpoint=self.endpoint_ctx,
            )
        sub = AppLowering({}, 0, scope, self.endpoint_ctx)
        out = sub.call_step(dependant)
        entry = scope.register(
            AppEntry(
                scope,
                dependant.cache_key,
                dependant.path[-1],
                tuple(sub.steps),
                [None] * sub.size,
                tuple(SecurityScopesFiller(slot, scopes) for scopes, slot in sub.scopes_slots.items()),
                out,
            )
        )
        slot = self.slot()
        self.steps.append(
            Step(
                run_app,
                dependant.call,
                positional=(),
                keywords=(),
                out=slot,
                name=dependant.path[-1],
                entry=entry,
            )
        )
        return slot


class AppLowering(Lowering):
    """Lowers the subtree of one app-scoped dependency into its creation plan.

    Its app-scoped sub-dependencies become entries of their own (shared by
    every app-scoped dependant that needs them), read by ``run_app`` steps.
    The root itself is lowered with ``call_step`` (never looked up in
    ``seen``: it is what the entry creates).
    """
