"""``AppScope``: dependencies declared ``scope="app"``, created once per app lifespan.

Rules:

* Plans register every app-scoped dependency they use when they are compiled
  (``AppEntry``: its key and the small plan that creates it).
* ``start()`` (lifespan startup) creates every registered entry, in
  registration order. An entry that is first needed by a request and was
  never created (no lifespan, or a route compiled after startup) is created
  then, once, under a lock; concurrent requests wait for that one creation.
* Values are shared by all requests and keyed like request-cached values
  (callable, scopes, scope), so two routes using the same dependency share it.
* ``aclose()`` (lifespan shutdown) tears the ``yield`` ones down in reverse
  creation order and forgets all values; a later request creates them again.
* Teardown runs in the task that calls ``aclose()``: an app-scoped generator
  must not keep a cancel scope or task group open across its ``yield``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from anyio import CapacityLimiter

from .context import SolveContext
from .steps import SecurityScopesFiller, Step
from .teardown import TeardownStack

if TYPE_CHECKING:
    from .dependant import CacheKey

__all__ = ["AppEntry", "AppScope", "run_app"]


@dataclass(slots=True, eq=False)
class AppEntry:
    """How to create one app-scoped value: a plan of steps and its result slot."""

    scope: AppScope
    key: CacheKey
    name: str
    steps: tuple[Step, ...]
    template: list[Any]
    fillers: tuple[SecurityScopesFiller, ...]
    out: int


class AppScope:
    """Holds the values of ``scope="app"`` dependencies for one app.

    Args:
        limiter: capacity limiter for sync callables run during creation;
            ``None`` uses anyio's default (or the request's, for lazy creation).
    """

    def __init__(self, *, limiter: CapacityLimiter | None = None) -> None:
        self.limiter = limiter
        self._entries: dict[CacheKey, AppEntry] = {}
        self._values: dict[CacheKey, Any] = {}
        self._stack = TeardownStack()
        self._lock: anyio.Lock | None = None
        self._started = False

    def register(self, entry: AppEntry) -> AppEntry:
        """Record an app-scoped dependency; returns the entry already known for its key, if any."""
        return self._entries.setdefault(entry.key, entry)

    @property
    def started(self) -> bool:
        return self._started

    def __contains__(self, key: object) -> bool:
        return key in self._values

    async def start(self) -> None:
        """Create every registered app-scoped dependency (lifespan startup)."""
        for entry in list(self._entries.values()):
            if entry.key not in self._values:
                await self._obtain(entry, self.limiter, locked=False)
        self._started = True

    async def aclose(self) -> None:
        """Tear down app-scoped ``yield`` dependencies, last created first (lifespan shutdown)."""
        stack = self._stack
        self._stack = TeardownStack()
        self._values.clear()
        self._started = False
        self._lock = None
        await stack.aclose()

    async def __aenter__(self) -> AppScope:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _obtain(self, entry: AppEntry, limiter: CapacityLimiter | None, *, locked: bool) -> Any:
        """The entry's value, creating it if needed (``locked``: we already hold the lock)."""
        if locked:
            return await self._create(entry, limiter)
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            return await self._create(entry, limiter)

    async def _create(self, entry: AppEntry, limiter: CapacityLimiter | None) -> Any:
        value = self._values.get(entry.key, _MISSING)
        if value is not _MISSING:
            return value
        ctx = SolveContext(self._stack, limiter=self.limiter or limiter)
        ctx.shield = False  # created in one task, torn down in another
        ctx.app_creating = True
        values = entry.template.copy()
        for filler in entry.fillers:
            filler.fill(values)
        for step in entry.steps:
            await step.run(step, values, ctx)
        value = values[entry.out]
        self._values[entry.key] = value
        return value


_MISSING: Any = object()


async def run_app(step: Step, values: list[Any], ctx: SolveContext) -> None:
    """The step of an app-scoped dependency: its shared value (``step.entry`` is its ``AppEntry``)."""
    entry: AppEntry = step.entry
    scope = entry.scope
    value = scope._values.get(entry.key, _MISSING)
    if value is _MISSING:
        value = await scope._obtain(entry, ctx.limiter, locked=ctx.app_creating)
    values[step.out] = value
