"""Every public name of every public FastAPI module exists in ferrule's same-named module.

The method (issue 17): walk the installed FastAPI (a test-only dependency, the
oracle), take each public module (no ``_`` in its dotted name) and each public
name in it, and look the name up in ``ferrule`` + the same module path. A public
name is one in the module's ``__all__``; without ``__all__``, a name without a
leading ``_`` that is defined in that module, re-exported from Starlette (FastAPI
documents those as its own, e.g. ``fastapi.responses.HTMLResponse``), or a plain
value. A module that cannot be imported (an optional dependency missing) is read
with ``ast`` instead.

What ferrule deliberately does not have is listed below, each with its reason;
the README's "Porting from FastAPI" section lists the same entries (checked).
An entry that is no longer needed (ferrule grew the name, FastAPI dropped it)
fails the test, so the list cannot go stale. The list was reviewed against the
FastAPI release pinned in ``.ci/constraints.txt``: "FastAPI dropped it" is judged
on that release only (an older FastAPI, the oracle of the minimum-versions job,
lacks names added since; ``OLDER_RELEASES_ONLY`` holds names that only older
releases have). A newer FastAPI (the latest-versions job) that adds a public
name fails the first test until ferrule has it or lists it here.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import types
import warnings
from pathlib import Path

import fastapi
import pytest
from pinned import pinned_version

README = Path(__file__).resolve().parents[2] / "README.md"

_DI = "FastAPI's dependency-injection internals (Dependant graph, solve_dependencies); ferrule's DI is ferrule.di, compiled once per endpoint, with a different design"
_OWN_USE = "imported there for FastAPI's own use; import it from its public home (ferrule.responses, .requests, .exceptions, .concurrency, .datastructures)"
_ROUTING = "FastAPI/Starlette routing internals (request_response, serialize_response, compile_path, ...); ferrule.routing compiles routes into a radix tree with its own handler pipeline"
_OPENAPI = "FastAPI's OpenAPI builders and pydantic models of the document; ferrule builds the same document as dicts (ferrule.openapi.utils.get_openapi) and has models only for security schemes and the top-level objects"
_ONE_CLASS = "ferrule has one class where FastAPI subclasses Starlette's; use the ferrule name"

EXCLUDED_MODULES: dict[str, str] = {
    "fastapi.dependencies": _DI,
    "fastapi.dependencies.models": _DI,
    "fastapi.dependencies.utils": _DI,
    "fastapi.middleware.asyncexitstack": "FastAPI's middleware that holds the request's exit stack; ferrule's routes own their exit stacks",
    "fastapi.telemetry": "FastAPI's opt-in telemetry hooks; ferrule's equivalent is App(stage_observer=...) (per-stage timings)",
}

EXCLUDED_NAMES: dict[tuple[str, str], str] = {
    ("fastapi.applications", "HTMLResponse"): _OWN_USE,
    ("fastapi.applications", "Request"): _OWN_USE,
    ("fastapi.applications", "Starlette"): "ferrule.App is not built on a Starlette class; ferrule.compat maps starlette.applications.Starlette in drop-in mode",
    ("fastapi.background", "P"): "a ParamSpec for FastAPI's own annotations",
    ("fastapi.background", "StarletteBackgroundTasks"): _ONE_CLASS,
    ("fastapi.datastructures", "StarletteUploadFile"): _ONE_CLASS,
    ("fastapi.cli", "cli_main"): "runs fastapi-cli; ferrule's command line is ferrule.cli.main (`ferrule run`)",
    ("fastapi.encoders", "ENCODERS_BY_TYPE"): "FastAPI's encoder table; ferrule's jsonable_encoder dispatches on its own table, pass custom_encoder={T: fn}",
    ("fastapi.encoders", "generate_encoders_by_class_tuples"): "as ENCODERS_BY_TYPE",
    ("fastapi.encoders", "decimal_encoder"): "as ENCODERS_BY_TYPE (the behaviour is the same: Decimal to int or float)",
    ("fastapi.encoders", "isoformat"): "as ENCODERS_BY_TYPE",
    ("fastapi.encoders", "PyExtraColor"): "an optional pydantic-extra-types import of FastAPI's",
    ("fastapi.exception_handlers", "HTTPException"): _OWN_USE,
    ("fastapi.exception_handlers", "JSONResponse"): _OWN_USE,
    ("fastapi.exception_handlers", "Request"): _OWN_USE,
    ("fastapi.exception_handlers", "Response"): _OWN_USE,
    ("fastapi.exceptions", "RequestErrorModel"): _OPENAPI,
    ("fastapi.exceptions", "WebSocketErrorModel"): _OPENAPI,
    ("fastapi.openapi.models", "logger"): "FastAPI's logger, imported there; ferrule's is ferrule.logger.logger",
    ("fastapi.responses", "orjson"): "an optional import of FastAPI's (ORJSONResponse is in ferrule.responses)",
    ("fastapi.responses", "ujson"): "an optional import of older FastAPI releases (0.162 has it, 0.165 not), as orjson",
    ("fastapi.utils", "TYPE_CHECKING"): "typing.TYPE_CHECKING, imported",
    ("fastapi.utils", "create_model_field"): _DI,
    ("fastapi.utils", "generate_operation_id_for_path"): "deprecated in FastAPI, unused; routes use generate_unique_id",
    ("fastapi.sse", "KEEPALIVE_COMMENT"): "FastAPI's SSE internals; ferrule.streaming frames events itself (keepalive interval: sse_ping_interval)",
    ("fastapi.sse", "format_sse_event"): "as KEEPALIVE_COMMENT",
    ("fastapi.sse", "StreamingResponse"): _OWN_USE,
    **{("fastapi.openapi.utils", name): _OPENAPI for name in (
        "BaseRoute", "JSONResponse", "METHODS_WITH_BODY", "REF_PREFIX", "Response", "generate_operation_id",
        "generate_operation_summary", "get_fields_from_routes", "get_openapi_operation_metadata",
        "get_openapi_operation_request_body", "get_openapi_path", "status_code_ranges",
        "validation_error_definition", "validation_error_response_definition",
    )},
    **{("fastapi.routing", name): _ROUTING for name in (
        "AppType", "HTTPException", "JSONResponse", "KEEPALIVE_COMMENT", "MAX_BODY_SIZE_SCOPE_KEY", "Match",
        "Middleware", "PlainTextResponse", "RedirectResponse", "Request", "Response", "RouteContext",
        "StaticFiles", "StreamingResponse", "URL", "URLPath", "WebSocket", "compile_path", "get_name",
        "get_request_handler", "get_route_path", "get_websocket_app", "is_async_callable",
        "iter_route_contexts", "iterate_in_threadpool", "request_response", "run_endpoint_function",
        "run_in_threadpool", "serialize_response", "websocket_session", "wrap_app_handling_exceptions",
    )},
}


# Exclusions for names that only FastAPI releases older than the reviewed one have.
OLDER_RELEASES_ONLY = {("fastapi.responses", "ujson")}

# Whether the installed FastAPI is the release this list was reviewed against.
REVIEWED = fastapi.__version__ == pinned_version("fastapi")


def _public_modules() -> list[str]:
    names = ["fastapi"]
    for info in pkgutil.walk_packages(fastapi.__path__, "fastapi."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def _is_public(module: str, name: str, value: object) -> bool:
    if name.startswith("_") or isinstance(value, types.ModuleType):
        return False
    if isinstance(value, (type, types.FunctionType)) or type(value).__name__ in ("TypeVar", "ParamSpec"):
        origin = getattr(value, "__module__", "")
        return origin == module or origin.split(".")[0] == "starlette"
    # A plain value (constant, table, logger) counts; typing forms and sentinels imported
    # from other libraries (Literal, pydantic's Undefined) do not.
    return type(value).__module__.split(".")[0] in ("builtins", "logging", "fastapi", "starlette")


def _names_from_source(module: str) -> list[str]:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names.extend(a.asname or a.name for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
    return [n for n in names if not n.startswith("_")]


def _public_names(module: str) -> list[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FastAPI's own deprecation warnings on import
            mod = importlib.import_module(module)
    except (ImportError, RuntimeError):
        # e.g. fastapi.testclient without httpx2 installed: read what it defines.
        return sorted(_names_from_source(module))
    declared = getattr(mod, "__all__", None)
    if declared is not None:
        return sorted(declared)
    return sorted(n for n, v in vars(mod).items() if _is_public(module, n, v))


MODULES = _public_modules()


def _ferrule_name(module: str) -> str:
    return "ferrule" + module[len("fastapi"):]


@pytest.mark.parametrize("module", MODULES)
def test_ferrule_has_every_public_name_of_the_fastapi_module(module: str) -> None:
    if module in EXCLUDED_MODULES:
        with pytest.raises(ImportError):
            importlib.import_module(_ferrule_name(module))
        return
    ours = importlib.import_module(_ferrule_name(module))
    wanted = _public_names(module)
    missing = [n for n in wanted if not hasattr(ours, n) and (module, n) not in EXCLUDED_NAMES]
    assert not missing, (
        f"{_ferrule_name(module)} lacks {missing} that {module} has: add them (written for ferrule), "
        "or list them in EXCLUDED_NAMES with the reason and in the README's porting section"
    )


def test_exclusions_are_still_needed() -> None:
    stale = []
    for (module, name), _reason in EXCLUDED_NAMES.items():
        if module not in MODULES or name not in _public_names(module):
            if REVIEWED and (module, name) not in OLDER_RELEASES_ONLY:
                stale.append(f"{module}.{name}: FastAPI no longer has it")
            continue
        if REVIEWED and (module, name) in OLDER_RELEASES_ONLY:
            stale.append(f"{module}.{name}: FastAPI {fastapi.__version__} has it: remove it from OLDER_RELEASES_ONLY")
        try:
            ours = importlib.import_module(_ferrule_name(module))
        except ImportError:
            continue
        if hasattr(ours, name):
            stale.append(f"{module}.{name}: ferrule has it now")
    if REVIEWED:
        stale += [f"{m}: FastAPI no longer has it" for m in EXCLUDED_MODULES if m not in MODULES]
    assert not stale, f"remove these exclusions: {stale}"


def _porting_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Porting from FastAPI")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_readme_porting_section_lists_every_exclusion() -> None:
    section = _porting_section()
    absent = [m for m in EXCLUDED_MODULES if f"`{m}`" not in section]
    absent += [f"{m}.{n}" for (m, n) in EXCLUDED_NAMES if f"`{n}`" not in section or f"`{m}`" not in section]
    assert not absent, f"README's 'Porting from FastAPI' does not mention {absent}"
