"""ferrule: asgi_core/middleware."""
