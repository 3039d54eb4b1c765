"""``python -m ferrule openapi module:app`` prints the app's document."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import oa_expected_basic

APP_SOURCE = '''
import sys
sys.path.insert(0, {tests!r})
from oa_apps_basic import first_steps
from oa_framework import ferrule_framework

app = first_steps(ferrule_framework())
'''


def test_cli_prints_the_document(tmp_path: Path) -> None:
    (tmp_path / "cli_app.py").write_text(APP_SOURCE.format(tests=str(Path(__file__).parent)))
    result = subprocess.run(
        [sys.executable, "-m", "ferrule", "openapi", "cli_app:app", "--app-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == oa_expected_basic.EXPECTED["first_steps"]
