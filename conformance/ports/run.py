"""Run real FastAPI projects' own test suites on ferrule (issue 17 "Done when").

Not part of the unit suite (CI cannot fetch the projects): a tool for us. Each
checkout given as an argument is copied to a scratch directory (nothing is
written into the checkout, nothing of theirs into this repo), its own
``fastapi`` imports are changed to ``ferrule`` (``from fastapi.x import y`` ->
``from ferrule.x import y``, ``import fastapi`` -> ``import ferrule as fastapi``),
and its tests run with ``pytest --ferrule-compat``, so the third-party
libraries it uses that import ``fastapi``/``starlette`` themselves (httpx-oauth,
and slowapi's own ``starlette`` imports) resolve to ferrule too.

Usage (a venv with ferrule installed and *without* fastapi/starlette)::

    python conformance/ports/run.py --python /tmp/pv/bin/python --install \\
        --slowapi /tmp/slowapi --fastapi-users /tmp/fastapi-users \\
        --template /tmp/full-stack-fastapi-template

The template's main branch needs Python 3.14 (PEP 649 annotations in its
models); on an older Python check out its last commit before that upgrade
(a7275354, "requires-python >=3.10").

``--install`` pip-installs each project's test dependencies into that venv
(never fastapi or starlette). ``--template`` needs PostgreSQL: the script starts
a throwaway cluster on 127.0.0.1 with ``initdb``/``pg_ctl`` (``apt-get install
postgresql``), or uses ``--database-url``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

_FROM = re.compile(r"^(\s*)from fastapi((?:\.\w+)*) import", re.M)
_IMPORT = re.compile(r"^(\s*)import fastapi[ \t]*$", re.M)
_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")

# Test dependencies per project (their own pins where they have them), never fastapi/starlette.
DEPS = {
    "slowapi": ["limits", "hiro", "mock", "httpx", "requests", "pytest", "pytest-asyncio"],
    "fastapi-users": [
        "pwdlib[argon2,bcrypt]==0.3.0", "email-validator>=1.1.0,<2.4", "pyjwt[crypto]>=2.12.0,<3",
        "python-multipart", "makefun>=1.11.2,<2", "httpx-oauth>=0.13", "httpx", "asgi-lifespan",
        "pytest", "pytest-asyncio", "pytest-mock", "redis",
    ],
    "template": [
        "python-multipart", "email-validator", "tenacity", "emails", "jinja2", "alembic", "httpx",
        "psycopg[binary]", "sqlmodel", "pydantic-settings", "sentry-sdk", "pyjwt", "pwdlib[argon2,bcrypt]",
        "pytest",
    ],
}


# The only changes besides imports, each an opt-in the port needs by design.
PATCHES = {
    # Its fixture includes the OAuth and the OAuth-associate routers at the same prefix, both
    # declaring GET /authorize: a startup RouteConflictError on ferrule unless the app opts into
    # FastAPI's first-registered-wins (README "Porting from FastAPI").
    "fastapi-users": [("tests/test_fastapi_users.py", "app = FastAPI()", 'app = FastAPI(route_conflicts="warn")')],
}


def apply_patches(root: Path, name: str) -> None:
    for relative, old, new in PATCHES.get(name, []):
        path = root / relative
        text = path.read_text(encoding="utf-8")
        if old not in text:
            sys.exit(f"{name}: {relative} no longer contains {old!r}; update PATCHES")
        path.write_text(text.replace(old, new), encoding="utf-8")


@dataclass
class Result:
    project: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    returncode: int = 0
    log: Path | None = None


def rewrite_imports(root: Path) -> int:
    """Change the project's own fastapi imports to ferrule; returns how many files changed."""
    changed = 0
    for path in root.rglob("*.py"):
        if any(part in (".venv", "node_modules", ".git") for part in path.parts):
            continue
        text = path.read_text(encoding="utf-8")
        new = _IMPORT.sub(r"\1import ferrule as fastapi", _FROM.sub(r"\1from ferrule\2 import", text))
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
    return changed


def copy_checkout(src: Path, scratch: Path, name: str) -> Path:
    dst = scratch / name
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns(".git", "node_modules", "frontend", ".venv"))
    return dst


def pip_install(python: str, packages: list[str]) -> None:
    subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True)
    probe = subprocess.run([python, "-c", "import importlib.util as u; print(bool(u.find_spec('fastapi') or u.find_spec('starlette')))"],
                           capture_output=True, text=True, check=True)
    if probe.stdout.strip() == "True":
        sys.exit(f"{python}: fastapi or starlette got installed (a dependency pulled it in); the drop-in mode refuses to run")


