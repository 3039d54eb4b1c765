"""`python -m bench streams`: every scenario answers right on both backends, and a wrong body is caught.

Not a timing test: one response per repeat, only to exercise the runner.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

# bench/ is a repository folder, not an installed package.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import streams  # noqa: E402
from bench.scenarios import CheckFailed  # noqa: E402


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_every_streaming_scenario_is_checked_and_timed(backend: str, tmp_path: Path) -> None:
    out = tmp_path / "streams.json"
    code = streams.main(["--backend", backend, "--repeats", "1", "--target", "0", "--json", str(out)])
    assert code == 0
    results = json.loads(out.read_text())
    assert sorted(results) == sorted(streams.DEFAULT.split(","))
    for result in results.values():
        assert result["backend"] == backend
        assert len(result["repeats_us"]) == 1 and result["median_us"] > 0


def test_a_wrong_body_is_reported_not_timed() -> None:
    scenario, count = streams.EXTRA["stream"]
    wrong = replace(scenario, check=streams._check_chunks(count + 1))
    with pytest.raises(CheckFailed, match=f"expected {count + 1} chunks"):
        anyio.run(streams.measure, wrong, 1, 0.0)


def test_an_unknown_scenario_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        streams.main(["--scenarios", "hello"])
    assert "unknown streaming scenario 'hello'" in capsys.readouterr().err
