"""The facade's names: listed once, imported lazily, and every public one documented.

``ferrule/__init__.py`` keeps one runtime list of its names (``_LAZY``:
``__all__`` and ``__getattr__`` are derived from it) and a ``TYPE_CHECKING``
block of imports for type checkers, which cannot see through ``__getattr__``;
the first test fails when the two disagree. The docstring check covers every
callable ``ferrule`` exports and the public methods and properties of the
classes a user calls most (``App``, ``APIRouter``, ``Request``, ``Response``,
the test clients), inherited ones included, as long as ferrule defines them.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ferrule
from ferrule.testclient import AsyncTestClient, TestClient

INIT = Path(ferrule.__file__)
DOCUMENTED_CLASSES = ("App", "APIRouter", "Request", "Response", "WebSocket")


def _type_checking_imports() -> dict[str, tuple[str, str]]:
    """name -> (module, attribute) of the ``if TYPE_CHECKING:`` block's imports."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module, ast.unparse(stmt)
                for alias in stmt.names:
                    assert alias.asname == alias.name, f"{ast.unparse(stmt)}: re-export as `{alias.name} as {alias.name}`"
                    found[alias.name] = (stmt.module, alias.name)
    return found


def _same_target(lazy: tuple[str, str], imported: tuple[str, str]) -> bool:
    module, attr = lazy
    if attr:
        return lazy == imported
    return module == ".".join(imported)  # `from ferrule.asgi_core import status` is the module itself


def test_the_type_checking_imports_mirror_the_one_list_of_names() -> None:
    lazy: dict[str, tuple[str, str]] = ferrule._LAZY  # type: ignore[attr-defined]
    imported = _type_checking_imports()
    assert sorted(imported) == sorted(lazy), (
        f"ferrule/__init__.py: the TYPE_CHECKING imports name {sorted(imported)} but _LAZY names "
        f"{sorted(lazy)}; add or remove the name in both"
    )
    wrong = [name for name in lazy if not _same_target(lazy[name], imported[name])]
    assert not wrong, f"ferrule/__init__.py: these names come from another module in _LAZY than in the imports: {wrong}"
    assert ferrule.__all__ == list(lazy)


def test_every_exported_name_resolves() -> None:
    for name in ferrule.__all__:
        module, attr = ferrule._LAZY[name]  # type: ignore[attr-defined]
        value = getattr(ferrule, name)
        assert value is (getattr(sys.modules[module], attr) if attr else sys.modules[module])
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        ferrule.Nope  # type: ignore[attr-defined]  # noqa: B018


def test_the_request_layer_imports_without_the_framework() -> None:
    # The names are lazy so that the server and a bare ASGI app do not load pydantic, routing or DI.
    code = (
        "import sys, ferrule.asgi_core.response, ferrule.server.serve\n"
        "loaded = [m for m in ('pydantic', 'ferrule.routing', 'ferrule.di') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _public_members(cls: type) -> dict[str, Any]:
    """The public functions and properties ``cls`` has from ferrule's classes (the most derived wins)."""
    members: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("ferrule"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if inspect.isfunction(value) or isinstance(value, property):
                members[name] = value
    return members


def undocumented() -> tuple[int, list[str]]:
    """How many public callables were checked, and the names of those without a docstring."""
    checked = 0
    missing: list[str] = []
    for name in ferrule.__all__:
        value = getattr(ferrule, name)
        if inspect.ismodule(value) or not callable(value):
            continue
        checked += 1
        if not (value.__doc__ or "").strip():
            missing.append(name)
    classes = [getattr(ferrule, name) for name in DOCUMENTED_CLASSES] + [TestClient, AsyncTestClient]
    for cls in classes:
        for name, value in _public_members(cls).items():
            checked += 1
            if not (value.__doc__ or "").strip():
                missing.append(f"{cls.__name__}.{name}")
    return checked, missing


def test_every_public_callable_has_a_docstring() -> None:
    checked, missing = undocumented()
    assert checked > 100  # the walk found the API
    assert not missing, f"{len(missing)} of {checked} public callables have no docstring: {missing}"


def test_the_docstring_walk_sees_a_missing_docstring() -> None:
    class Base:
        def documented(self) -> None:
            """Yes."""

    class Bare(Base):
        def bare(self) -> None:
            pass

        @property
        def prop(self) -> int:
            return 1

        def _private(self) -> None:
            pass

    Base.__module__ = Bare.__module__ = "ferrule.fake"
    members = _public_members(Bare)
    assert sorted(members) == ["bare", "documented", "prop"]
    assert [n for n, v in members.items() if not (v.__doc__ or "").strip()] == ["bare", "prop"]
