"""ferrule's ASGI conformance suite: one ferrule app, every major server, real sockets.

``python -m conformance`` starts ``conformance.app:app`` under each server
(ferrule's own, uvicorn with h11 and with httptools, hypercorn with its asyncio and its trio worker, daphne,
granian), runs every check against it over TCP with the suite's own HTTP
(h11) and WebSocket (RFC 6455) clients, and prints a check x server matrix.
``pytest conformance`` runs the same checks as one test per (server, check).

This folder is part of the repository, not of the installed ``ferrule``
distribution. Modules:

* ``app``: the ferrule app under test (and ``failing_app``, whose startup raises).
* ``rawapp``: raw ASGI pieces mounted into it (trailers, zerocopy, a scope
  echo under a mount) and the message-tracing middleware.
* ``payload``: the deterministic bodies both sides agree on.
* ``httpclient`` / ``wsclient``: the suite's clients.
* ``servers``: how each server is started, probed and stopped.
* ``outcome``: check results (pass, fail, not supported, server's fault).
* ``checks_*``: the checks, each citing the spec it comes from.
* ``inprocess``: checks that drive the app directly, for what servers hide.
* ``matrix``: the runner and the markdown matrix.
"""
