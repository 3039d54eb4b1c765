"""Parse a ``Range: bytes=...`` header into merged byte ranges (pure, no I/O).

Grammar (SPEC: RFC 9110 §14.1.1, §14.1.2, list rule §5.6.1)::

    Range         = range-unit "=" range-set
    range-set     = 1#range-spec          ; commas, OWS, empty elements allowed
    range-spec    = int-range / suffix-range / other-range
    int-range     = first-pos "-" [ last-pos ]
    suffix-range  = "-" suffix-length
    first-pos, last-pos, suffix-length = 1*DIGIT

Rules:

* Ranges are returned **half-open**, ``(start, stop)`` with ``stop`` exclusive,
  sorted ascending, with overlapping *and* adjacent ranges merged (RFC 9110
  §14.6 lets a server coalesce ranges; the parts of a multipart answer carry
  their own ``Content-Range``, so the order change is visible to clients).
* ``None`` means "ignore the header and send the whole representation" (200):
  a unit other than ``bytes`` (§14.2 "MUST ignore"), any syntax error, an
  ``int-range`` whose last-pos is before its first-pos (§14.1.2 "invalid"), an
  empty representation (there is no byte to select), and more than
  ``max_ranges`` ranges *after merging*. Ignoring an abusive header costs no
  more than a plain GET, while a 416 would break well-meaning clients.
* ``Unsatisfiable`` means 416 with ``Content-Range: bytes */size``: the syntax
  is valid but no range-spec selects a byte (first-pos >= size, or a
  zero-length suffix).
* Unsatisfiable specs next to satisfiable ones are dropped (§14.1.2).
* last-pos beyond the end and suffix-length beyond the size are clamped.
* Cost: one linear scan plus one sort, so 10,000 overlapping unsorted ranges
  are cheap. Huge digit strings never reach ``int()`` (CPython limits
  str-to-int conversion to 4300 digits and would raise).
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_MAX_RANGES", "UNSATISFIABLE", "Unsatisfiable", "parse_range_header"]

DEFAULT_MAX_RANGES: Final = 100
"""How many ranges (after merging) a multipart answer may have by default."""

# Any position with more digits than this is beyond every real file size.
_MAX_DIGITS: Final = 18
_HUGE: Final = 1 << 64
_DIGITS: Final = frozenset("0123456789")
_OWS: Final = " \t"


class Unsatisfiable:
    """The Range header is valid but selects no byte: answer 416 (RFC 9110 §15.5.17)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSATISFIABLE"


UNSATISFIABLE: Final = Unsatisfiable()
"""The one ``Unsatisfiable`` instance ``parse_range_header`` returns."""


def _position(text: str) -> int | None:
    """``1*DIGIT`` as an int (ASCII digits only), or None when not digits."""
    if not text or not _DIGITS.issuperset(text):
        return None
    if len(text) > _MAX_DIGITS:
        text = text.lstrip("0") or "0"
        if len(text) > _MAX_DIGITS:
            return _HUGE
    return int(text)


def parse_range_header(
    value: str, size: int, max_ranges: int = DEFAULT_MAX_RANGES
) -> list[tuple[int, int]] | None | Unsatisfiable:
    """Parse a ``Range`` header value for a representation of ``size`` bytes.

    Args:
        value: the header value, e.g. ``"bytes=0-99, -500"``.
        size: the length of the selected representation, in bytes.
        max_ranges: the most ranges (after merging) to honour.

    Returns:
        Sorted, merged half-open ``(start, stop)`` ranges; ``None`` to ignore
        the header (send 200); or ``UNSATISFIABLE`` (send 416).
    """
    unit, eq, range_set = value.partition("=")
    # SPEC: RFC 9110 §14.1 - range units are case-insensitive tokens.
    if not eq or unit.strip(_OWS).lower() != "bytes":
        return None
    if size <= 0:
        return None
    found: list[tuple[int, int]] = []
    seen_spec = False
    for element in range_set.split(","):
        spec = element.strip(_OWS)
        if not spec:
            continue  # SPEC: RFC 9110 §5.6.1 - empty list elements are ignored
        seen_spec = True
        first_text, dash, last_text = spec.partition("-")
        if not dash:
            return None
        if not first_text:
            # suffix-range: the last N bytes.
            suffix = _position(last_text)
            if suffix is None:
                return None
            if suffix > 0:
                found.append((max(size - suffix, 0), size))
            continue
        first = _position(first_text)
        if first is None:
            return None
        if last_text:
            last = _position(last_text)
            if last is None:
                return None
            if last < first:
                return None  # SPEC: RFC 9110 §14.1.2 - such a range-set is invalid
            stop = min(last + 1, size)
        else:
            stop = size
        if first < size:
            found.append((first, stop))
    if not seen_spec:
        return None
    if not found:
        return UNSATISFIABLE
    found.sort()
    merged: list[tuple[int, int]] = []
    start, stop = found[0]
    for next_start, next_stop in found[1:]:
        if next_start <= stop:  # overlapping or adjacent
            if next_stop > stop:
                stop = next_stop
        else:
            merged.append((start, stop))
            if len(merged) >= max_ranges:
                return None
            start, stop = next_start, next_stop
    merged.append((start, stop))
    if len(merged) > max_ranges:
        return None
    return merged
