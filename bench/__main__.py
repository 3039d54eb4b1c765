"""Command line: `python -m bench [options]` (in-process run), `python -m bench profile <scenario>`,
`python -m bench loopback [options]`, `python -m bench wrk [options]`, `python -m bench validation`,
`python -m bench fanout`, `python -m bench streams`; each takes `--help`.

Run from the repository root with the benchmark venv (see `bench/__init__.py`).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "profile":
        from bench import profile

        return profile.main(args[1:])
    if args and args[0] == "loopback":
        from bench import loopback

        return loopback.main(args[1:])
    if args and args[0] == "fanout":
        from bench import fanout

        return fanout.main(args[1:])
    if args and args[0] == "wrk":
        from bench import wrk_loopback

        return wrk_loopback.main(args[1:])
    if args and args[0] == "streams":
        from bench import streams

        return streams.main(args[1:])
    if args and args[0] == "validation":
        from bench import validation_modes

        return validation_modes.main(args[1:])
    from bench import run

    return run.main(args)


if __name__ == "__main__":
    raise SystemExit(main())
