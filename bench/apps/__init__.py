"""One module per framework, each with `APPS` (scenario app name -> builder) and `VERSION`.

Modules: `raw_app` (hand-written ASGI, the floor), `ferrule_app`, `fastapi_app`,
`starlette_app`, `litestar_app`, `blacksheep_app`. Each builder returns a fresh
ASGI app for one scenario, written the way that framework's users write it;
`bench.harness.FRAMEWORKS` maps framework names to these modules. Importing a
module imports its framework, so the harness imports them one at a time and
reports an import failure as that framework's result.
"""
