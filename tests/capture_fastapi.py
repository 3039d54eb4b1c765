"""Capture FastAPI's outputs that the suite compares ferrule with, from FastAPI itself.

The captured files (hold for the pinned environment of ``.ci/constraints.txt`` on Python 3.11;
``tests/pinned.py`` skips their checks under another pydantic, where the live
comparisons carry them):

- ``openapi/oa_expected_{basic,ops,extra,misc}.py``: ``app.openapi()`` of every
  app of ``openapi/oa_apps_*.py`` built under FastAPI;
- ``openapi/oa_expected_html.py``: FastAPI's Swagger UI and ReDoc pages for the
  calls of ``openapi/test_docs_routes.py``;
- ``validation/validation_reference.py``: the ``detail`` of the 422 body FastAPI
  sends for each request of ``validation/oracle_422.py``.

Usage, from the repository root, in the test environment (FastAPI is in the
``test`` extra)::

    python tests/capture_fastapi.py            # compare with the committed files, write nothing
    python tests/capture_fastapi.py --out DIR  # write the files under DIR (openapi/, validation/)

``--out tests`` rewrites the committed files in place; nothing is written
anywhere without ``--out``. The comparison exits 1 naming each file that
differs. ``tests/test_capture_fastapi.py`` runs the comparison in the pinned
environment, so the committed files are always what this script produces.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pprint
import sys
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
for _folder in (TESTS, TESTS / "openapi", TESTS / "validation"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

DOC_MODULES = ("basic", "ops", "extra", "misc")
WIDTH = 120  # pprint's line width in the written files


def _versions() -> str:
    import fastapi
    import pydantic

    return f"FastAPI {fastapi.__version__} on pydantic {pydantic.VERSION}"


def _fastapi_framework() -> Any:
    import fastapi
    import fastapi.responses
    import fastapi.security
    import fastapi.sse
    from oa_framework import framework

    return framework(fastapi, fastapi.FastAPI, security=fastapi.security, responses=fastapi.responses, sse=fastapi.sse)


def documents(part: str) -> str:
    """The text of ``oa_expected_<part>.py``."""
    apps = importlib.import_module(f"oa_apps_{part}")
    fw = _fastapi_framework()
    lines = [
        f'"""FastAPI\'s documents for the apps of ``oa_apps_{part}``, written by tests/capture_fastapi.py '
        f'({_versions()})."""',
        "",
        "from typing import Any",
        "",
        "EXPECTED: dict[str, Any] = {}",
        "",
    ]
    for name, build in apps.APPS.items():
        lines.append(f"EXPECTED[{name!r}] = {pprint.pformat(build(fw).openapi(), sort_dicts=False, width=WIDTH)}")
        lines.append("")
    return "\n".join(lines)


def _string_constant(name: str, text: str) -> str:
    body = pprint.pformat(text, width=WIDTH)
    if not body.startswith("("):
        return f"{name} = {body}\n"
    inner = [line.strip() for line in body[1:-1].splitlines()]
    return f"{name} = (\n" + "".join(f"    {line}\n" for line in inner) + ")\n"


def html_pages() -> str:
    """The text of ``oa_expected_html.py`` (the calls of ``oa_apps_misc.SWAGGER_PAGES`` / ``REDOC_PAGES``)."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

    from oa_apps_misc import REDOC_PAGES, SWAGGER_PAGES

    pages = {name: get_swagger_ui_html(**call) for name, call in SWAGGER_PAGES.items()}
    pages.update((name, get_redoc_html(**call)) for name, call in REDOC_PAGES.items())
    text = (f'"""FastAPI\'s HTML for the calls of get_swagger_ui_html / get_redoc_html in test_docs_routes, '
            f'written by tests/capture_fastapi.py ({_versions()})."""\n')
    for name, page in pages.items():
        text += "\n" + _string_constant(name, bytes(page.body).decode())
    return text


def _literal(value: Any) -> str:
    """``value`` as Python source, strings in double quotes (as JSON writes them)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)  # None, True, False, numbers


def reference_422() -> str:
    """The text of ``validation_reference.py``."""
    import fastapi
    from live_oracle import call
    from oracle_422 import REQUESTS, build

    app = build(fastapi)
    lines = [
        f'"""FastAPI\'s 422 bodies, written by tests/capture_fastapi.py ({_versions()}).',
        "",
        "Each entry is the ``detail`` list of the 422 body FastAPI sent for the request",
        "of the same name in ``oracle_422.REQUESTS`` (``test_compile_errors`` sends the",
        "same requests to the same endpoints; ``test_422_live`` compares with FastAPI",
        "itself, live). pydantic's messages differ slightly between versions (e.g. the",
        "UUID error's position): these hold for the pinned pydantic only.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        "# fmt: off",
        "EXPECTED_422: dict[str, list[dict[str, Any]]] = {",
    ]
    for name, sent in REQUESTS.items():
        answer = call(app, sent)
        if answer.status != 422:
            raise SystemExit(f"FastAPI answered {answer.status} to {name}, not 422: {answer.body!r}")
        lines.append(f"    {_literal(name)}: [")
        lines.extend(f"        {_literal(error)}," for error in json.loads(answer.body)["detail"])
        lines.append("    ],")
    lines += ["}", "# fmt: on", ""]
    return "\n".join(lines)


def captured_files() -> dict[str, str]:
    """Every captured file, by its path under ``tests/``."""
    files = {f"openapi/oa_expected_{part}.py": documents(part) for part in DOC_MODULES}
    files["openapi/oa_expected_html.py"] = html_pages()
    files["validation/validation_reference.py"] = reference_422()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the files under this folder (give tests/ to update them)")
    args = parser.parse_args(argv)
    files = captured_files()
    if args.out is not None:
        for relative, text in files.items():
            target = args.out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
        return 0
    differ = [relative for relative, text in files.items() if (TESTS / relative).read_text(encoding="utf-8") != text]
    for relative in differ:
        print(f"differs from {_versions()}: tests/{relative}")
    if not differ:
        print(f"all {len(files)} captured files are {_versions()}'s output")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
