"""Hypothesis fuzzing of the whole request pipeline.

Random methods, paths (percent-encoded, dot segments, control bytes),
query strings, headers (Content-Type/Length, cookies, auth, Host, Range)
and bodies (JSON, urlencoded, multipart, mutated multipart, random bytes)
are sent, the way a server would deliver them, to an app with every kind of
parameter, body, dependency and response lane (``fuzz_app.py``).

Every case must hold:

* never a 500 and never an exception escaping the app (ferrule turns any
  bad input into a 4xx, and its own code never fails on it);
* never a hang: each case runs under a 5 s ``fail_after``;
* a complete, well-formed ASGI response (the driver checks the message
  order) whose headers carry no CR, LF or NUL.

The stateful machine sends sequences of such requests, mixed with clients
that vanish mid-body or mid-response, to one app and checks after every
step that ``yield``-dependency teardowns balance and no task is left over.

The number of cases is printed at the end of the session ("security fuzz:
N request cases ran"). A run of this module on the development machine:
550 request cases (200 + 150 property examples, 200 stateful steps).
"""

import asyncio
import base64
import json
import string
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import anyio
import anyio.from_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import sec_driver
from fuzz_app import ROUTES, TEARDOWNS, build_app
from ferrule import App
from ferrule.asgi_core.exceptions import ClientDisconnect
from ferrule.asgi_core.types import Scope
from sec_driver import Outcome, drive, http_scope

pytestmark = pytest.mark.anyio

CASE_TIMEOUT = 5.0
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    static = tmp_path_factory.mktemp("static")
    (static / "a.txt").write_bytes(b"0123456789" * 10)
    return build_app(static)


# --- strategies ---------------------------------------------------------------------------------------------

TCHAR = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
PATH_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "?#%")
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]) | st.text(
    string.ascii_uppercase, min_size=1, max_size=8
)


def percent(data: bytes) -> str:
    return "".join(f"%{byte:02X}" for byte in data)


SEGMENTS = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        ["", ".", "..", "%2e%2e", "%2F", "%5C", "red", "green", "1.5", "1e999", "nan", "-0", "0x10", "%00",
         "12345678-1234-5678-1234-567812345678", "a.txt", "%ED%A0%80", "%FF", "\u00e9".encode().decode("latin-1")]
    ).filter(lambda s: s.isascii()),
    st.text(PATH_CHARS.replace("/", ""), max_size=12),
    st.binary(min_size=1, max_size=6).map(percent),
)


@st.composite
def raw_paths(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:
        return "/" + draw(st.text(PATH_CHARS, max_size=30))
    _, template = draw(st.sampled_from(ROUTES))
    parts = []
    for piece in template.split("/"):
        if piece.startswith("{"):
            parts.append("/".join(draw(st.lists(SEGMENTS, min_size=1, max_size=3))))
        else:
            parts.append(piece)
    path = "/".join(parts)
    return path + draw(st.sampled_from(["", "", "/", "//"]))


QUERY_KEYS = st.sampled_from(["q", "tags", "flag", "ratio", "skip", "limit", "n", "x", ""]) | st.text(TCHAR, max_size=5)
QUERY_VALUES = st.one_of(
    st.sampled_from(["", "1", "-1", "true", "off", "1e999", "nan", "0.5", "a" * 60, "%ZZ", "%00", "%ED%A0%80"]),
    st.text(max_size=10).map(lambda s: quote(s, safe="")),
    st.integers().map(str),
)


@st.composite
def query_strings(draw: st.DrawFn) -> bytes:
    pairs = draw(st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=6))
    separator = draw(st.sampled_from(["&", "&", ";", "&&"]))
    text = separator.join(f"{k}={v}" if draw(st.booleans()) else k for k, v in pairs)
    return text.encode("ascii", "replace")


HEADER_VALUE = st.binary(max_size=40).map(lambda b: bytes(c for c in b if c in b"\t" or 0x20 <= c <= 0x7E or c >= 0x80))
CONTENT_TYPES = st.sampled_from(
    [
        b"application/json",
        b"application/json; charset=utf-8",
        b"application/vnd.x+json",
        b"text/plain",
        b"application/x-www-form-urlencoded",
        b"multipart/form-data; boundary=fz",
        b"multipart/form-data; boundary=\"fz\"",
        b"multipart/form-data",
        b"multipart/form-data; boundary=",
        b'multipart/form-data; boundary="' + b"\\" * 45,
        b"multipart/form-data; boundary=" + b"b" * 250,
        b"multipart/mixed; boundary=fz",
        b"application/octet-stream",
        b"",
        b";;;",
    ]
) | HEADER_VALUE


