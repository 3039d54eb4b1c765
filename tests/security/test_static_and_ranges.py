"""Static files and byte ranges: path traversal and Range-header denial of service.

The app under test is a real ``App`` with ``StaticFiles`` mounted at
``/static`` and a ``FileResponse`` route, driven like a server drives it
(``scope["path"]`` percent-decoded, ``raw_path`` as sent).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from ferrule import App
from ferrule.asgi_core.ranges import DEFAULT_MAX_RANGES, UNSATISFIABLE, parse_range_header
from ferrule.responses import FileResponse
from ferrule.staticfiles import StaticFiles
from sec_driver import cpu_seconds, drive

pytestmark = pytest.mark.anyio

SIZE = 1000
CONTENT = bytes(range(256)) * 3 + bytes(SIZE - 768)
SECRET = b"TOP-SECRET-KEY"


@pytest.fixture
def site(tmp_path: Path) -> App:
    public = tmp_path / "pub"
    (public / "sub").mkdir(parents=True)
    (public / "a.txt").write_bytes(CONTENT)
    (public / "sub" / "b.txt").write_bytes(b"b")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    # A sibling whose name starts with the served directory's name.
    (tmp_path / "pub-private").mkdir()
    (tmp_path / "pub-private" / "key.txt").write_bytes(SECRET)
    app = App()
    app.mount("/static", StaticFiles(directory=public))

    @app.get("/file")
    async def file() -> FileResponse:
        return FileResponse(public / "a.txt")

    return app


# --- path traversal ---------------------------------------------------------------------------

TRAVERSALS = [
    # (scope path as the server decoded it, raw_path as sent)
    ("/static/../secret.txt", b"/static/../secret.txt"),
    ("/static/../secret.txt", b"/static/%2e%2e/secret.txt"),
    ("/static/../secret.txt", b"/static/%2E%2E/secret.txt"),
    ("/static/../secret.txt", b"/static/.%2e/secret.txt"),
    ("/static/sub/../../secret.txt", b"/static/sub/../../secret.txt"),
    ("/static/../pub-private/key.txt", b"/static/%2e%2e/pub-private/key.txt"),
    ("/static/../secret.txt", b"/static/..%2fsecret.txt"),
    ("/static/../secret.txt", b"/static/..%2Fsecret.txt"),
    ("/static/..\\secret.txt", b"/static/..%5csecret.txt"),
    ("/static/..\\secret.txt", b"/static/..\\secret.txt"),
    ("/static/sub\\..\\..\\secret.txt", b"/static/sub\\..\\..\\secret.txt"),
    ("/static/%2e%2e/secret.txt", b"/static/%252e%252e/secret.txt"),
    ("/static//etc/passwd", b"/static//etc/passwd"),
    ("/static//tmp", b"/static//tmp"),
    ("/static/\\\\host\\share\\secret.txt", b"/static/\\\\host\\share\\secret.txt"),
    ("/static///host/share", b"/static///host/share"),
    ("/static/C:/Windows/win.ini", b"/static/C:/Windows/win.ini"),
    ("/static/C:\\secret.txt", b"/static/C:%5csecret.txt"),
    ("/static/./a.txt/..", b"/static/./a.txt/.."),
]


@pytest.mark.parametrize(("path", "raw_path"), TRAVERSALS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_static_path_traversal_is_refused(site: App, path: str, raw_path: bytes, method: str) -> None:
    """Bug class: directory traversal out of a static directory.

    Advisory: Starlette's ``StaticFiles`` checked containment with a string
    prefix of the joined path, so files outside the directory (a sibling
    sharing its name prefix, or paths the OS normalised differently) could
    be read (CVE-2023-29159). ferrule refuses ``..``/``.``, ``%2e%2e`` (decoded
    by the server), encoded slashes and backslashes, empty segments (absolute
    and UNC paths), Windows drives and backslashes before touching the
    filesystem: 404, and never a byte of a file outside the directory.
    """
    outcome = await drive(site, method, path, raw_path=raw_path)
    assert outcome.error is None
    assert outcome.status == 404
    assert SECRET not in outcome.body


@pytest.mark.parametrize(
    ("path", "raw_path"),
    [
        ("/static/a.txt\x00.png", b"/static/a.txt%00.png"),
        ("/static/\x00../secret.txt", b"/static/%00../secret.txt"),
        ("/static/a.txt\r\nX-Injected: 1", b"/static/a.txt%0d%0aX-Injected:%201"),
        ("/static/\x1b[31m", b"/static/%1b[31m"),
        ("/static/a\x7f", b"/static/a%7f"),
    ],
)
async def test_static_path_with_nul_or_control_characters_is_400(site: App, path: str, raw_path: bytes) -> None:
    """Bug class: NUL-byte truncation and control characters in file paths.

    Advisory class: a NUL in a path truncates it in C APIs (``a.txt%00.png``
    passing an extension check, then opening ``a.txt``); CR/LF in a path
    echoed into a header splits the response. They are never file-name
    characters: 400 before the filesystem is touched.
    """
    outcome = await drive(site, "GET", path, raw_path=raw_path)
    assert outcome.status == 400
    assert outcome.json() == {"detail": "invalid character in path"}
    assert all(b"\r" not in v and b"\n" not in v for _, v in outcome.headers)


async def test_files_inside_the_directory_are_still_served(site: App) -> None:
    """The control for the refusals above: the same app serves its own files."""
    outcome = await drive(site, "GET", "/static/sub/b.txt")
    assert (outcome.status, outcome.body) == (200, b"b")


# --- Range ----------------------------------------------------------------------------------------


def _overlapping(count: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    specs = []
    for _ in range(count):
        start = rng.randrange(SIZE - 100)
        specs.append(f"{start}-{start + rng.randrange(1, 100)}")
    return "bytes=" + ",".join(specs)


def _reference_merge(header: str) -> list[tuple[int, int]]:
    spans = sorted((int(a), min(int(b) + 1, SIZE)) for a, b in (s.split("-") for s in header[6:].split(",")))
    merged: list[tuple[int, int]] = []
    for start, stop in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def test_10000_overlapping_unsorted_ranges_merge_in_linear_time() -> None:
    """Bug class: quadratic Range merging (CPU denial of service with one header).

    Advisory: Starlette's ``FileResponse`` merged the ranges of a Range header
    with a quadratic algorithm, so one request listing thousands of
    overlapping, unsorted ranges burned seconds of CPU (CVE-2025-62727).
    ferrule does one scan and one sort: 4x the ranges cost at most ~4x
    (bound 10x for noise), and the result is the correct merge.
    """
    small, large = _overlapping(10_000), _overlapping(40_000, seed=8)
    assert parse_range_header(small, SIZE) == _reference_merge(small)
    t_small = cpu_seconds(lambda: parse_range_header(small, SIZE), repeat=3)
    t_large = cpu_seconds(lambda: parse_range_header(large, SIZE), repeat=3)
    assert t_large < 0.5, f"40,000 ranges took {t_large:.3f} s"
    assert t_large < 10 * t_small + 0.005, f"not linear: {t_small:.4f} s -> {t_large:.4f} s"


@pytest.mark.parametrize("url", ["/file", "/static/a.txt"])
async def test_10000_overlapping_ranges_end_to_end(site: App, url: str) -> None:
    """The same header through a route: one 206 with the merged range(s), quickly."""
    header = _overlapping(10_000)
    merged = _reference_merge(header)
    start = time.thread_time()
    outcome = await drive(site, "GET", url, [(b"range", header.encode())])
    assert time.thread_time() - start < 1.0
    assert outcome.status == 206
    if len(merged) == 1:
        (first, stop), = merged
        assert outcome.header(b"content-range") == f"bytes {first}-{stop - 1}/{SIZE}".encode()
        assert outcome.body == CONTENT[first:stop]
    else:
        assert (outcome.header(b"content-type") or b"").startswith(b"multipart/byteranges")


@pytest.mark.parametrize(("count", "status"), [(DEFAULT_MAX_RANGES, 206), (DEFAULT_MAX_RANGES + 1, 200), (SIZE // 2, 200)])
async def test_the_number_of_ranges_is_capped(site: App, count: int, status: int) -> None:
    """Bug class: one request asking for thousands of multipart/byteranges parts.

    Advisory class: Apache's "Range header DoS" (CVE-2011-3192, "Apache
    Killer") — many small disjoint ranges multiply the response size and
    the server's work per byte. More than ``max_ranges`` (100) disjoint
    ranges after merging: the header is ignored and the file sent once (200).
    """
    header = "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 2 * count, 2))
    outcome = await drive(site, "GET", "/file", [(b"range", header.encode())])
    assert outcome.status == status
    if status == 200:
        assert outcome.body == CONTENT
    else:
        assert outcome.body.count(b"Content-Range: bytes ") == count


@pytest.mark.parametrize(
    ("header", "status", "content_range"),
    [
        (b"bytes=-" + b"9" * 30, 206, b"bytes 0-999/1000"),
        (b"bytes=-" + b"9" * 10_000, 206, b"bytes 0-999/1000"),
        (b"bytes=-" + b"0" * 10_000 + b"5", 206, b"bytes 995-999/1000"),
        (b"bytes=0-" + b"9" * 10_000, 206, b"bytes 0-999/1000"),
        (b"bytes=" + b"9" * 10_000 + b"-", 416, b"bytes */1000"),
        (b"bytes=-0", 416, b"bytes */1000"),
        (b"bytes=-1001", 206, b"bytes 0-999/1000"),
        (b"bytes=-5,-" + b"9" * 5000, 206, b"bytes 0-999/1000"),
        (b"bytes=\xd9\xa1-\xd9\xa2", 200, None),  # Arabic-Indic digits are not DIGIT
        (b"bytes=+1-2", 200, None),
        (b"bytes=1_0-20", 200, None),
    ],
)
async def test_oversized_and_odd_range_numbers(site: App, header: bytes, status: int, content_range: bytes | None) -> None:
    """Bug class: huge or non-ASCII numbers in Range (int() errors, overflow, 500s).

    Advisory class: Range parsers that call ``int()`` on arbitrary digit
    strings raise on 4300+ digits (CPython's CVE-2020-10735 limit) or
    accept ``+1``/``1_0``/non-ASCII digits, and ones that do not clamp a
    suffix beyond the file size compute negative offsets. ferrule clamps
    oversized suffixes and last-positions, answers 416 for a first position
    past the end, and ignores anything that is not ``1*DIGIT`` (200).
    """
    outcome = await drive(site, "GET", "/file", [(b"range", header)])
    assert outcome.error is None
    assert outcome.status == status
    assert outcome.header(b"content-range") == content_range
    if status == 206 and content_range is not None:
        first, last = map(int, content_range[6:].split(b"/")[0].split(b"-"))
        assert outcome.body == CONTENT[first : last + 1]


def test_range_parser_never_raises_on_garbage() -> None:
    """The parser contract behind the tests above: a list, None or UNSATISFIABLE, never an exception."""
    rng = random.Random(3)
    alphabet = "0123456789-, =bytes\t\x00\u0661"
    for _ in range(2000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
        result = parse_range_header(value, SIZE)
        if isinstance(result, list):
            assert all(0 <= a < b <= SIZE for a, b in result)
        else:
            assert result is None or result is UNSATISFIABLE
