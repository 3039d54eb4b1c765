"""Tutorial: security schemes (docs/tutorial/security.md)."""

from typing import Annotated

from pydantic import BaseModel

from ferrule import App, Depends, HTTPException, Security
from ferrule.security import APIKeyHeader, OAuth2PasswordBearer, OAuth2PasswordRequestForm, SecurityScopes

app = App()

oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"items:read": "Read items", "items:write": "Write items"})
api_key = APIKeyHeader(name="X-API-Key", auto_error=False)

# token -> (user, granted scopes); a real app checks a signed token instead.
TOKENS = {"alice-token": ("alice", {"items:read", "items:write"}), "bob-token": ("bob", {"items:read"})}
PASSWORDS = {"alice": "wonderland", "bob": "builder"}


class User(BaseModel):
    name: str


@app.post("/token")
def issue_token(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, str]:
    if PASSWORDS.get(form.username) != form.password:
        raise HTTPException(400, "incorrect username or password")
    return {"access_token": f"{form.username}-token", "token_type": "bearer"}


def current_user(security_scopes: SecurityScopes, token: Annotated[str, Depends(oauth2)]) -> User:
    found = TOKENS.get(token)
    if found is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    name, granted = found
    missing = set(security_scopes.scopes) - granted
    if missing:
        raise HTTPException(403, f"missing scope: {', '.join(sorted(missing))}")
    return User(name=name)


@app.get("/items")
def read_items(user: Annotated[User, Security(current_user, scopes=["items:read"])]) -> dict[str, str]:
    return {"owner": user.name}


@app.post("/items")
def write_item(user: Annotated[User, Security(current_user, scopes=["items:write"])]) -> dict[str, str]:
    return {"written_by": user.name}


@app.get("/status")
def service_status(key: Annotated[str | None, Depends(api_key)]) -> dict[str, bool]:
    return {"operator": key == "ops-key"}
