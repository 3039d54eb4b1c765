"""Security schemes, solved as dependencies through an ``EndpointPlan`` (FastAPI's behaviour)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import pytest
from di_helpers import make_request, make_websocket, plan_for, solve

from ferrule.asgi_core.exceptions import HTTPException
from ferrule.asgi_core.websocket import WebSocket
from ferrule.di import Depends, Security, SecurityBase
from ferrule.security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    HTTPDigest,
    OAuth2,
    OAuth2AuthorizationCodeBearer,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    OAuth2PasswordRequestFormStrict,
    OpenIdConnect,
    SecurityScopes,
)
from ferrule.security.utils import get_authorization_scheme_param
from ferrule.validation.errors import RequestValidationError

pytestmark = pytest.mark.anyio


async def resolve(scheme: Any, headers: list[tuple[bytes, bytes]] | None = None, query: bytes = b"") -> Any:
    async def endpoint(value: Any = Depends(scheme)) -> Any:
        return value

    return await solve(plan_for(endpoint), make_request(headers=headers or [], query=query))


async def rejected(scheme: Any, headers: list[tuple[bytes, bytes]] | None = None, query: bytes = b"") -> dict[str, str] | None:
    with pytest.raises(HTTPException) as info:
        await resolve(scheme, headers, query)
    assert info.value.status_code == 401
    assert info.value.detail == "Not authenticated"
    return info.value.headers


def auth(value: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", value.encode("latin-1"))]


def basic(credentials: str) -> list[tuple[bytes, bytes]]:
    return auth("Basic " + base64.b64encode(credentials.encode()).decode())


# -- OAuth2 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scheme",
    [OAuth2PasswordBearer(tokenUrl="token"), OAuth2AuthorizationCodeBearer(authorizationUrl="a", tokenUrl="t")],
    ids=["password", "authorization_code"],
)
async def test_oauth2_bearer_schemes(scheme: Any) -> None:
    assert await resolve(scheme, auth("Bearer abc.def")) == "abc.def"
    assert await resolve(scheme, auth("bearer  tok ")) == "tok"
    assert await rejected(scheme) == {"WWW-Authenticate": "Bearer"}
    assert await rejected(scheme, auth("Basic abc")) == {"WWW-Authenticate": "Bearer"}
    optional = type(scheme)(**({"tokenUrl": "t"} if isinstance(scheme, OAuth2PasswordBearer) else {"authorizationUrl": "a", "tokenUrl": "t"}), auto_error=False)
    assert await resolve(optional) is None
    assert await resolve(optional, auth("Basic abc")) is None


async def test_oauth2_and_openid_connect_give_the_raw_header() -> None:
    for scheme in (OAuth2(), OpenIdConnect(openIdConnectUrl="https://example.com/.well-known")):
        assert await resolve(scheme, auth("Whatever xyz")) == "Whatever xyz"
        assert await rejected(scheme) == {"WWW-Authenticate": "Bearer"}
    assert await resolve(OAuth2(auto_error=False)) is None
    assert await resolve(OpenIdConnect(openIdConnectUrl="u", auto_error=False)) is None


async def test_oauth2_scopes_flow_through_security() -> None:
    oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"items": "Read items."})

    def current_user(scopes: SecurityScopes, token: str = Depends(oauth2)) -> str:
        if "items" in scopes.scopes and token != "admin":
            raise HTTPException(401, "Not enough permissions", {"WWW-Authenticate": f'Bearer scope="{scopes.scope_str}"'})
        return token

    async def endpoint(user: str = Security(current_user, scopes=["items"])) -> str:
        return user

    plan = plan_for(endpoint)
    assert await solve(plan, make_request(headers=auth("Bearer admin"))) == "admin"
    with pytest.raises(HTTPException) as info:
        await solve(plan, make_request(headers=auth("Bearer guest")))
    assert info.value.headers == {"WWW-Authenticate": 'Bearer scope="items"'}
    assert [(r.security_scheme, r.scopes) for r in plan.dependant.security_requirements()] == [(oauth2, ("items",))]


# -- HTTP ------------------------------------------------------------------------------


async def test_http_basic() -> None:
    scheme = HTTPBasic()
    assert await resolve(scheme, basic("alice:s3cret")) == HTTPBasicCredentials(username="alice", password="s3cret")
    assert await resolve(scheme, basic("alice:a:b")) == HTTPBasicCredentials(username="alice", password="a:b")
    assert await resolve(scheme, basic(":")) == HTTPBasicCredentials(username="", password="")
    assert await rejected(scheme) == {"WWW-Authenticate": "Basic"}
    assert await rejected(scheme, auth("Bearer x")) == {"WWW-Authenticate": "Basic"}
    assert await rejected(scheme, basic("no-colon")) == {"WWW-Authenticate": "Basic"}
    assert await rejected(scheme, auth("Basic %%%not-base64")) == {"WWW-Authenticate": "Basic"}
    assert await rejected(scheme, auth("Basic " + base64.b64encode("é:x".encode()).decode())) == {
        "WWW-Authenticate": "Basic"
    }
    assert await rejected(HTTPBasic(realm="simple"), basic("x")) == {"WWW-Authenticate": 'Basic realm="simple"'}


async def test_http_basic_without_auto_error() -> None:
    scheme = HTTPBasic(auto_error=False)
    assert await resolve(scheme) is None
    assert await resolve(scheme, auth("Bearer x")) is None
    # COMPAT(fastapi): credentials that cannot be decoded are refused even so.
    assert await rejected(scheme, auth("Basic %%%")) == {"WWW-Authenticate": "Basic"}


async def test_http_bearer_and_digest() -> None:
    bearer = HTTPBearer()
    assert await resolve(bearer, auth("Bearer tok")) == HTTPAuthorizationCredentials(scheme="Bearer", credentials="tok")
    assert await rejected(bearer) == {"WWW-Authenticate": "Bearer"}
    assert await rejected(bearer, auth("Bearer")) == {"WWW-Authenticate": "Bearer"}
    assert await rejected(bearer, auth("Bearer    ")) == {"WWW-Authenticate": "Bearer"}
    assert await rejected(bearer, auth("Basic abc")) == {"WWW-Authenticate": "Bearer"}
    assert await resolve(HTTPBearer(auto_error=False), auth("Basic abc")) is None

    digest = HTTPDigest()
    assert await resolve(digest, auth('Digest username="u", nonce="n"')) == HTTPAuthorizationCredentials(
        scheme="Digest", credentials='username="u", nonce="n"'
    )
    assert await rejected(digest, auth("Bearer x")) == {"WWW-Authenticate": "Digest"}
    assert await resolve(HTTPDigest(auto_error=False)) is None


# -- API keys ----------------------------------------------------------------------------


async def test_api_keys() -> None:
    assert await resolve(APIKeyHeader(name="X-Key"), [(b"x-key", b"k1")]) == "k1"
    assert await resolve(APIKeyQuery(name="api_key"), query=b"api_key=k2") == "k2"
    assert await resolve(APIKeyCookie(name="session"), [(b"cookie", b"a=1; session=k3")]) == "k3"
    for scheme in (APIKeyHeader(name="X-Key"), APIKeyQuery(name="api_key"), APIKeyCookie(name="session")):
        assert await rejected(scheme) == {"WWW-Authenticate": "APIKey"}
        assert await resolve(type(scheme)(name="n", auto_error=False)) is None
    assert await rejected(APIKeyQuery(name="api_key"), query=b"api_key=") == {"WWW-Authenticate": "APIKey"}


async def test_schemes_work_on_websocket_routes() -> None:
    scheme = APIKeyQuery(name="token")

    async def endpoint(websocket: WebSocket, token: str = Depends(scheme)) -> str:
        return token

    assert await solve(plan_for(endpoint, kind="websocket"), make_websocket(query=b"token=t")) == "t"


# -- the password form ---------------------------------------------------------------------


def form_request(body: str) -> Any:
    data = body.encode()
    return make_request(
        headers=[(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", str(len(data)).encode())],
        body=data,
    )


async def test_password_request_form() -> None:
    async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> OAuth2PasswordRequestForm:
        return form

    form = await solve(plan_for(login), form_request("username=alice&password=pw&scope=items%20me&client_id=c"))
    assert (form.username, form.password, form.scopes, form.client_id, form.grant_type) == (
        "alice", "pw", ["items", "me"], "c", None,
    )
    with pytest.raises(RequestValidationError) as info:
        await solve(plan_for(login), form_request("username=alice&password=pw&grant_type=implicit"))
    assert [(e["type"], tuple(e["loc"])) for e in info.value.errors()] == [
        ("string_pattern_mismatch", ("body", "grant_type"))
    ]


async def test_password_request_form_strict_requires_grant_type() -> None:
    async def login(form: Annotated[OAuth2PasswordRequestFormStrict, Depends()]) -> str:
        return form.grant_type or ""

    with pytest.raises(RequestValidationError) as info:
        await solve(plan_for(login), form_request("username=alice&password=pw"))
    assert [(e["type"], tuple(e["loc"])) for e in info.value.errors()] == [("missing", ("body", "grant_type"))]
    assert await solve(plan_for(login), form_request("grant_type=password&username=a&password=p")) == "password"


# -- OpenAPI data ---------------------------------------------------------------------------

# Expected values: what FastAPI 0.165 renders for the same schemes
# (jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)).
MODELS = [
    (OAuth2PasswordBearer("tok"), {"type": "oauth2", "flows": {"password": {"scopes": {}, "tokenUrl": "tok"}}}),
    (
        OAuth2PasswordBearer("tok", scopes={"a": "b"}, refreshUrl="r", description="d"),
        {"type": "oauth2", "description": "d", "flows": {"password": {"refreshUrl": "r", "scopes": {"a": "b"}, "tokenUrl": "tok"}}},
    ),
    (
        OAuth2AuthorizationCodeBearer("auth", "tok"),
        {"type": "oauth2", "flows": {"authorizationCode": {"scopes": {}, "authorizationUrl": "auth", "tokenUrl": "tok"}}},
    ),
    (OAuth2(), {"type": "oauth2", "flows": {}}),
    (
        OAuth2(flows={"password": {"tokenUrl": "t"}, "clientCredentials": {"tokenUrl": "c", "scopes": {"x": "y"}, "extra": 1}}),
        {
            "type": "oauth2",
            "flows": {
                "password": {"scopes": {}, "tokenUrl": "t"},
                "clientCredentials": {"scopes": {"x": "y"}, "tokenUrl": "c", "extra": 1},
            },
        },
    ),
    (HTTPBasic(realm="x"), {"type": "http", "scheme": "basic"}),
    (HTTPBearer(bearerFormat="JWT"), {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}),
    (HTTPDigest(description="d"), {"type": "http", "description": "d", "scheme": "digest"}),
    (APIKeyHeader(name="x-key"), {"type": "apiKey", "in": "header", "name": "x-key"}),
    (APIKeyQuery(name="k"), {"type": "apiKey", "in": "query", "name": "k"}),
    (APIKeyCookie(name="c", description="d"), {"type": "apiKey", "description": "d", "in": "cookie", "name": "c"}),
    (OpenIdConnect(openIdConnectUrl="u"), {"type": "openIdConnect", "openIdConnectUrl": "u"}),
]


@pytest.mark.parametrize(("scheme", "model"), MODELS, ids=lambda v: type(v).__name__)
def test_models_and_scheme_names(scheme: SecurityBase, model: dict[str, Any]) -> None:
    assert isinstance(scheme, SecurityBase)
    assert scheme.model == model
    assert list(scheme.model) == list(model)  # key order too
    assert scheme.scheme_name == type(scheme).__name__
    scheme_class: Any = type(scheme)
    assert scheme_class(**_required_args(scheme), scheme_name="custom").scheme_name == "custom"


def _required_args(scheme: Any) -> dict[str, Any]:
    if isinstance(scheme, OAuth2PasswordBearer):
        return {"tokenUrl": "t"}
    if isinstance(scheme, OAuth2AuthorizationCodeBearer):
        return {"authorizationUrl": "a", "tokenUrl": "t"}
    if isinstance(scheme, (APIKeyHeader, APIKeyQuery, APIKeyCookie)):
        return {"name": "n"}
    if isinstance(scheme, OpenIdConnect):
        return {"openIdConnectUrl": "u"}
    return {}


def test_flows_missing_required_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="'password' flow needs 'tokenUrl'"):
        OAuth2(flows={"password": {}})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ("", "")), ("", ("", "")), ("Bearer", ("Bearer", "")), ("Bearer  a b ", ("Bearer", "a b")), ("x y", ("x", "y"))],
)
def test_get_authorization_scheme_param(value: str | None, expected: tuple[str, str]) -> None:
    assert get_authorization_scheme_param(value) == expected
