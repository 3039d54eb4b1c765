"""Uploaded files are closed (their spooled temporary files deleted) after the response.

Whoever parsed the form: a form parameter, or the endpoint itself with
``await request.form()``, or a request that ended in a 422. A file left open
is a temporary file kept on disk until the garbage collector finds it (and a
ResourceWarning on Python 3.12+).
"""

from __future__ import annotations

import tempfile
from typing import Annotated, Any

import pytest

import ferrule.asgi_core.forms as forms_module

from ferrule import App, File, Form, Request, UploadFile
from ferrule.testclient import TestClient

OPENED: list[Any] = []


class _RecordedSpool(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
    """Every spooled file the form parser makes, so the test sees the ones no endpoint got."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        OPENED.append(self)


@pytest.fixture(autouse=True)
def _record_spools(monkeypatch: pytest.MonkeyPatch) -> None:
    OPENED.clear()
    monkeypatch.setattr(forms_module.tempfile, "SpooledTemporaryFile", _RecordedSpool)


def _app() -> App:
    app = App()

    @app.post("/own-form")
    async def own_form(request: Request) -> dict[str, int]:
        form = await request.form()
        return {"fields": len(form)}

    @app.post("/param")
    async def param(file: UploadFile, note: Annotated[str, Form()]) -> dict[str, int]:
        return {"size": len(await file.read())}

    @app.post("/bytes")
    async def as_bytes(data: Annotated[bytes, File()], request: Request) -> dict[str, int]:
        await request.form()
        return {"size": len(data)}

    return app


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [("/own-form", {}, 200), ("/param", {"note": "n"}, 200), ("/param", {}, 422), ("/bytes", {}, 422)],
    ids=["request.form()", "form-parameter", "form-parameter-422", "bytes-and-request.form()-422"],
)
def test_every_upload_is_closed_after_the_response(path: str, data: dict[str, str], status: int) -> None:
    client = TestClient(_app())
    response = client.post(path, files={"file": ("a.txt", b"x" * 10)}, data=data)
    assert response.status_code == status
    assert OPENED, "the form parser made no spooled file: the test would prove nothing"
    assert [spool for spool in OPENED if not spool.closed] == []
