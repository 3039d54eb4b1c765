"""`python -m bench validation`: one pydantic validation per location vs one per parameter.

ferrule compiles each endpoint's query (path, header, cookie) parameters into one
pydantic model per location and validates a request's query in one call. The
alternative - what FastAPI does - validates every parameter on its own. This
measures both on the same endpoints and requests (1, 3, 10 and 30 typed, bounded
query parameters), in one process: the validated values are checked equal first,
so the two sides cannot drift apart.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from bench.report import format_table

__all__ = ["main"]

_UNSET: Any = object()


def _endpoint(count: int) -> tuple[Callable[..., Any], bytes]:
    """An endpoint with ``count`` bounded int query parameters (half with defaults) and its query string."""
    params = []
    for i in range(count):
        default = " = 5" if i % 2 else ""
        params.append(f"p{i}: Annotated[int, Query(ge=0, le=1000)]{default}")
    namespace: dict[str, Any] = {}
    exec(  # noqa: S102 - builds a signature of a given size for the benchmark
        "from typing import Annotated\nfrom ferrule import Query\n"
        f"async def endpoint(*, {', '.join(params)}) -> None: ...\n",
        namespace,
    )
    query = "&".join(f"p{i}={i * 7}" for i in range(count) if i % 2 == 0 or i % 4 == 1)
    return namespace["endpoint"], query.encode()


def _per_location(count: int) -> tuple[Callable[[], list[Any]], Callable[[], list[Any]]]:
    from ferrule import App
    from ferrule.asgi_core.request import Request

    endpoint, query = _endpoint(count)
    app = App()
    app.get("/v")(endpoint)
    route = next(r for r in app.router.routes if getattr(r, "path", None) == "/v")
    validator = route.plan.validator  # type: ignore[attr-defined]
    scope = {"type": "http", "method": "GET", "path": "/v", "query_string": query, "headers": []}

    def ours() -> list[Any]:
        # A new Request per call, as per request in the app.
        values: list[Any] = validator.validate_params(Request(scope))
        return values

    adapters = [
        (f"p{i}", TypeAdapter(Annotated[int, Field(ge=0, le=1000)]), _UNSET if i % 2 == 0 else 5)
        for i in range(count)
    ]

    def per_parameter() -> list[Any]:
        # One adapter per parameter over the same parsed query, errors collected.
        params = Request(scope).query_params
        values: list[Any] = []
        errors: list[Any] = []
        for name, adapter, default in adapters:
            raw = params.get(name)
            if raw is None:
                if default is _UNSET:
                    errors.append({"type": "missing", "loc": ("query", name)})
                values.append(default)
                continue
            try:
                values.append(adapter.validate_python(raw))
            except Exception as exc:  # noqa: BLE001 - collected like FastAPI does
                errors.append(exc)
        if errors:
            raise ValueError(errors)
        return values

    return ours, per_parameter


def _time(fn: Callable[[], Any], repeats: int) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return statistics.median(t / number for t in timer.repeat(repeats, number)) * 1e6


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench validation", description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="1,3,10,30", help="parameter counts (default 1,3,10,30)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(list(argv))
    rows = []
    for count in (int(c) for c in args.counts.split(",")):
        ours, per_parameter = _per_location(count)
        if ours() != per_parameter():
            print(f"bad: the two modes validated {count} parameters differently")
            return 1
        a, b = _time(ours, args.repeats), _time(per_parameter, args.repeats)
        rows.append([str(count), f"{a:.2f} µs", f"{b:.2f} µs", f"{b / a:.2f}x"])
    print("\nquery validation per request (median; lower is better)\n")
    print(format_table(["parameters", "one per location (ferrule)", "one per parameter", "per-parameter / ferrule"], rows))
    return 0
