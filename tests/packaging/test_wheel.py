"""The wheel installs one import name, ``ferrule``, and ships ``py.typed``.

The wheel is built from a copy of the tree in a temporary directory: a build
writes ``build/`` and ``*.egg-info`` beside the sources, and tests leave the
source tree as they found it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_TOP_LEVEL = {"routing", "di", "validation", "streaming", "asgi_core", "tests", "conformance", "bench", "examples"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "ferrule"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("ferrule-*.whl")
    return found


def test_only_ferrule_is_installed(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"ferrule"}
    assert not FORBIDDEN_TOP_LEVEL & top


def test_areas_are_subpackages_with_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "ferrule/py.typed" in names
    for area in ("asgi_core", "routing", "di", "validation", "streaming"):
        assert f"ferrule/{area}/__init__.py" in names, area
    assert "ferrule/server/__init__.py" in names
    assert "ferrule/testclient/__init__.py" in names


def test_every_source_module_is_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    mapping = {"ferrule": "ferrule", "asgi_core": "ferrule/asgi_core", "routing": "ferrule/routing",
               "di": "ferrule/di", "validation": "ferrule/validation", "streaming": "ferrule/streaming"}
    missing = []
    for folder, installed in mapping.items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder).as_posix()
            if installed == "ferrule" and rel.split("/")[0] in mapping:
                continue
            if f"{installed}/{rel}" not in names:
                missing.append(f"{folder}/{rel}")
    assert not missing, f"modules missing from the wheel (add their package to pyproject): {missing}"


def test_runtime_dependencies_are_exactly_four(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
    requires = [line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    runtime = sorted(r.split(">")[0].split("<")[0].split("=")[0].strip() for r in requires if "extra ==" not in r)
    assert runtime == ["anyio", "h11", "pydantic", "typing_extensions"]


def test_license_is_an_spdx_expression_with_its_text(wheel: Path) -> None:
    # PEP 639: License-Expression plus the license file under dist-info/licenses
    # (the older `license = {text = ...}` table is deprecated by setuptools).
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        (license_name,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        text = zf.read(license_name).decode()
    assert "License-Expression: MIT" in meta.splitlines()
    assert not [line for line in meta.splitlines() if line.startswith("Classifier: License ::")]
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