def authorizations() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from([b"Bearer token", b"Bearer", b"bearer  x", b"Basic", b"Basic !!!!", b"Digest x"]),
        st.binary(max_size=20).map(lambda b: b"Basic " + base64.b64encode(b)),
        HEADER_VALUE,
    )


@st.composite
def header_lists(draw: st.DrawFn, body: bytes, content_type: bytes | None) -> list[tuple[bytes, bytes]]:
    headers: list[tuple[bytes, bytes]] = []
    if content_type is not None:
        headers.append((b"content-type", content_type))
    length = draw(st.sampled_from(["right", "none", "none", "garbage"]))
    if length == "right":
        headers.append((b"content-length", str(len(body)).encode()))
    elif length == "garbage":
        headers.append((b"content-length", draw(st.sampled_from([b"-1", b"abc", b"+1", b"1_0", b"9" * 30, b""]))))
    optional: list[tuple[bytes, st.SearchStrategy[bytes]]] = [
        (b"cookie", st.sampled_from([b"session=abc", b"session", b"=;;=", b"a=\"b", b"session=" + b"x" * 5000]) | HEADER_VALUE),
        (b"authorization", authorizations()),
        (b"x-token", st.sampled_from([b"ok", b"forbidden"]) | HEADER_VALUE),
        (b"x-multi", HEADER_VALUE),
        (b"host", st.sampled_from([b"good.example", b"evil/@x", b"[::1", b""]) | HEADER_VALUE),
        (b"range", st.sampled_from([b"bytes=0-1", b"bytes=-5", b"bytes=5-", b"bytes=-" + b"9" * 50, b"bytes=0-0,2-2,1-1"]) | HEADER_VALUE),
        (b"user-agent", HEADER_VALUE),
        (b"if-none-match", HEADER_VALUE),
        (b"accept-encoding", st.sampled_from([b"gzip", b"br;q=0", b""])),
    ]
    for name, values in optional:
        if draw(st.integers(0, 3)) == 0:
            headers.append((name, draw(values)))
    extra_names = st.text(TCHAR, min_size=1, max_size=10).map(lambda s: s.lower().encode())
    headers += draw(st.lists(st.tuples(extra_names, HEADER_VALUE), max_size=3))
    return headers


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
)
ITEMS = st.fixed_dictionaries(
    {"name": st.text(max_size=5) | st.integers(), "price": st.floats() | st.integers() | st.text(max_size=3)},
    optional={"tags": st.lists(st.text(max_size=3), max_size=3) | st.text(max_size=3), "sub": st.none() | st.dictionaries(st.sampled_from(["label", "weight"]), JSON_VALUES, max_size=2)},
)
ENVELOPES = st.fixed_dictionaries({}, optional={"item": ITEMS | JSON_VALUES, "user": st.fixed_dictionaries({"username": st.text(max_size=4)}) | JSON_VALUES, "importance": st.integers(-2, 2) | JSON_VALUES})
FORM_NAMES = st.sampled_from(["file", "extra", "more", "note", "username", "age", "choices", "hobbies", "x", ""])


@st.composite
def multipart_bodies(draw: st.DrawFn) -> bytes:
    out = b""
    for _ in range(draw(st.integers(0, 4))):
        name = draw(FORM_NAMES).encode()
        disposition = b'form-data; name="' + name + b'"'
        if draw(st.booleans()):
            filename = draw(st.sampled_from(["a.txt", "../../etc/passwd", "", "x\\y.bin", "\u00e9.txt"]) | st.text(max_size=8))
            disposition += b'; filename="' + filename.encode("utf-8", "replace").replace(b'"', b"") + b'"'
        if draw(st.integers(0, 5)) == 0:
            disposition += draw(st.sampled_from([b"; name*=utf-8''zz", b"; filename*=utf-8''..%2Fp", b"; name=\"dup\""]))
        head = b"Content-Disposition: " + disposition + b"\r\n"
        if draw(st.booleans()):
            head += b"Content-Type: " + draw(st.sampled_from([b"text/plain", b"application/octet-stream", b"\x00"])) + b"\r\n"
        content = draw(st.binary(max_size=40) | st.sampled_from([b"1", b"-5", b"abc", b"\r\n--fz", b"--fz--"]))
        out += b"--fz\r\n" + head + b"\r\n" + content + b"\r\n"
    out += draw(st.sampled_from([b"--fz--\r\n", b"--fz--", b"--fz", b"", b"--fz--\r\n\r\n\r\n"]))
    mutation = draw(st.integers(0, 3))
    if mutation == 1 and out:
        out = out[: draw(st.integers(0, len(out)))]
    elif mutation == 2:
        at = draw(st.integers(0, len(out)))
        out = out[:at] + draw(st.binary(min_size=1, max_size=4)) + out[at:]
    return out


