"""The layering rule of ARCHITECTURE.md, checked by walking every module's imports.

ferrule -> routing -> di -> validation -> asgi_core; streaming -> asgi_core.
The tools built on the request layer (ferrule.server, ferrule.testclient) speak
ASGI to any app: they import asgi_core only, never routing or the facade.
A lower area never imports a higher one, not even under TYPE_CHECKING, and
asgi_core never imports pydantic (pydantic_core's to_json/from_json are allowed).

No two modules import each other, directly or through others (every import
counts: relative ones, those under TYPE_CHECKING and those inside functions).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("asgi_core", "routing", "di", "validation", "streaming")
# tools: packages inside ferrule/ that are checked like areas (name -> folder)
TOOLS = {"server": ROOT / "ferrule" / "server", "testclient": ROOT / "ferrule" / "testclient"}

# area -> the ferrule areas it may import (itself always allowed)
ALLOWED: dict[str, set[str]] = {
    "asgi_core": set(),
    "streaming": {"asgi_core"},
    "validation": {"asgi_core"},
    "di": {"validation", "asgi_core"},
    "routing": {"di", "validation", "asgi_core", "streaming"},
    "server": {"asgi_core"},
    "testclient": {"asgi_core"},
}
NO_PYDANTIC = {"asgi_core", "server", "testclient"}
MAX_MODULE_LINES = 500


def _modules() -> list[tuple[str, Path]]:
    found = []
    for area in AREAS:
        for path in sorted((ROOT / area).rglob("*.py")):
            found.append((area, path))
    for tool, folder in TOOLS.items():
        for path in sorted(folder.rglob("*.py")):
            found.append((tool, path))
    return found


def _module_name(path: Path) -> str:
    """The installed name of a source file: areas live under ``ferrule.<area>``."""
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[0] != "ferrule":
        parts.insert(0, "ferrule")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _all_modules() -> dict[str, Path]:
    """Every module of the product (the areas and everything under ferrule/), by installed name."""
    paths = [path for area in AREAS for path in (ROOT / area).rglob("*.py")]
    paths += (ROOT / "ferrule").rglob("*.py")
    return {_module_name(path): path for path in sorted(paths)}


def _imported_names(tree: ast.AST, module: str = "", is_package: bool = False) -> list[str]:
    """Every name ``tree`` imports, anywhere in it; relative imports resolved against ``module``.

    ``from a import b`` gives ``a.b`` (which is ``a``'s submodule or an attribute
    of ``a``: the caller decides which).
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            names.extend(f"{source}.{alias.name}" for alias in node.names)
    return names


def _import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the product it imports."""
    modules = _all_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets: set[str] = set()
        for imported in _imported_names(tree, name, path.name == "__init__.py"):
            if imported in modules:  # `import a.b` or `from a import b` of a module b
                targets.add(imported)
            elif imported.rpartition(".")[0] in modules:  # `from a import name`
                targets.add(imported.rpartition(".")[0])
        targets.discard(name)
        graph[name] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


# Cycles known when the check was added, each removed by the engineer named. A cycle
# may shrink; once it is gone its entry must go too (the test says so).
KNOWN_CYCLES: dict[frozenset[str], str] = {
}


def test_no_import_cycles_between_modules() -> None:
    cycles = _cycles(_import_graph())
    new = [sorted(c) for c in cycles if not any(c <= known for known in KNOWN_CYCLES)]
    assert not new, (
        f"modules importing each other (directly or through others): {new}; move the shared "
        "piece into a module both can import, or type the seam with a Protocol"
    )
    gone = [f"{sorted(known)} ({who})" for known, who in KNOWN_CYCLES.items() if not any(c & known for c in cycles)]
    assert not gone, f"these cycles are gone: remove their entries from KNOWN_CYCLES in {__file__}: {gone}"


def test_the_cycle_check_sees_relative_type_checking_and_local_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "from ..other import name\n"
        "if TYPE_CHECKING:\n    from .typing_only import T\n"
        "def f():\n    from ferrule.late import g\n"
    )
    names = _imported_names(ast.parse(source), "ferrule.routing.mod")
    assert names == [
        "typing.TYPE_CHECKING", "ferrule.routing.sibling", "ferrule.other.name",
        "ferrule.routing.typing_only.T", "ferrule.late.g",
    ]
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]


@pytest.mark.parametrize(("area", "path"), _modules(), ids=lambda v: str(v))
def test_module_respects_layers(area: str, path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module_name(path)
    for name in _imported_names(tree, module, path.name == "__init__.py"):
        parts = name.split(".")
        if parts[0] in AREAS:
            pytest.fail(f"{path.relative_to(ROOT)} imports {name!r}: use the absolute 'ferrule.{name}' form")
        if parts[0] == "ferrule":
            target = parts[1] if len(parts) > 1 else ""
            if target == area:
                continue
            assert target in ALLOWED[area], (
                f"{path.relative_to(ROOT)} ({area}) imports {name!r}, "
                f"but {area} may only import {sorted(ALLOWED[area]) or 'nothing else in ferrule'}"
            )
        if area in NO_PYDANTIC and parts[0] == "pydantic":
            pytest.fail(f"{path.relative_to(ROOT)} imports pydantic: asgi_core knows nothing of models")


@pytest.mark.parametrize("path", sorted(_all_modules().values()), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_small(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, (
        f"{path.relative_to(ROOT)} has {lines} lines; split it by phase (limit {MAX_MODULE_LINES})"
    )


def test_the_walker_sees_a_violation() -> None:
    tree = ast.parse("from ferrule.routing import APIRouter\nimport pydantic\n")
    assert _imported_names(tree) == ["ferrule.routing.APIRouter", "pydantic"]


def test_test_module_basenames_are_unique() -> None:
    # Test folders are not packages (rootdir import mode), so two test files
    # with one basename would shadow each other at collection.
    seen: dict[str, Path] = {}
    for folder in ("tests", "conformance"):
        for path in (ROOT / folder).rglob("test_*.py"):
            other = seen.setdefault(path.name, path)
            assert other == path, f"{path.relative_to(ROOT)} and {other.relative_to(ROOT)} share a basename; rename one"
