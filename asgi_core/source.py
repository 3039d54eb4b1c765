"""Where a callable is declared (file and line), for error messages, logs and the route table.

Every area names endpoints and dependencies by their source location; this is
the one place that finds it. Functions and methods answer from their code
object (``co_firstlineno`` is the line ``inspect.getsourcelines`` reports, the
first decorator's), so registering 10,000 routes does not tokenize the source
file 30,000 times; classes and other objects fall back to ``inspect``.
"""

from __future__ import annotations

import inspect
from types import CodeType
from typing import Any

__all__ = ["source_location"]


def source_location(target: Any) -> tuple[str | None, int | None]:
    """``(file, line)`` of ``target``'s definition; ``(None, None)`` when unknown (never raises)."""
    code = getattr(target, "__code__", None)
    if code is None:
        code = getattr(getattr(target, "__func__", None), "__code__", None)
    if isinstance(code, CodeType):
        file = _source_file(code.co_filename)
        return (file, code.co_firstlineno) if file is not None else (None, None)
    try:
        file = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError, ValueError):
        return None, None
    return file, line


_FILES: dict[str, str] = {}


def _source_file(filename: str) -> str | None:
    # inspect.getsourcefile's answer depends only on the file name for code
    # objects: a real .py file, or a name linecache knows. Found names are
    # remembered (one lookup per file); unknown ones are asked again, since
    # linecache may learn them later.
    found = _FILES.get(filename)
    if found is not None:
        return found
    try:
        found = inspect.getsourcefile(compile("", filename, "exec"))
    except (TypeError, ValueError):
        return None
    if found is not None and len(_FILES) < 4096:
        _FILES[filename] = found
    return found