JSON_TYPE = st.sampled_from([b"application/json", b"application/json; charset=utf-8", b"application/vnd.x+json"])
BODIES_BY_KIND: dict[str, tuple[st.SearchStrategy[bytes], st.SearchStrategy[bytes]]] = {
    # kind: (bodies, the Content-Type such a body usually comes with)
    "empty": (st.just(b""), CONTENT_TYPES),
    "bytes": (st.binary(max_size=200), CONTENT_TYPES),
    "json": (JSON_VALUES.map(lambda v: json.dumps(v).encode()), JSON_TYPE),
    "item": (ITEMS.map(lambda v: json.dumps(v).encode()), JSON_TYPE),
    "envelope": (ENVELOPES.map(lambda v: json.dumps(v).encode()), JSON_TYPE),
    "urlencoded": (
        st.lists(st.tuples(FORM_NAMES, QUERY_VALUES), max_size=5).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode()),
        st.just(b"application/x-www-form-urlencoded"),
    ),
    "multipart": (multipart_bodies(), st.sampled_from([b"multipart/form-data; boundary=fz", b'multipart/form-data; boundary="fz"'])),
    "hostile-json": (
        st.sampled_from([b"[" * 5000, b'{"a":' * 3000, b"1" * 5000, b"NaN", b'{"name": "x", "price": 1e999}', b'"\xed\xa0\x80"', b'{"name": "\\udc80", "price": "x"}']),
        JSON_TYPE,
    ),
}


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, bytes | None]:
    """A body and its Content-Type: usually the matching one, sometimes any (or none)."""
    body_strategy, type_strategy = BODIES_BY_KIND[draw(st.sampled_from(sorted(BODIES_BY_KIND)))]
    body = draw(body_strategy)
    choice = draw(st.integers(0, 9))
    content_type = draw(type_strategy) if choice < 7 else (None if choice == 9 else draw(CONTENT_TYPES))
    return body, content_type


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    body, content_type = draw(bodies())
    raw_path = draw(raw_paths())
    chunking = draw(st.sampled_from(["one", "bytes", "split"]))
    if chunking == "bytes" and len(body) <= 64:
        chunks = [body[i : i + 1] for i in range(len(body))] or [b""]
    elif chunking == "split" and body:
        cut = draw(st.integers(0, len(body)))
        chunks = [body[:cut], body[cut:]]
    else:
        chunks = [body]
    return {
        "method": draw(METHODS),
        "raw_path": raw_path,
        "query_string": draw(query_strings()),
        "headers": draw(header_lists(body, content_type)),
        "chunks": chunks,
    }


# --- running a case -----------------------------------------------------------------------------------------


def scope_for(case: dict[str, Any]) -> Scope:
    raw_path: str = case["raw_path"]
    # As uvicorn does: the decoded path is UTF-8 with replacement, raw_path the bytes sent.
    return http_scope(
        case["method"],
        unquote(raw_path, errors="replace"),
        case["headers"],
        query_string=case["query_string"],
        raw_path=raw_path.encode("ascii"),
    )


async def run_case(app: App, case: dict[str, Any], counter: str, **faults: Any) -> Outcome:
    sec_driver.FUZZ_CASES[counter] = sec_driver.FUZZ_CASES.get(counter, 0) + 1
    return await drive(app, body=case["chunks"], scope=scope_for(case), timeout=CASE_TIMEOUT, **faults)