def run_pytest(python: str, cwd: Path, args: list[str], env: dict[str, str], name: str, logs: Path) -> Result:
    command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ferrule-compat", "-rfE", *args]
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    log = logs / f"{name}.log"
    log.write_text(proc.stdout + "\n" + proc.stderr, encoding="utf-8")
    result = Result(name, returncode=proc.returncode, log=log)
    lines = proc.stdout.strip().splitlines()
    if lines:
        result.counts = {kind.rstrip("s") if kind == "errors" else kind: int(n) for n, kind in _SUMMARY.findall(lines[-1])}
    result.failures = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Postgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (run as the postgres user when we are root)."""

    def __init__(self, scratch: Path) -> None:
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bindirs:
            sys.exit("PostgreSQL not found: apt-get install postgresql (or pass --database-url)")
        self.bin = bindirs[-1]
        self.data = scratch / "pgdata"
        self.port = free_port()
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, stdout=subprocess.DEVNULL)

    def start(self, password: str) -> str:
        self.data.mkdir()
        if self.prefix:
            shutil.chown(self.data, "postgres")
            os.chmod(self.data.parent, 0o755)
        pwfile = self.data.parent / "pgpass"
        pwfile.write_text(password)
        if self.prefix:
            shutil.chown(pwfile, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--pwfile", str(pwfile), "-A", "scram-sha-256")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.data / "log"),
                  "-o", f"-h 127.0.0.1 -p {self.port} -k {self.data}", "start")
        env = dict(os.environ, PGPASSWORD=password)
        subprocess.run([*self.prefix, str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "app"],
                       check=True, env=env)
        return f"postgresql+psycopg://postgres:{password}@127.0.0.1:{self.port}/app"

    def stop(self) -> None:
        subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
                       check=False, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter of a venv with ferrule, without fastapi")
    parser.add_argument("--install", action="store_true", help="pip install the projects' test dependencies first")
    parser.add_argument("--slowapi", type=Path, help="laurentS/slowapi checkout")
    parser.add_argument("--fastapi-users", type=Path, help="fastapi-users/fastapi-users checkout")
    parser.add_argument("--template", type=Path, help="fastapi/full-stack-fastapi-template checkout")
    parser.add_argument("--database-url", help="PostgreSQL URL for the template (default: start one)")
    parser.add_argument("--logs", type=Path, default=None, help="where to write each project's pytest output")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="ferrule-ports-"))
    logs = args.logs or scratch
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    results: list[Result] = []
    postgres: Postgres | None = None
    try:
        if args.slowapi:
            if args.install:
                pip_install(args.python, DEPS["slowapi"])
            work = copy_checkout(args.slowapi, scratch, "slowapi")
            rewrite_imports(work)
            results.append(run_pytest(args.python, work, ["tests/test_fastapi_extension.py", "tests/test_base.py"],
                                      env, "slowapi", logs))
        if args.fastapi_users:
            if args.install:
                pip_install(args.python, DEPS["fastapi-users"])
            work = copy_checkout(args.fastapi_users, scratch, "fastapi-users")
            rewrite_imports(work)
            apply_patches(work, "fastapi-users")
            results.append(run_pytest(args.python, work, ["tests"], env, "fastapi-users", logs))
        if args.template:
            if args.install:
                pip_install(args.python, DEPS["template"])
            work = copy_checkout(args.template, scratch, "template")
            rewrite_imports(work)
            backend = work / "backend"
            url = args.database_url
            template_env = dict(env, FASTAPI_ENV="development", ENVIRONMENT="local")
            if url is None:
                postgres = Postgres(scratch)
                url = postgres.start("changethis")
                # Older template releases read POSTGRES_*, newer ones DATABASE_URL: give both.
                template_env.update(POSTGRES_SERVER="127.0.0.1", POSTGRES_PORT=str(postgres.port), POSTGRES_DB="app",
                                    POSTGRES_USER="postgres", POSTGRES_PASSWORD="changethis")
            template_env["DATABASE_URL"] = url
            subprocess.run([args.python, "-m", "alembic", "upgrade", "head"], cwd=backend, env=template_env, check=False)
            results.append(run_pytest(args.python, backend, ["tests"], template_env, "full-stack-fastapi-template", logs))
    finally:
        if postgres is not None:
            postgres.stop()
    print(f"\n{'project':32} {'passed':>7} {'failed':>7} {'errors':>7} {'skipped':>7}")
    for r in results:
        c = r.counts
        print(f"{r.project:32} {c.get('passed', 0):7} {c.get('failed', 0):7} {c.get('error', 0):7} {c.get('skipped', 0):7}")
    for r in results:
        if r.failures:
            print(f"\n{r.project}: {len(r.failures)} not passing (log: {r.log})")
            for line in r.failures:
                print("  " + line[:300])
    return 0 if all(r.returncode == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
