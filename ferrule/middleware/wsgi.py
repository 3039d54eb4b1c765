"""Serve a WSGI app (Flask, Django) inside a ferrule app (FastAPI's ``fastapi.middleware.wsgi``)::

    app.mount("/legacy", WSGIMiddleware(flask_app))
"""

from ferrule.asgi_core.middleware.wsgi import WSGIMiddleware as WSGIMiddleware

__all__ = ["WSGIMiddleware"]
