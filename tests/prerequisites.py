"""An outside prerequisite of a test (a browser, redis-server, mkdocs) is missing: skip here, fail on CI.

Locally a missing tool skips the test with the way to get it; on CI (``CI=true``)
the set-up steps install every prerequisite, so a missing one fails the test
instead of letting it pass unrun.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(what: str, setup: str) -> NoReturn:
    """Skip the running test because ``what`` is missing (``setup`` says how to get it); fail it on CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI=true: this test must run there); {setup}")
    pytest.skip(f"{what}; {setup}")
