"""SSE framing: round trips through a WHATWG reference parser, exact bytes, hostile fields."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from ferrule.streaming import (
    KEEPALIVE_COMMENT,
    ServerSentEvent,
    encode_event,
    format_sse_event,
    frame_data,
    jsonable_json,
)
from sse_reference import Dispatched, parse

# Text that stresses the framer: every SSE line ending, look-alike line breaks
# that SSE does NOT treat as line ends (U+2028, NEL, VT, FF), NUL, BOM, colons.
_TRICKY = ["\r", "\n", "\r\n", "\n\r", "\u2028", "\x85", "\x0b", "\x0c", "\0", "\ufeff", " ", ":", "é", "😀"]


def _text(excluded: str = "") -> st.SearchStrategy[str]:
    # Built without filters: rejection sampling would make generation slow.
    tricky = [t for t in _TRICKY if not set(t) & set(excluded)]
    plain = st.text(st.characters(exclude_characters=excluded, exclude_categories=["Cs"]), max_size=4)
    return st.lists(st.one_of(plain, st.sampled_from(tricky)), max_size=6).map("".join)


text = _text()
single_line = _text("\r\n")
event_ids = _text("\r\n\0")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)


_payload_kind = st.sampled_from(["data", "raw", "none"])
_maybe_event = st.none() | single_line
_maybe_id = st.none() | event_ids
_maybe_retry = st.none() | st.integers(0, 2**31)
_maybe_comment = st.none() | text


@st.composite
def events(draw: st.DrawFn) -> ServerSentEvent:
    # Strategies are built once, above: building them per draw re-validates them (slow).
    payload = draw(_payload_kind)
    return ServerSentEvent(
        data=draw(json_values) if payload == "data" else None,
        raw_data=draw(text) if payload == "raw" else None,
        event=draw(_maybe_event),
        id=draw(_maybe_id),
        retry=draw(_maybe_retry),
        comment=draw(_maybe_comment),
    )


def _lf(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def expected(evs: list[ServerSentEvent]) -> tuple[list[Dispatched], list[str], list[int]]:
    """What a WHATWG client must see for ``evs``, computed from the events alone."""
    dispatched: list[Dispatched] = []
    comments: list[str] = []
    retries: list[int] = []
    last_id = ""
    for ev in evs:
        if ev.comment is not None:
            comments.extend(_lf(ev.comment).split("\n"))
        if ev.id is not None:
            last_id = ev.id
        if ev.retry is not None:
            retries.append(ev.retry)
        wire: str | None = ev.raw_data
        if wire is None and ev.data is not None:
            wire = json.dumps(ev.data)
        if wire is not None:
            dispatched.append(Dispatched(ev.event or "message", _lf(wire), last_id))
    return dispatched, comments, retries


@settings(max_examples=100, deadline=None)
@given(st.lists(events(), max_size=5), st.lists(st.integers(min_value=0), max_size=8))
def test_frames_round_trip_through_reference_parser(evs: list[ServerSentEvent], cuts: list[int]) -> None:
    stream = b"".join(encode_event(ev) for ev in evs)
    want = expected(evs)
    whole = parse(stream)
    assert (whole.events, whole.comments, whole.retries) == want
    # The same bytes fed in arbitrary pieces (CRLF and UTF-8 sequences split) give the same events.
    pieces = parse(stream, cuts)
    assert (pieces.events, pieces.comments, pieces.retries) == want
    # JSON data comes back as the same value.
    producing = [ev for ev in evs if ev.data is not None or ev.raw_data is not None]
    for ev, got in zip(producing, whole.events, strict=True):
        if ev.data is not None:
            assert json.loads(got.data) == ev.data


@settings(max_examples=40, deadline=None)
@given(st.lists(events(), max_size=3), events())
def test_every_frame_ends_on_an_event_boundary(evs: list[ServerSentEvent], last: ServerSentEvent) -> None:
    """A keepalive between any two frames changes nothing a client sees."""
    framed = [encode_event(ev) for ev in evs + [last]]
    plain = parse(b"".join(framed))
    with_pings = parse(KEEPALIVE_COMMENT + KEEPALIVE_COMMENT.join(framed) + KEEPALIVE_COMMENT)
    assert with_pings.events == plain.events
    assert with_pings.retries == plain.retries


@settings(max_examples=60, deadline=None)
@given(text)
def test_frame_data_splits_lines_like_the_spec(value: str) -> None:
    got = parse(frame_data(value.encode("utf-8")))
    assert got.events == [Dispatched("message", _lf(value), "")]


def test_bytes_match_fastapi_format() -> None:
    # COMPAT(fastapi): field order comment, event, data, id, retry; json.dumps spacing.
    ev = ServerSentEvent(data={"a": 1, "é": [1.5]}, event="e", id="7", retry=5, comment="hi\r\nthere")
    assert encode_event(ev) == b': hi\n: there\nevent: e\ndata: {"a": 1, "\\u00e9": [1.5]}\nid: 7\nretry: 5\n\n'
    assert encode_event(ServerSentEvent(raw_data="l1\rl2\n\nl3", event="")) == (
        b"event: \ndata: l1\ndata: l2\ndata: \ndata: l3\n\n"
    )
    assert encode_event(ServerSentEvent()) == b"\n"
    assert encode_event(ServerSentEvent(data="hello")) == b'data: "hello"\n\n'
    assert encode_event(ServerSentEvent(id="")) == b"id: \n\n"
    assert KEEPALIVE_COMMENT == b": ping\n\n"
    assert format_sse_event(retry=3000) == b"retry: 3000\n\n"


def test_model_data_uses_model_dump_json_and_encode_data_is_pluggable() -> None:
    class Item(BaseModel):
        name: str
        price: float

    assert encode_event(ServerSentEvent(data=Item(name="x", price=1.0))) == b'data: {"name":"x","price":1.0}\n\n'
    seen: list[Any] = []

    def encode(value: Any) -> bytes:
        seen.append(value)
        return b"<%d>" % len(seen)

    assert encode_event(ServerSentEvent(data=[1, 2]), encode) == b"data: <1>\n\n"
    assert seen == [[1, 2]]


def test_default_json_is_fastapi_untyped_encoding() -> None:
    assert jsonable_json({"x": float("nan"), "y": [float("inf"), 1]}) == b'{"x": null, "y": [null, 1]}'
    assert jsonable_json("é\n") == b'"\\u00e9\\n"'


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"event": "a\nb"}, "'event' must be a single line"),
        ({"event": "a\rb"}, "'event' must be a single line"),
        ({"id": "1\n2"}, "'id' must be a single line"),
        ({"id": "1\r\n"}, "'id' must be a single line"),
        ({"id": "1\x002"}, "'id' must not contain NUL"),
        ({"data": 1, "raw_data": "1"}, "either 'data'"),
        ({"retry": -1}, "greater than or equal to 0"),
    ],
)
def test_model_refuses_fields_that_would_break_the_stream(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ServerSentEvent(**fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"event": "x\ndata: injected"}, "'event' must be a single line"),
        ({"id": "x\r"}, "'id' must be a single line"),
        ({"id": "\0"}, "'id' must not contain NUL"),
        ({"retry": -5}, "'retry' must be an integer >= 0"),
        ({"retry": True}, "'retry' must be an integer >= 0"),
    ],
)
def test_format_refuses_injection(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        format_sse_event(**fields)


def test_fields_mutated_after_validation_are_checked_again() -> None:
    ev = ServerSentEvent(data=1, event="ok")
    ev.event = "ok\n\ndata: forged"
    with pytest.raises(ValueError, match="'event' must be a single line"):
        encode_event(ev)