def check(outcome: Outcome, case: dict[str, Any]) -> None:
    assert outcome.error is None, f"exception escaped the app: {outcome.error!r} for {case!r}"
    assert outcome.status is not None and outcome.status < 500, f"{outcome.status}: {outcome.body[:300]!r} for {case!r}"
    assert outcome.response_complete
    for name, value in outcome.headers:
        assert not any(c in name + value for c in b"\r\n\x00"), (name, value)


@settings(FUZZ, max_examples=200)
@given(case=requests())
async def test_random_requests_never_500_escape_or_hang(app: App, case: dict[str, Any]) -> None:
    """Fuzz the whole pipeline with random requests: see the module docstring for the properties."""
    check(await run_case(app, case, "random-requests"), case)


@settings(FUZZ, max_examples=150)
@given(
    route=st.sampled_from([("POST", "/items"), ("PUT", "/items/1"), ("PATCH", "/items/1"), ("POST", "/form"), ("POST", "/upload"), ("POST", "/form-model"), ("POST", "/raw-json"), ("POST", "/raw-form")]),
    typed_body=bodies(),
)
async def test_random_bodies_to_body_routes(app: App, route: tuple[str, str], typed_body: tuple[bytes, bytes | None]) -> None:
    """Fuzz the body readers more densely: every body kind against every body-taking route."""
    (method, path), (body, content_type) = route, typed_body
    headers = [] if content_type is None else [(b"content-type", content_type)]
    case = {"method": method, "raw_path": path, "query_string": b"", "headers": headers, "chunks": [body]}
    check(await run_case(app, case, "random-bodies"), case)


# --- stateful ---------------------------------------------------------------------------------------------------


class PipelineMachine(RuleBasedStateMachine):
    """Sequences of requests, some from clients that vanish, against one long-lived app."""

    target: App

    def __init__(self) -> None:
        super().__init__()
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self.portal = self._portal_cm.__enter__()
        self.baseline = self.portal.call(_task_count)

    def teardown(self) -> None:
        self._portal_cm.__exit__(None, None, None)

    def _run(self, case: dict[str, Any], **faults: Any) -> Outcome:
        async def go() -> Outcome:
            return await run_case(self.target, case, "stateful", **faults)

        return self.portal.call(go)

    @rule(case=requests())
    def well_behaved_client(self, case: dict[str, Any]) -> None:
        check(self._run(case), case)

    @rule(case=requests(), after=st.integers(0, 2))
    def client_vanishes_mid_body(self, case: dict[str, Any], after: int) -> None:
        outcome = self._run(case, disconnect_after_chunks=after)
        assert outcome.error is None or isinstance(outcome.error, (ClientDisconnect, OSError)), repr(outcome.error)
        assert outcome.status is None or outcome.status < 500 or isinstance(outcome.error, (ClientDisconnect, OSError))

    @rule(path=st.sampled_from(["/jsonl?n=5", "/sse?n=5", "/stream", "/download", "/static/a.txt"]), after=st.integers(0, 2))
    def client_vanishes_mid_response(self, path: str, after: int) -> None:
        raw_path, _, query = path.partition("?")
        case = {"method": "GET", "raw_path": raw_path, "query_string": query.encode(), "headers": [], "chunks": [b""]}
        outcome = self._run(case, drop_response_after=after)
        assert outcome.error is None or isinstance(outcome.error, OSError), repr(outcome.error)

    @invariant()
    def teardowns_balance(self) -> None:
        for kind in ("async", "sync", "function"):
            assert TEARDOWNS[f"{kind}+"] == TEARDOWNS[f"{kind}-"], dict(TEARDOWNS)

    @invariant()
    def no_task_left_over(self) -> None:
        assert self.portal.call(_task_count) <= self.baseline


async def _task_count() -> int:
    for _ in range(3):
        await anyio.sleep(0)
    current = asyncio.current_task()
    return sum(1 for task in asyncio.all_tasks() if task is not current and not task.done())


def test_stateful_request_sequences(app: App) -> None:
    """Stateful fuzzing: request sequences with vanishing clients keep teardowns balanced and leak no task."""
    PipelineMachine.target = app
    run_state_machine_as_test(  # type: ignore[no-untyped-call]
        PipelineMachine,
        settings=settings(max_examples=20, stateful_step_count=10, deadline=None, suppress_health_check=[HealthCheck.too_slow]),
    )

