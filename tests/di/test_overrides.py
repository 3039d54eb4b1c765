"""``dependency_overrides``: replacement, lazy recompilation, versioning, analysis cache."""

from __future__ import annotations

import gc
import inspect
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest
from di_helpers import Recorder, make_request, plan_for, solve

from ferrule.di import DependencyOverrides, Depends, EndpointPlan
from ferrule.di import markers
from ferrule.di.callables import cached_callables
from ferrule.security import APIKeyHeader
from ferrule.validation.errors import RequestValidationError

pytestmark = pytest.mark.anyio


def get_settings() -> str:
    return "prod-settings"


def get_db(settings: str = Depends(get_settings)) -> str:
    return f"db({settings})"


async def endpoint(db: str = Depends(get_db)) -> str:
    return db


async def test_override_applies_lazily_after_compilation() -> None:
    overrides = DependencyOverrides()
    plan = plan_for(endpoint, overrides=overrides)
    assert await solve(plan) == "db(prod-settings)"

    overrides[get_settings] = lambda: "test-settings"
    assert await solve(plan) == "db(test-settings)"  # a nested dependency

    overrides[get_db] = lambda: "fake-db"
    assert await solve(plan) == "fake-db"

    del overrides[get_db]
    assert await solve(plan) == "db(test-settings)"
    overrides.clear()
    assert await solve(plan) == "db(prod-settings)"


async def test_overrides_present_at_compile_time_apply() -> None:
    overrides = DependencyOverrides({get_db: lambda: "early"})
    assert await solve(plan_for(endpoint, overrides=overrides)) == "early"


async def test_plan_is_reused_while_the_version_is_unchanged() -> None:
    overrides = DependencyOverrides()
    plan = plan_for(endpoint, overrides=overrides)
    graph = plan.dependant  # the graph of the compiled plan in use
    await solve(plan)
    await solve(plan)
    assert plan.dependant is graph
    overrides[get_settings] = get_settings  # same mapping value, still a change
    await solve(plan)
    assert plan.dependant is not graph


def field_names(plan: EndpointPlan) -> list[str]:
    return [field.name for field in plan.validator.fields]


async def test_replacement_with_its_own_parameters_changes_validation() -> None:
    def needs_query(token: str) -> str:
        return f"token={token}"

    overrides = DependencyOverrides()
    plan = plan_for(endpoint, overrides=overrides)
    assert field_names(plan) == []
    overrides[get_db] = needs_query
    assert field_names(plan) == ["token"]
    with pytest.raises(RequestValidationError):
        await solve(plan)
    assert await solve(plan, make_request(query=b"token=t")) == "token=t"


async def test_override_of_route_dependencies_and_security_schemes() -> None:
    rec = Recorder()
    scheme = APIKeyHeader(name="x-key")

    def audit() -> None:
        rec("real audit")

    async def protected(key: str = Depends(scheme)) -> str:
        return key

    overrides = DependencyOverrides({audit: lambda: rec("fake audit"), scheme: lambda: "test-key"})
    plan = plan_for(protected, dependencies=[markers.Depends(audit)], overrides=overrides)
    assert await solve(plan) == "test-key"
    assert rec.events == ["fake audit"]


async def test_yield_replacement_is_torn_down() -> None:
    rec = Recorder()

    async def fake_db() -> AsyncIterator[str]:
        rec("open")
        yield "fake"
        rec("close")

    overrides = DependencyOverrides({get_db: fake_db})
    assert await solve(plan_for(endpoint, overrides=overrides)) == "fake"
    assert rec.events == ["open", "close"]


class _CountedReplacement:
    """A replacement whose signature says how often it was read (each analysis reads it once)."""

    def __init__(self) -> None:
        self.reads = 0

    @property
    def __signature__(self) -> inspect.Signature:
        self.reads += 1
        return inspect.Signature([inspect.Parameter("q", inspect.Parameter.KEYWORD_ONLY, default=0, annotation=int)])

    def __call__(self, q: int = 0) -> str:
        return f"q={q}"


async def test_analysis_is_cached_per_replacement() -> None:
    replacement = _CountedReplacement()
    overrides = DependencyOverrides()
    plan = plan_for(endpoint, overrides=overrides)
    overrides[get_db] = replacement
    await solve(plan)
    assert replacement.reads == 1
    for _ in range(3):
        overrides[get_db] = replacement  # bumps the version: recompiles
        assert await solve(plan, make_request(query=b"q=2")) == "q=2"
    assert replacement.reads == 1


def test_the_analysis_cache_does_not_keep_callables_alive() -> None:
    def make() -> Any:
        def dependency(q: int = 0) -> int:
            return q

        return dependency

    gc.collect()
    before = cached_callables()
    dependency = make()
    plan_for(lambda d=Depends(dependency): d)
    assert cached_callables() > before
    alive = weakref.ref(dependency)
    del dependency
    gc.collect()
    assert alive() is None
    assert cached_callables() <= before


def test_every_mutation_bumps_the_version() -> None:
    overrides = DependencyOverrides()
    versions = [overrides.version]

    def mutate(action: Any) -> None:
        action()
        versions.append(overrides.version)

    mutate(lambda: overrides.__setitem__(get_db, get_settings))
    mutate(lambda: overrides.update({get_settings: get_db}))
    mutate(lambda: overrides.pop(get_settings))
    mutate(lambda: overrides.setdefault(get_settings, get_db))
    mutate(lambda: overrides.popitem())
    mutate(lambda: overrides.__ior__({endpoint: get_db}))
    mutate(lambda: overrides.__delitem__(endpoint))
    mutate(overrides.clear)
    assert versions == sorted(set(versions)), versions
    assert overrides == {}


def test_non_callable_replacement_is_refused() -> None:
    overrides = DependencyOverrides()
    with pytest.raises(TypeError, match=r"must be a callable, got 'value'"):
        overrides[get_db] = "value"  # type: ignore[assignment]
