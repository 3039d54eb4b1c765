"""ferrule: asgi_core."""
