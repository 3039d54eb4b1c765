"""The FastAPI-named modules and behaviours added for porting (issue 17 item 4)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import anyio
import pytest

import ferrule
from ferrule import App, Depends, Request
from ferrule.concurrency import contextmanager_in_threadpool, run_until_first_complete
from ferrule.datastructures import Address
from ferrule.exceptions import FastAPIError
from ferrule.testclient import TestClient
from ferrule.utils import deep_dict_update, get_path_param_names, get_value_or_default, is_body_allowed_for_status_code
from ferrule.routing.options import Default


def test_fastapi_is_an_alias_of_app() -> None:
    assert ferrule.FastAPI is App
    from ferrule.applications import FastAPI

    assert FastAPI is App
    assert "FastAPI" in ferrule.__all__


def test_templates_render_with_request_url_for_and_context_processors(tmp_path: Path) -> None:
    from ferrule.templating import Jinja2Templates

    (tmp_path / "page.html").write_text("{{ user }}|{{ url_for('item', item_id=3) }}|{{ site }}|{{ '<b>' }}")
    templates = Jinja2Templates(directory=tmp_path, context_processors=[lambda request: {"site": "shop", "user": "x"}])
    app = App()

    @app.get("/items/{item_id}", name="item")
    def item(item_id: int) -> int:
        return item_id

    @app.get("/page")
    def page(request: Request) -> object:
        return templates.TemplateResponse(request, "page.html", {"user": "ann"}, status_code=202)

    response = TestClient(app).get("/page")
    assert response.status_code == 202
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == "ann|http://testserver/items/3|shop|&lt;b&gt;"


def test_templates_legacy_call_order_warns(tmp_path: Path) -> None:
    from ferrule.templating import Jinja2Templates

    (tmp_path / "t.html").write_text("{{ request.url.path }}")
    templates = Jinja2Templates(directory=str(tmp_path))
    app = App()

    @app.get("/legacy")
    def legacy(request: Request) -> object:
        with pytest.warns(DeprecationWarning, match="first parameter should be the `Request`"):
            response = templates.TemplateResponse("t.html", {"request": request})
        assert response.template.name == "t.html" and response.context["request"] is request
        return response

    assert TestClient(app).get("/legacy").text == "/legacy"


def test_templates_need_exactly_one_source(tmp_path: Path) -> None:
    import jinja2

    from ferrule.templating import Jinja2Templates

    with pytest.raises(ValueError, match="exactly one of `directory`"):
        Jinja2Templates()
    with pytest.raises(ValueError, match="exactly one of `directory`"):
        Jinja2Templates(directory=tmp_path, env=jinja2.Environment())
    templates = Jinja2Templates(env=jinja2.Environment(loader=jinja2.DictLoader({"a": "A"})))
    assert templates.get_template("a").render() == "A"


def test_contextmanager_in_threadpool_runs_enter_and_exit_in_threads() -> None:
    threads: list[str] = []

    @contextmanager
    def blocking() -> Iterator[int]:
        threads.append(threading.current_thread().name)
        try:
            yield 7
        except KeyError:
            threads.append("suppressed")
        finally:
            threads.append(threading.current_thread().name)

    async def main() -> None:
        async with contextmanager_in_threadpool(blocking()) as value:
            assert value == 7
        async with contextmanager_in_threadpool(blocking()):
            raise KeyError("handled by the context manager")
        with pytest.raises(ValueError):
            async with contextmanager_in_threadpool(blocking()):
                raise ValueError("not suppressed")

    anyio.run(main)
    main_thread = threading.current_thread().name
    assert "suppressed" in threads
    assert all(name != main_thread for name in threads if name != "suppressed")


def test_run_until_first_complete_cancels_the_others() -> None:
    events: list[str] = []

    async def fast(tag: str) -> None:
        events.append(tag)

    async def slow() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            events.append("slow cancelled")

    anyio.run(run_until_first_complete, (slow, {}), (fast, {"tag": "fast done"}))
    assert events == ["fast done", "slow cancelled"]


def test_address_and_utils() -> None:
    assert Address("1.2.3.4", 5).port == 5
    assert [is_body_allowed_for_status_code(c) for c in (None, "2XX", 100, 200, 204, 205, 304, 404)] == [
        True, True, False, True, False, False, False, True,
    ]
    assert get_path_param_names("/a/{x}/{y:int}") == {"x", "y:int"}
    main = {"a": {"b": 1}, "l": [1]}
    deep_dict_update(main, {"a": {"c": 2}, "l": [2], "z": 0})
    assert main == {"a": {"b": 1, "c": 2}, "l": [1, 2], "z": 0}
    assert get_value_or_default(Default(1), 2) == 2
    placeholder = Default(1)
    assert get_value_or_default(placeholder, Default(3)) is placeholder


def test_logger_is_the_parent_of_the_area_loggers() -> None:
    from ferrule.logger import logger

    assert logging.getLogger("ferrule.routing").parent is logger


def real() -> str:
    return "real"


def swallower() -> Iterator[None]:
    try:
        yield
    except Exception:
        pass


def test_dependency_overrides_none_means_empty() -> None:
    app = App()

    @app.get("/")
    def root(value: Annotated[str, Depends(real)]) -> str:
        return value

    app.dependency_overrides[real] = lambda: "fake"
    client = TestClient(app)
    assert client.get("/").json() == "fake"
    app.dependency_overrides = None  # type: ignore[assignment]
    assert client.get("/").json() == "real"


def test_testclient_headers_hold_the_defaults_as_in_httpx() -> None:
    app = App()

    @app.get("/h")
    def headers(request: Request) -> dict[str, str]:
        return {k: v for k, v in request.headers.items() if k != "host"}

    client = TestClient(app)
    assert client.headers["user-agent"] == "testclient"
    assert client.get("/h").json()["user-agent"] == "testclient"
    client.headers.clear()
    assert client.get("/h").json() == {}
    client.headers = {"x-a": "1"}  # type: ignore[assignment]
    sent = client.get("/h").json()
    assert sent["x-a"] == "1" and sent["user-agent"] == "testclient"
    del client.headers["user-agent"]
    assert "user-agent" not in client.get("/h").json()
    assert client.headers.pop("x-a") == "1"
    assert client.headers.pop("x-a", "gone") == "gone"


def test_swallowing_yield_dependency_raises_fastapi_error_with_fastapis_wording() -> None:
    app = App()

    @app.get("/")
    def root(_: Annotated[None, Depends(swallower)]) -> None:
        raise ValueError("endpoint failed")

    with pytest.raises(FastAPIError, match="Response not awaited"):
        TestClient(app).get("/")
