"""Lay out the installed `ferrule` package as a tree of symlinks under DEST.

pyproject's setuptools `package-dir` maps the area folders at the repo's top
level (asgi_core/, routing/, ...) into `ferrule.*`. Tools that read sources
from a path (mypy, mkdocstrings) cannot follow an editable install's import
hook, so they are pointed at DEST instead. The mapping is read from pyproject,
so a new area needs no change here.

Usage: python .ci/installed_tree.py DEST
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package_dirs() -> dict[str, str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    line = re.search(r"^package-dir\s*=\s*\{(.*)\}\s*$", text, re.MULTILINE)
    if line is None:
        raise SystemExit("pyproject.toml has no one-line [tool.setuptools] package-dir table")
    return dict(re.findall(r'"([\w.]+)"\s*=\s*"([\w./]+)"', line.group(1)))


def main(dest: Path) -> None:
    top = dest / "ferrule"
    top.mkdir(parents=True)
    mapping = package_dirs()
    for entry in (ROOT / mapping["ferrule"]).iterdir():
        (top / entry.name).symlink_to(entry)
    for name, folder in mapping.items():
        if name != "ferrule":
            (top / name.split(".", 1)[1]).symlink_to(ROOT / folder)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
