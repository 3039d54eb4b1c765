"""The framework namespace the OpenAPI test apps are written against.

Each test app is a function ``build(fw)`` that uses only ``fw.<name>``, so the
same app body runs under ferrule (``fw = ferrule_framework()``) and, for
capturing the expected documents, under FastAPI (see ``oa_apps_basic``'s
docstring). The expected documents in ``oa_expected_*.py`` are FastAPI's
output for the same app bodies.
"""

from types import ModuleType, SimpleNamespace
from typing import Any

NAMES = (
    "APIRouter", "BackgroundTasks", "Body", "Cookie", "Depends", "File", "Form", "Header",
    "HTTPException", "Path", "Query", "Request", "Response", "Security", "UploadFile", "status",
)


def framework(root: ModuleType, app_class: Any, *, security: ModuleType, responses: ModuleType,
              sse: ModuleType) -> SimpleNamespace:
    """The namespace for one framework (its package, app class and submodules)."""
    fw = SimpleNamespace(**{name: getattr(root, name) for name in NAMES})
    fw.App = app_class
    fw.security = security
    fw.responses = responses
    fw.sse = sse
    return fw


def ferrule_framework() -> SimpleNamespace:
    import ferrule
    import ferrule.responses
    import ferrule.security
    import ferrule.sse

    return framework(ferrule, ferrule.App, security=ferrule.security, responses=ferrule.responses,
                     sse=ferrule.sse)
