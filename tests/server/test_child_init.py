"""The hooks a `--reload`/`--workers` child calls before it imports the app."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ferrule.server import AppImportError, ServerConfigError
from ferrule.server.child_init import CHILD_INIT_ENV, add_child_init, run_child_init


@pytest.fixture
def hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "child_hooks_mod.py").write_text(
        "CALLS = []\ndef first():\n    CALLS.append('first')\ndef second():\n    CALLS.append('second')\nVALUE = 3\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(CHILD_INIT_ENV, "")  # recorded, so the test's additions are undone
    yield tmp_path
    sys.modules.pop("child_hooks_mod", None)


def test_hooks_run_in_order_once_each(hooks: Path) -> None:
    add_child_init("child_hooks_mod:first")
    add_child_init("child_hooks_mod:second")
    add_child_init("child_hooks_mod:first")  # already listed: not added again
    run_child_init()
    import child_hooks_mod

    assert child_hooks_mod.CALLS == ["first", "second"]


@pytest.mark.parametrize("value", ["", " , ,"])
def test_an_empty_list_imports_and_runs_nothing(hooks: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(CHILD_INIT_ENV, value)
    run_child_init()
    assert "child_hooks_mod" not in sys.modules


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("child_hooks_mod:VALUE", ServerConfigError, "'child_hooks_mod:VALUE', which is not callable"),
        ("child_hooks_mod:missing", AppImportError, "has no attribute 'missing'"),
        ("no_such_module_xyz:f", AppImportError, "could not import module 'no_such_module_xyz'"),
        ("child_hooks_mod", AppImportError, "must be in the form 'module:attribute'"),
    ],
)
def test_a_bad_hook_is_a_clear_error(
    hooks: Path, monkeypatch: pytest.MonkeyPatch, value: str, error: type[Exception], message: str
) -> None:
    monkeypatch.setenv(CHILD_INIT_ENV, value)
    with pytest.raises(error, match=message.replace("(", r"\(")):
        run_child_init()
