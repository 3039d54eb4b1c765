"""``python -m conformance``: run the suite under every server and print the matrix.

    python -m conformance                 # 10 MiB large bodies (as pytest does)
    python -m conformance --full          # 50 MiB large bodies
    python -m conformance --server ferrule --server hypercorn --check scope.headers -v
    python -m conformance --output matrix.md

Exit status: 0 when no cell is a FAIL (ferrule's fault), 1 otherwise. Cells
that are the server's fault, unsupported or not installed do not fail the run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .context import FULL_SETTINGS, PYTEST_SETTINGS
from .matrix import ordered_checks, render, run_matrix
from .outcome import Status
from .servers import SERVERS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="50 MiB large bodies (default: 10 MiB)")
    parser.add_argument("--server", action="append", choices=[s.name for s in SERVERS], help="only this server (repeatable)")
    parser.add_argument("--check", action="append", metavar="ID", help="only this check id or id prefix (repeatable)")
    parser.add_argument("--output", metavar="FILE", help="also write the markdown matrix to FILE (conformance/MATRIX.md is the committed one)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each result as it comes")
    args = parser.parse_args(argv)

    servers = [s for s in SERVERS if not args.server or s.name in args.server]
    checks = ordered_checks()
    if args.check:
        checks = [c for c in checks if any(c.id == p or c.id.startswith(p) for p in args.check)]
        if not checks:
            parser.error(f"no check matches {args.check}; ids: {', '.join(c.id for c in ordered_checks())}")
    settings = FULL_SETTINGS if args.full else PYTEST_SETTINGS

    def progress(line: str) -> None:
        if args.verbose:
            print(line, file=sys.stderr, flush=True)

    run = run_matrix(settings, servers, checks, progress)
    text = render(run)
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    failed = any(r.status is Status.FAIL for per in run.results.values() for r in per.values())
    failed = failed or any(r.status is Status.FAIL for _, r in run.inprocess)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
