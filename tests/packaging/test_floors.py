"""The minimum-versions job installs exactly the floors that pyproject.toml declares.

``.ci/run``'s ``py3.10-min-versions-tests`` job installs with
``-c .ci/constraints-min.txt`` (pip enforces its ``==`` pins): that file must pin
every runtime dependency at its declared lower bound, and nothing else of them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = None


def _dependencies() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if tomllib is not None:
        deps: list[str] = tomllib.loads(text)["project"]["dependencies"]
        return deps
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M)
    assert block is not None, "pyproject.toml has no [project] dependencies list"
    return re.findall(r'"([^"]+)"', block.group(1))


def _floors() -> dict[str, str]:
    floors = {}
    for requirement in _dependencies():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][^,;\s]*)\s*(,\s*<\s*[0-9][^,;\s]*)?", requirement)
        assert match, f"{requirement!r}: every runtime dependency needs a floor (>=X) and at most a cap (<Y)"
        floors[match.group(1).lower().replace("_", "-")] = match.group(2)
    return floors


def _min_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / ".ci" / "constraints-min.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints-min.txt: {line!r} is not an exact pin (name==version)"
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def _same_version(a: str, b: str) -> bool:
    # "2.9" and "2.9.0" are the same release for pip.
    def parts(v: str) -> list[int]:
        numbers = [int(p) for p in v.split(".")]
        while numbers and numbers[-1] == 0:
            numbers.pop()
        return numbers

    return parts(a) == parts(b)


def test_min_constraints_pin_exactly_the_declared_floors() -> None:
    floors, pins = _floors(), _min_pins()
    assert set(floors) == set(pins), f"pyproject floors {sorted(floors)} vs constraints-min pins {sorted(pins)}"
    wrong = {name: (floors[name], pins[name]) for name in floors if not _same_version(floors[name], pins[name])}
    assert not wrong, f"floor in pyproject.toml vs pin in .ci/constraints-min.txt differ: {wrong}"
