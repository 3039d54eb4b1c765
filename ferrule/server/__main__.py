"""Worker entry point used by the reloader and the supervisor: `python -m ferrule.server '<json>'`.

The JSON object is {"app": "module:attr", "options": {...run() options...}}.
Not a public interface: use `ferrule run` or `ferrule.server.run`. The hooks
of `child_init` run first.
"""

from __future__ import annotations

import json
import sys

from .child_init import run_child_init
from .config import ServerConfigError
from .serve import run


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m ferrule.server '<json>' (internal; use 'ferrule run')")
    spec = json.loads(argv[0])
    try:
        run_child_init()
        run(spec["app"], **spec["options"])
    except ServerConfigError as exc:  # includes AppImportError
        raise SystemExit(f"ferrule: error: {exc}") from None


if __name__ == "__main__":
    main(sys.argv[1:])
