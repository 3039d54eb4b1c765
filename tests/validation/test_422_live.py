"""422 bodies: ferrule against FastAPI itself, live, on whatever pydantic is installed.

Every case of ``validation_reference.EXPECTED_422`` (the bodies captured with
the pinned pydantic) is sent, as the same raw request, to one app built under
both frameworks (``oracle_422.build``): status, body bytes and content type
must be FastAPI's. The captured file pins the outputs for the pinned
environment; this test carries the check in the minimum- and latest-versions
jobs, where a new pydantic changes both frameworks' messages alike.
"""

from __future__ import annotations

import json

import fastapi  # the oracle: a test-only dependency, never imported by ferrule
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from live_oracle import Sent, call
from oracle_422 import REQUESTS, build
from validation_reference import EXPECTED_422

import ferrule

OURS = build(ferrule)
THEIRS = build(fastapi)


def test_every_captured_case_is_compared_live() -> None:
    assert set(REQUESTS) == set(EXPECTED_422)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_422_is_fastapis(name: str) -> None:
    ours, theirs = call(OURS, REQUESTS[name]), call(THEIRS, REQUESTS[name])
    assert theirs.status == 422, f"the oracle did not refuse {name}: {theirs.status} {theirs.body!r}"
    assert (ours.status, json.loads(ours.body)) == (theirs.status, json.loads(theirs.body))
    # Same bytes: same key order and number formatting as FastAPI's JSON.
    assert ours.body == theirs.body
    assert dict(ours.headers)[b"content-type"] == dict(theirs.headers)[b"content-type"]


# Query strings built from pieces each endpoint reads, valid or not: both
# frameworks must agree on whether the request validates and on every error.
_VALUES = st.sampled_from(["", "0", "1", "101", "-3", "abc", "AB", "ab", "2020-01-01", "2020-13-01", "12.345", "1.5",
                           "true", "maybe", "red", "blue", "a", "c", "%ff", "%00", "x" * 5,
                           "12345678-1234-5678-1234-567812345678"])
_KEYS = st.sampled_from(["q", "n", "s", "ids", "color", "mode", "u", "d", "dt", "dec", "flag", "v", "item-query",
                         "limit", "order_by", "tags", "tool"])
_PATHS = st.sampled_from(["/q_int", "/q_constraints", "/q_list", "/q_enum", "/q_types", "/q_union", "/q_alias",
                          "/q_model"])


@settings(max_examples=150, deadline=None)
@given(path=_PATHS, pairs=st.lists(st.tuples(_KEYS, _VALUES), max_size=6))
def test_query_validation_agrees_with_fastapi(path: str, pairs: list[tuple[str, str]]) -> None:
    sent = Sent("POST", path, "&".join(f"{k}={v}" for k, v in pairs).encode())
    ours, theirs = call(OURS, sent), call(THEIRS, sent)
    assert (ours.status, ours.body) == (theirs.status, theirs.body)
