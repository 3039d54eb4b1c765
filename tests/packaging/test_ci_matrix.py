"""The README's "Supported versions" table lists exactly the jobs of ``.ci/run``, in order."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _ci_jobs() -> list[tuple[str, str]]:
    """(name, Python) of every JOBS entry of .ci/run."""
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    block = re.search(r"^JOBS=\((.*?)^\)", text, re.S | re.M)
    assert block is not None, ".ci/run has no JOBS=( ... ) array"
    jobs = []
    for entry in re.findall(r'"([^"]+)"', block.group(1)):
        name, function, *args = entry.split()
        python = next((a for a in args if re.fullmatch(r"3\.\d+\.\d+", a)), "default")
        jobs.append((name, python))
    return jobs


def _readme_jobs() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Supported versions"):]
    return re.findall(r"^\| `([^`]+)` \| (3\.\d+) \|", section, re.M)


def test_readme_table_is_the_ci_matrix() -> None:
    ci, readme = _ci_jobs(), _readme_jobs()
    assert [name for name, _ in readme] == [name for name, _ in ci]
    for (name, python), (_, claimed) in zip(ci, readme):
        # The default interpreter is 3.11 (the machine image's python3).
        assert (python if python != "default" else "3.11.x").startswith(claimed + "."), name
        assert f"py{claimed}-" in name, f"{name}: the job's name says its Python"
