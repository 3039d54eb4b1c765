"""The layering rule of ARCHITECTURE.md, checked by walking every module's imports.

ferrule -> routing -> di -> validation -> asgi_core; streaming -> asgi_core.
The tools built on the request layer (ferrule.server, ferrule.testclient) speak
ASGI to any app: they import asgi_core only, never routing or the facade.
A lower area never imports a higher one, not even under TYPE_CHECKING, and
asgi_core never imports pydantic (pydantic_core's to_json/from_json are allowed).
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
MAX_MODULE_LINES = 600


def _modules() -> list[tuple[str, Path]]:
    found = []
    for area in AREAS:
        for path in sorted((ROOT / area).rglob("*.py")):
            found.append((area, path))
    for tool, folder in TOOLS.items():
        for path in sorted(folder.rglob("*.py")):
            found.append((tool, path))
    return found


def _imported_names(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize(("area", "path"), _modules(), ids=lambda v: str(v))
def test_module_respects_layers(area: str, path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name in _imported_names(tree):
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


@pytest.mark.parametrize(("area", "path"), _modules(), ids=lambda v: str(v))
def test_module_is_small(area: str, path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, (
        f"{path.relative_to(ROOT)} has {lines} lines; split it by phase (limit {MAX_MODULE_LINES})"
    )


def test_the_walker_sees_a_violation() -> None:
    tree = ast.parse("from ferrule.routing import APIRouter\nimport pydantic\n")
    assert _imported_names(tree) == ["ferrule.routing", "pydantic"]


def test_test_module_basenames_are_unique() -> None:
    # Test folders are not packages (rootdir import mode), so two test files
    # with one basename would shadow each other at collection.
    seen: dict[str, Path] = {}
    for folder in ("tests", "conformance"):
        for path in (ROOT / folder).rglob("test_*.py"):
            other = seen.setdefault(path.name, path)
            assert other == path, f"{path.relative_to(ROOT)} and {other.relative_to(ROOT)} share a basename; rename one"
