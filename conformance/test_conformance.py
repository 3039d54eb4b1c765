"""pytest entry point: one test per (server, check), plus the in-process checks.

Each server is started once per module (``ServerPool``) and shared by its live
checks; the checks that stop it or start processes of their own run last for
each server. Outcomes map to pytest as follows:

* pass, and "not supported by this server" (the check verified ferrule's
  fallback): the test passes;
* the server's fault (with evidence): ``xfail`` - not ferrule's bug, but
  visible in ``-ra``;
* ferrule's fault: the test fails (``xfail`` only for the known bugs listed in
  ``KNOWN_FERRULE_BUGS``, each with its reproduction);
* a server that is not installed: ``skip`` for the optional ones (daphne,
  granian); a failure for ferrule's own server, uvicorn and hypercorn.

Large bodies are 10 MiB here; ``python -m conformance --full`` uses 50 MiB.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .context import PYTEST_SETTINGS, Context, ServerPool
from .inprocess import INPROCESS_CHECKS, InProcessCheck
from .matrix import ordered_checks
from .outcome import Check, Status, run_check
from .servers import SERVERS, ServerExited, ServerSpec, installed

#: (server, check id) -> why it fails today; the test xfails while it does.
KNOWN_FERRULE_BUGS: dict[tuple[str, str], str] = {}

CASES = [(spec, item) for spec in SERVERS for item in ordered_checks()]


@pytest.fixture(scope="module")
def contexts() -> Iterator[dict[str, Context]]:
    made: dict[str, Context] = {}
    try:
        yield made
    finally:
        for ctx in made.values():
            ctx.pool.close()


def _context(contexts: dict[str, Context], spec: ServerSpec) -> Context:
    if spec.name not in contexts:
        contexts[spec.name] = Context(spec, PYTEST_SETTINGS, ServerPool())
    return contexts[spec.name]


@pytest.mark.parametrize(("spec", "item"), CASES, ids=[f"{s.name}:{c.id}" for s, c in CASES])
def test_server(spec: ServerSpec, item: Check, contexts: dict[str, Context]) -> None:
    ok, reason = installed(spec)
    if not ok:
        if spec.optional:
            pytest.skip(f"{spec.name} {reason}")
        pytest.fail(f"{spec.name} is required for the conformance suite but is {reason}")
    ctx = _context(contexts, spec)
    if item.kind == "live":
        try:
            ctx.pool.get(spec)
        except ServerExited as exc:
            pytest.fail(f"{exc}; log: {exc.log[-600:]}")
    result = run_check(item, ctx)
    if result.status is Status.SERVER:
        pytest.xfail(f"server: {result.detail}")
    if result.status is Status.FAIL:
        known = KNOWN_FERRULE_BUGS.get((spec.name, item.id))
        if known:
            pytest.xfail(f"known ferrule bug: {known}; now: {result.detail}")
        pytest.fail(f"{item.id} ({item.cites}) under {spec.name}: {result.detail}", pytrace=False)


@pytest.mark.parametrize("item", INPROCESS_CHECKS, ids=[c.id for c in INPROCESS_CHECKS])
def test_inprocess(item: InProcessCheck) -> None:
    result = item.run()
    if result.status is not Status.PASS:
        pytest.fail(f"{item.id} ({item.cites}): {result.detail}", pytrace=False)
