"""Tutorial: responses and errors (docs/tutorial/responses.md)."""

from pydantic import BaseModel

from ferrule import App, HTTPException, Request, Response
from ferrule.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse

app = App()


class UserIn(BaseModel):
    name: str
    password: str


class UserOut(BaseModel):
    name: str


class TeapotError(Exception):
    def __init__(self, brew: str) -> None:
        self.brew = brew


@app.exception_handler(TeapotError)
async def teapot_handler(request: Request, exc: TeapotError) -> JSONResponse:
    return JSONResponse({"detail": f"cannot brew {exc.brew}"}, status_code=418)


@app.post("/users", response_model=UserOut, status_code=201)
def create_user(user: UserIn) -> UserIn:
    # The password is filtered out by response_model.
    return user


@app.get("/brew/{drink}")
def brew(drink: str) -> dict[str, str]:
    if drink == "coffee":
        raise TeapotError(drink)
    if drink not in {"tea", "herbal"}:
        raise HTTPException(404, f"unknown drink {drink!r}", headers={"X-Menu": "tea, herbal"})
    return {"brewing": drink}


@app.get("/hello", response_class=PlainTextResponse)
def hello() -> str:
    return "hello"


@app.get("/page", response_class=HTMLResponse)
def page() -> str:
    return "<h1>ferrule</h1>"


@app.get("/old")
def old() -> RedirectResponse:
    return RedirectResponse("/page")


@app.get("/cookie")
def set_cookie(response: Response) -> dict[str, bool]:
    # A Response parameter sets headers, cookies and the status of the response.
    response.set_cookie("session", "abc", httponly=True)
    response.headers["X-Served-By"] = "ferrule"
    return {"ok": True}
