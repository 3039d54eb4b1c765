"""Run every check under every server and render the check x server matrix (markdown).

A cell is ``pass``, ``FAIL`` (ferrule's fault, or unexplained), ``n/a`` (the
server lacks the optional feature), ``server`` (the server's fault, with the
evidence) or ``not installed``. Details go to numbered notes under the table
so the table stays readable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import registry  # noqa: F401 - registers the checks, in row order
from .context import Context, ServerPool, Settings
from .inprocess import INPROCESS_CHECKS, InProcessCheck
from .outcome import CHECKS, Check, Result, Status, run_check
from .servers import SERVERS, ServerExited, ServerSpec, installed

__all__ = ["ordered_checks", "run_server", "run_matrix", "render", "MatrixRun"]

_CELL = {
    Status.PASS: "pass",
    Status.FAIL: "**FAIL**",
    Status.NOT_SUPPORTED: "n/a",
    Status.SERVER: "server",
    Status.NOT_INSTALLED: "not installed",
}


def ordered_checks() -> list[Check]:
    """Live checks first (they share one server process), then those that stop it or start their own."""
    return [c for c in CHECKS if c.kind == "live"] + [c for c in CHECKS if c.kind == "process"]


def run_server(
    spec: ServerSpec,
    settings: Settings,
    checks: Sequence[Check] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Result]:
    """Every check against one server; a server that will not start fails every row with its log."""
    checks = list(checks) if checks is not None else ordered_checks()
    ok, reason = installed(spec)
    if not ok:
        return {c.id: Result(Status.NOT_INSTALLED, reason) for c in checks}
    pool = ServerPool()
    ctx = Context(spec, settings, pool)
    results: dict[str, Result] = {}
    try:
        for item in checks:
            started = time.monotonic()
            try:
                if item.kind == "live":
                    pool.get(spec)
                result = run_check(item, ctx)
            except ServerExited as exc:
                result = Result(Status.FAIL, f"{exc}; log: {exc.log[-400:]!r}")
            results[item.id] = result
            if progress:
                progress(f"{spec.name:18} {item.id:26} {result.status.value:6} {time.monotonic() - started:5.2f}s {result.detail[:100]}")
    finally:
        pool.close()
    return results


@dataclass
class MatrixRun:
    settings: Settings
    servers: list[ServerSpec]
    checks: list[Check]
    results: dict[str, dict[str, Result]] = field(default_factory=dict)
    inprocess: list[tuple[InProcessCheck, Result]] = field(default_factory=list)
    seconds: float = 0.0


def run_matrix(
    settings: Settings,
    servers: Sequence[ServerSpec] = SERVERS,
    checks: Sequence[Check] | None = None,
    progress: Callable[[str], None] | None = None,
) -> MatrixRun:
    started = time.monotonic()
    run = MatrixRun(settings, list(servers), list(checks) if checks is not None else ordered_checks())
    for item in INPROCESS_CHECKS:
        result = item.run()
        run.inprocess.append((item, result))
        if progress:
            progress(f"{'in-process':18} {item.id:26} {result.status.value:6} {result.detail[:100]}")
    for spec in run.servers:
        run.results[spec.name] = run_server(spec, settings, run.checks, progress)
    run.seconds = time.monotonic() - started
    return run


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(run: MatrixRun) -> str:
    """The matrix as markdown: the server table, its notes, then the in-process table."""
    notes: list[str] = []
    note_index: dict[str, int] = {}

    def cell(result: Result) -> str:
        label = _CELL[result.status]
        if result.status is Status.PASS and not result.detail:
            return label
        if result.status is Status.NOT_INSTALLED:
            return label
        text = _escape(result.detail)
        if text not in note_index:
            notes.append(text)
            note_index[text] = len(notes)
        return f"{label} [{note_index[text]}]"

    lines = []
    names = [s.name for s in run.servers]
    lines.append("| check | cites | " + " | ".join(names) + " |")
    lines.append("|---|---|" + "---|" * len(names))
    for item in run.checks:
        row = [f"`{item.id}` {item.title}", _escape(item.cites)]
        row += [cell(run.results[name][item.id]) for name in names]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    counts = []
    for spec in run.servers:
        tally: dict[Status, int] = {}
        for result in run.results[spec.name].values():
            tally[result.status] = tally.get(result.status, 0) + 1
        counts.append(f"{spec.name}: " + ", ".join(f"{n} {s.value}" for s, n in tally.items()))
    lines.append("Servers: " + "; ".join(f"`{s.name}` = {s.describe}" for s in run.servers) + ".")
    lines.append("")
    lines.append("Totals: " + "; ".join(counts) + ".")
    lines.append("")
    lines.append("Notes:")
    lines.append("")
    for i, text in enumerate(notes, 1):
        lines.append(f"{i}. {text}")
    lines.append("")
    lines.append("| in-process check (no server) | cites | result |")
    lines.append("|---|---|---|")
    for inproc, result in run.inprocess:
        detail = f" ({_escape(result.detail)})" if result.detail else ""
        lines.append(f"| `{inproc.id}` {inproc.title} | {_escape(inproc.cites)} | {_CELL[result.status]}{detail} |")
    lines.append("")
    size_mib = run.settings.large_body // (1024 * 1024)
    lines.append(f"Large bodies: {size_mib} MiB; run took {run.seconds:.0f} s.")
    return "\n".join(lines)
