"""Command line: `python -m bench [options]` (in-process run), `python -m bench profile <scenario>`,
`python -m bench loopback [options]`, `python -m bench wrk [options]`, `python -m bench validation`,
`python -m bench fanout`, `python -m bench streams`, `python -m bench instructions`; each takes `--help`.

Run from the repository root with the benchmark venv (see `bench/__init__.py`).
"""

from __future__ import annotations

import importlib
import sys

#: `python -m bench <command>`: the bench module whose `main` runs it (imported only when chosen).
COMMANDS = {
    "profile": "profile",
    "loopback": "loopback",
    "fanout": "fanout",
    "wrk": "wrk_loopback",
    "streams": "streams",
    "validation": "validation_modes",
    "instructions": "instructions",
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        command = importlib.import_module(f"bench.{COMMANDS[args[0]]}")
        return int(command.main(args[1:]))
    from bench import run

    return run.main(args)


if __name__ == "__main__":
    raise SystemExit(main())
