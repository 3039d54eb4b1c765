"""ferrule: asgi_core/server."""
