"""A reference Server-Sent Events parser, written from the WHATWG HTML spec.

html.spec.whatwg.org/multipage/server-sent-events.html, §9.2.5 "Parsing an event
stream" and §9.2.6 "Interpreting an event stream". Deliberately plain: the
input is decoded incrementally and walked one character at a time. Beyond the
spec it records comment lines and retry updates so tests can check them.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class Dispatched:
    type: str
    data: str
    last_event_id: str


@dataclass
class ReferenceEventSource:
    events: list[Dispatched] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    retries: list[int] = field(default_factory=list)
    last_event_id: str = ""  # the event source's "last event ID string"
    _id_buffer: str = ""
    _data: str = ""
    _type: str = ""
    _line: list[str] = field(default_factory=list)
    _after_cr: bool = False
    _started: bool = False

    def __post_init__(self) -> None:
        # §9.2.5: the stream is decoded with "UTF-8 decode" (errors replaced).
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, chunk: bytes) -> None:
        for ch in self._decoder.decode(chunk):
            if not self._started:
                self._started = True
                if ch == "\ufeff":  # one leading BOM is dropped
                    continue
            if self._after_cr:
                self._after_cr = False
                if ch == "\n":  # CRLF is one line end
                    continue
            if ch == "\r":
                self._after_cr = True
                self._end_line()
            elif ch == "\n":
                self._end_line()
            else:
                self._line.append(ch)
        # End of input: a partial line and a partial event are discarded (not dispatched).

    def _end_line(self) -> None:
        line = "".join(self._line)
        self._line.clear()
        if line == "":
            self._dispatch()
        elif line.startswith(":"):
            self.comments.append(line[2:] if line.startswith(": ") else line[1:])
        elif ":" in line:
            name, _, value = line.partition(":")
            self._field(name, value[1:] if value.startswith(" ") else value)
        else:
            self._field(line, "")

    def _field(self, name: str, value: str) -> None:
        if name == "event":
            self._type = value
        elif name == "data":
            self._data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry":
            if value and set(value) <= _DIGITS:
                self.retries.append(int(value))
        # any other field name is ignored

    def _dispatch(self) -> None:
        self.last_event_id = self._id_buffer
        if self._data == "":
            self._data = self._type = ""
            return
        data = self._data[:-1] if self._data.endswith("\n") else self._data
        self.events.append(Dispatched(self._type or "message", data, self.last_event_id))
        self._data = self._type = ""


def parse(stream: bytes, cuts: list[int] | None = None) -> ReferenceEventSource:
    """Parse ``stream`` whole, or fed in pieces split at ``cuts`` (positions, any order)."""
    parser = ReferenceEventSource()
    points = sorted({c % (len(stream) + 1) for c in cuts or []} | {0, len(stream)})
    for start, end in zip(points, points[1:]):
        parser.feed(stream[start:end])
    return parser
