"""The committed captured files are exactly what ``capture_fastapi.py`` writes from FastAPI.

In the pinned environment (the FastAPI and pydantic of ``.ci/constraints.txt``,
which the files hold for) the script's output must equal every committed file:
the files cannot be edited by hand or drift from the apps and requests they
come from. Elsewhere the files do not hold, and the live comparisons
(``test_document_equals_live_fastapis``, ``test_422_live``) carry the check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import fastapi
import pytest
from capture_fastapi import captured_files, main
from pinned import PINNED, pinned_version

TESTS = Path(__file__).resolve().parent


# The script runs the apps under the installed FastAPI; an older one cannot build
# every app (test_documents.ORACLE_NEEDS), and the files hold for the pinned one only.
# They are also Python 3.11's (the pinned job's): 3.13's json module reports other
# JSON error positions, which test_compile_errors derives from the stdlib there.
pytestmark = pytest.mark.skipif(
    not PINNED or fastapi.__version__ != pinned_version("fastapi") or sys.version_info[:2] != (3, 11),
    reason=f"the captured files hold for the pinned FastAPI {pinned_version('fastapi')} and pydantic, "
    "on Python 3.11, only",
)


def test_committed_captures_are_the_scripts_output() -> None:
    files = captured_files()
    assert len(files) == 6
    stale = [relative for relative, text in files.items() if (TESTS / relative).read_text(encoding="utf-8") != text]
    assert not stale, f"run `python tests/capture_fastapi.py --out tests`: {stale} differ from FastAPI's output"


def test_the_script_writes_only_under_the_folder_it_is_given(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py"))
    assert written == sorted(captured_files())
    assert "EXPECTED_422" in (tmp_path / "validation" / "validation_reference.py").read_text(encoding="utf-8")
