"""ferrule's benchmarks: the same apps in ferrule and its peers, measured side by side.

Setup (once), from the repository root::

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -e '.[bench]'

Runs (always from the repository root, with the venv's python)::

    .venv-bench/bin/python -m bench                      # in-process, all scenarios, all frameworks
    .venv-bench/bin/python -m bench --quick              # rough numbers in a minute or two (CI/smoke)
    .venv-bench/bin/python -m bench --scenarios hello,body --frameworks ferrule,fastapi
    .venv-bench/bin/python -m bench --json out.json --svg out.svg
    .venv-bench/bin/python -m bench profile body         # ferrule's app for `body` under cProfile
    .venv-bench/bin/python -m bench loopback --quick     # uvicorn and ferrule's server over 127.0.0.1
    .venv-bench/bin/python -m bench fanout               # channels: 1 publisher -> 1,000 SSE subscribers
    .venv-bench/bin/python -m bench streams --backend trio  # ferrule's streams on asyncio or trio
    .venv-bench/bin/python -m bench instructions --a OLD/.venv/bin/python  # instructions/request, A/B (valgrind)

Frameworks: `raw` (hand-written ASGI: the floor), `ferrule`, `fastapi`,
`starlette`, `litestar`, `blacksheep`. Scenarios (`bench.scenarios`): hello,
json, path_int, router_scale_{10,100,1000,10000}, query, body, error422,
deps, sse, sse_model, sse_str, jsonl, upload, big_json.

How to read the numbers:
- The in-process harness (`bench.harness`) is the low-noise one: every app
  is called directly with synthetic ASGI messages in one process, on one
  event loop (asyncio unless `--loop uvloop`), and the median of several
  repeats is reported. The clock is process CPU time by default (`--clock`),
  so other processes on a shared machine add little noise.
- Each scenario's response is checked (status and body) before timing, and
  every timed response's status too: a broken app shows `bad: ...`, an app
  that fails to import or build shows `error: ...`; neither is timed.
- Ratios are "ferrule vs peer" = peer time / ferrule time, from the same run.
- The loopback harness (`bench.loopback`) adds real servers and sockets; its
  load generator shares the cores with the server, so it is a second opinion.

Layout: `scenarios.py` (requests and checks), `apps/` (one module per
framework), `harness.py` (in-process driver), `run.py` (CLI and tables via
`report.py`, SVG via `chart.py`), `profile.py`, `loopback.py` + `loadgen.py`,
`streams.py` (ferrule's streaming responses alone, on either anyio backend).
`bench/results/` is ignored by git: write outputs there.
"""
