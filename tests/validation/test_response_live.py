"""Response filtering and encoding: ferrule against FastAPI itself, live.

The same endpoint (returning the same value, with the same ``response_model``
and ``response_model_*`` options) is built under both frameworks and called
with the same raw request: status and body bytes must be FastAPI's, on whatever
pydantic is installed. ``test_serialize`` pins the bodies captured with the
pinned pydantic; this carries the check when pydantic moves.
"""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any, Optional

import fastapi  # the oracle: a test-only dependency, never imported by ferrule
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from live_oracle import Sent, call, framework_app
from pinned import PINNED, pinned_version
from pydantic import BaseModel, Field
from test_serialize import JSONABLE, MODEL_CASES, NO_MODEL, NO_MODEL_FASTAPI

import ferrule

_DEFAULT = object()
# The pinned environment, where test_serialize's captured bodies must still be FastAPI's.
CAPTURED_HOLDS = PINNED and fastapi.__version__ == pinned_version("fastapi")


def _app(fw: Any, value: Any, response_model: Any = _DEFAULT, **options: Any) -> Any:
    app = framework_app(fw)
    kwargs = {f"response_model_{name}": option for name, option in options.items()}
    if response_model is not _DEFAULT:
        kwargs["response_model"] = response_model

    @app.get("/", **kwargs)
    def endpoint() -> Any:
        return value

    return app


def _both(value: Any, response_model: Any = _DEFAULT, **options: Any) -> tuple[Any, Any]:
    sent = Sent("GET", "/")
    return (call(_app(ferrule, value, response_model, **options), sent),
            call(_app(fastapi, value, response_model, **options), sent))


@pytest.mark.parametrize(("annotation", "value", "options", "captured"), MODEL_CASES)
def test_model_bodies_are_fastapis(annotation: Any, value: Any, options: dict[str, Any], captured: bytes) -> None:
    ours, theirs = _both(value, annotation, **options)
    assert theirs.status == 200, theirs.body
    assert (ours.status, ours.body) == (theirs.status, theirs.body)
    if CAPTURED_HOLDS:  # the body test_serialize pins is still FastAPI's
        assert theirs.body == captured


def test_without_a_model_the_body_is_fastapis() -> None:
    ours, theirs = _both(NO_MODEL, None)
    assert (ours.status, ours.body) == (theirs.status, theirs.body)
    if CAPTURED_HOLDS:
        assert theirs.body == NO_MODEL_FASTAPI


class Tag(BaseModel):
    label: str
    weight: Optional[float] = None


class Profile(BaseModel):
    name: str
    age: int = 0
    nick: Optional[str] = None
    tags: list[Tag] = Field(default_factory=list, alias="labels")
    joined: Optional[datetime.date] = None
    score: decimal.Decimal = decimal.Decimal("0")


_FIELDS = ["name", "age", "nick", "tags", "joined", "score"]
_TAGS = st.lists(st.builds(lambda label, weight: {"label": label, "weight": weight} if weight is not None else {"label": label},
                           st.text(max_size=3), st.none() | st.floats(-10, 10)), max_size=2)
_PROFILE = st.fixed_dictionaries(
    {"name": st.text(max_size=4)},
    optional={"age": st.integers(-5, 5), "nick": st.none() | st.text(max_size=3), "labels": _TAGS,
              "joined": st.none() | st.dates().map(str), "score": st.decimals("-9.99", "9.99", places=2).map(str)},
)
_OPTIONS = st.fixed_dictionaries({}, optional={
    "include": st.sets(st.sampled_from(_FIELDS), min_size=1),
    "exclude": st.sets(st.sampled_from(_FIELDS), min_size=1),
    "by_alias": st.booleans(),
    "exclude_unset": st.booleans(),
    "exclude_defaults": st.booleans(),
    "exclude_none": st.booleans(),
})


@settings(max_examples=120, deadline=None)
@given(data=_PROFILE, as_model=st.booleans(), options=_OPTIONS)
def test_filtering_options_agree_with_fastapi(data: dict[str, Any], as_model: bool, options: dict[str, Any]) -> None:
    # The endpoint returns a dict or a validated model (whose unset fields then
    # count for exclude_unset), filtered by any mix of FastAPI's options.
    value = Profile.model_validate(data) if as_model else data
    ours, theirs = _both(value, Profile, **options)
    assert (ours.status, ours.body) == (theirs.status, theirs.body)


@settings(max_examples=100, deadline=None)
@given(JSONABLE)
def test_unmodelled_values_encode_as_in_fastapi(value: Any) -> None:
    ours, theirs = _both({"v": value}, None)
    assert ours.status == theirs.status == 200
    # Same JSON value: float spelling may differ (FastAPI writes 1e-07, ferrule 1e-7).
    assert json.loads(ours.body) == json.loads(theirs.body)
