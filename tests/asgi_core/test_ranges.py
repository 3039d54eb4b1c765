"""ranges.parse_range_header: property tests against a set-of-indices model, hostile input."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.asgi_core.ranges import UNSATISFIABLE, Unsatisfiable, parse_range_header

Spec = tuple[int | None, int | None]  # (first, last) / (None, suffix) / (first, None)


def render(specs: list[Spec], sep: str = ",") -> str:
    parts = []
    for first, last in specs:
        parts.append(f"{'' if first is None else first}-{'' if last is None else last}")
    return "bytes=" + sep.join(parts)


def reference(specs: list[Spec], size: int) -> list[tuple[int, int]] | Unsatisfiable:
    """Every selected byte index, as a set, turned into sorted runs."""
    indices: set[int] = set()
    for first, last in specs:
        if first is None:
            assert last is not None
            indices.update(range(max(size - last, 0), size))
        elif last is None:
            indices.update(range(first, size))
        else:
            indices.update(range(first, min(last, size - 1) + 1))
    if not indices:
        return UNSATISFIABLE
    runs: list[tuple[int, int]] = []
    for index in sorted(indices):
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


positions = st.integers(min_value=0, max_value=120)


@st.composite
def valid_spec(draw: st.DrawFn) -> Spec:
    kind = draw(st.sampled_from(["int", "open", "suffix"]))
    if kind == "suffix":
        return (None, draw(positions))
    first = draw(positions)
    if kind == "open":
        return (first, None)
    return (first, first + draw(st.integers(min_value=0, max_value=60)))


@settings(max_examples=200, deadline=None)
@given(specs=st.lists(valid_spec(), min_size=1, max_size=12), size=st.integers(min_value=1, max_value=100))
def test_matches_reference_model(specs: list[Spec], size: int) -> None:
    assert parse_range_header(render(specs), size, max_ranges=1000) == reference(specs, size)


@settings(max_examples=100, deadline=None)
@given(
    specs=st.lists(valid_spec(), min_size=1, max_size=12),
    size=st.integers(min_value=1, max_value=100),
    sep=st.sampled_from([",", ", ", " ,\t", ",,", " , , "]),
)
def test_list_whitespace_and_empty_elements(specs: list[Spec], size: int, sep: str) -> None:
    assert parse_range_header(render(specs, sep), size, max_ranges=1000) == reference(specs, size)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="bytes=0123456789-, \t*x", max_size=30), size=st.integers(0, 50))
def test_arbitrary_text_never_raises(text: str, size: int) -> None:
    result = parse_range_header(text, size, max_ranges=5)
    if isinstance(result, list):
        assert 1 <= len(result) <= 5
        for start, stop in result:
            assert 0 <= start < stop <= size
        assert all(a[1] < b[0] for a, b in zip(result, result[1:]))  # sorted, disjoint, non-adjacent


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-0", 10, [(0, 1)]),
        ("bytes=0-", 10, [(0, 10)]),
        ("bytes=-3", 10, [(7, 10)]),
        ("bytes=5-99", 10, [(5, 10)]),  # last-pos clamped
        ("bytes=-500", 10, [(0, 10)]),  # oversized suffix: the whole file
        ("bytes=-99999999999999999999999999999999", 10, [(0, 10)]),
        ("BYTES=1-2", 10, [(1, 3)]),  # unit is case-insensitive
        ("bytes=0-1,2-3", 10, [(0, 4)]),  # adjacent merged
        ("bytes=6-7,0-1", 10, [(0, 2), (6, 8)]),  # sorted
        ("bytes=0-1,20-30", 10, [(0, 2)]),  # unsatisfiable spec dropped
        ("bytes=00000000000000000000000000000003-4", 10, [(3, 5)]),
    ],
)
def test_examples(header: str, size: int, expected: list[tuple[int, int]]) -> None:
    assert parse_range_header(header, size, 100) == expected


@pytest.mark.parametrize(
    "header",
    [
        "bytes=10-20",
        "bytes=10-",
        "bytes=-0",
        "bytes=10-11,-0",
        "bytes=" + "9" * 5000 + "-",  # over CPython's int() digit limit
    ],
)
def test_unsatisfiable(header: str) -> None:
    assert parse_range_header(header, 10, 100) is UNSATISFIABLE


@pytest.mark.parametrize(
    "header",
    [
        "",
        "bytes",
        "bytes=",
        "bytes=,",
        "bytes=-",
        "bytes=a-b",
        "bytes=5-1",  # last before first: invalid
        "bytes=0-1,5-1",
        "bytes=1",
        "bytes=0x1-2",
        "bytes=+1-2",
        "bytes=1_0-20",  # int() would accept the underscore
        "bytes=\u0661-2",  # ARABIC-INDIC DIGIT ONE: int() would accept it
        "bytes=1 - 2",
        "items=0-1",  # unknown unit: ignored
        "bytes=0-1;q=2",
    ],
)
def test_malformed_is_ignored(header: str) -> None:
    assert parse_range_header(header, 10, 100) is None


def test_empty_representation_ignores_range() -> None:
    assert parse_range_header("bytes=0-5", 0, 100) is None
    assert parse_range_header("bytes=-5", 0, 100) is None


def test_cap_applies_after_merging() -> None:
    many = ",".join(f"{i * 2}-{i * 2}" for i in range(101))  # 101 disjoint ranges
    assert parse_range_header("bytes=" + many, 1000, 100) is None
    assert parse_range_header("bytes=" + many, 1000, 101) is not None
    overlapping = ",".join(f"{i}-{i + 5}" for i in range(500))  # one range after merging
    assert parse_range_header("bytes=" + overlapping, 1000, 1) == [(0, 505)]


def test_ten_thousand_overlapping_unsorted_ranges_are_fast() -> None:
    specs = ",".join(f"{(i * 7919) % 10_000}-{(i * 7919) % 10_000 + 50}" for i in range(10_000))
    started = time.perf_counter()
    result = parse_range_header("bytes=" + specs, 1_000_000, 100)
    elapsed = time.perf_counter() - started
    assert result == [(0, 10_050)]
    # A quadratic merge takes seconds here; the linear-ish one takes milliseconds.
    assert elapsed < 2.0  # generous: a loaded 2-core CI machine must not fail it


def test_ten_thousand_disjoint_ranges_are_capped_fast() -> None:
    specs = ",".join(f"{i * 3}-{i * 3}" for i in reversed(range(10_000)))
    started = time.perf_counter()
    assert parse_range_header("bytes=" + specs, 1_000_000, 100) is None
    assert time.perf_counter() - started < 2.0
