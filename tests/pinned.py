"""Whether this is the pinned test environment that the captured outputs hold for.

Expected outputs captured from FastAPI (``tests/openapi/oa_expected_*.py``,
``tests/validation/validation_reference.py``) depend on pydantic's exact
messages and schemas, which change between minor releases. They are checked
byte for byte where pydantic is the version pinned in ``.ci/constraints.txt``
(the CI job on Python 3.11). With any other pydantic (the minimum- and
latest-versions jobs), ``CAPTURED`` skips them and the same apps are compared
with FastAPI itself, live, on whatever pydantic is installed
(``test_documents.py::test_document_equals_live_fastapis``,
``validation/test_422_live.py``, ``validation/test_response_live.py``).
``tests/capture_fastapi.py`` writes the captured files from FastAPI.
"""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

_CONSTRAINTS = Path(__file__).resolve().parents[1] / ".ci" / "constraints.txt"


def pinned_version(distribution: str) -> str:
    """The version ``.ci/constraints.txt`` pins ``distribution`` to."""
    for line in _CONSTRAINTS.read_text().splitlines():
        if line.startswith(f"{distribution}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{_CONSTRAINTS} pins no {distribution} version")


def pinned_pydantic() -> str:
    return pinned_version("pydantic")


PINNED = pydantic.VERSION == pinned_pydantic()

CAPTURED = pytest.mark.skipif(
    not PINNED,
    reason=f"captured with pydantic {pinned_pydantic()}, installed {pydantic.VERSION}: "
    "the live FastAPI comparison carries the check",
)
