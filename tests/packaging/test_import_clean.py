"""Importing ferrule is silent on every supported Python, with warnings as errors.

Users run their suites with ``-W error``: a warning at import (Python 3.13's
"coroutine method 'asend' ... was never awaited" from a collected probe, a
docstring escape the compiler rejects) would lock them out. Every module is
imported in a fresh interpreter with ``-W error -X dev`` (dev mode also reports
resource and coroutine warnings), so the check does not depend on what this
test process imported already.
"""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = """
import gc, importlib, pkgutil
import ferrule
names = [m.name for m in pkgutil.walk_packages(ferrule.__path__, "ferrule.")]
for name in names:
    if name.startswith("ferrule.compat"):
        continue  # the drop-in mode installs import hooks; tested on its own
    try:
        importlib.import_module(name)
    except ImportError as exc:
        # A module for an optional extra (ferrule.templating needs jinja2) may
        # say so; anything else missing is a failure.
        missing = getattr(exc.__cause__, "name", None) or exc.name
        if missing is None or missing.split(".")[0] in ("ferrule", "pydantic", "anyio", "h11"):
            raise
gc.collect()
print(len(names))
"""


def test_every_module_imports_without_a_warning() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-X", "dev", "-c", _SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert int(result.stdout) > 50
