"""`python -m bench instructions`: the per-request arithmetic, the child run and the argument errors.

valgrind itself is not run here (a minute per run): `_count` is replaced where
the table is checked, and the child is run directly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import instructions  # noqa: E402


def test_instructions_per_request_subtract_the_startup_run(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(instructions.shutil, "which", lambda name: "/usr/bin/valgrind")
    # startup 1,000,000 (A) and 1,200,000 (B); 100 and 105 per request
    counts = {("a", 0): 1_000_000, ("a", 10): 1_001_000, ("b", 0): 1_200_000, ("b", 10): 1_201_050}

    def fake(python: str, harness: Path, name: str, requests: int) -> int:
        assert (harness / "bench" / "harness.py").is_file()  # the harness copy is what runs
        return counts[("a" if python == "A" else "b", requests)]

    monkeypatch.setattr(instructions, "_count", fake)
    assert instructions.main(["--a", "A", "--b", "B", "--scenarios", "hello", "--requests", "10"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "| hello | 100 | 105 | 1.050 |"


def test_the_child_runs_the_timed_loop_and_checks_the_status() -> None:
    instructions._child("hello", 3)
    instructions._child("error422", 3)  # its expected status is 422, not 200


def test_a_failed_run_says_which_and_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def fail(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 1, "", "Traceback ... ImportError: no ferrule")

    monkeypatch.setattr(instructions.subprocess, "run", fail)
    with pytest.raises(SystemExit, match="hello .10 requests. failed:\n.*ImportError: no ferrule"):
        instructions._count("python-a", tmp_path, "hello", 10)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--a", "x", "--scenarios", "hello,nope"], "unknown scenarios ['nope']"),
        (["--a", "x", "--requests", "0"], "--requests must be at least 1"),
    ],
)
def test_bad_arguments_are_clear_errors(argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(instructions.shutil, "which", lambda name: "/usr/bin/valgrind")
    with pytest.raises(SystemExit) as info:
        instructions.main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_missing_valgrind_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit):
        instructions.main(["--a", "x"])
    assert "valgrind is not on PATH" in capsys.readouterr().err


def test_the_baseline_is_required(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        instructions.main(["--scenarios", "hello"])
    assert "--a PYTHON is required" in capsys.readouterr().err
