"""`python -m ferrule run|routes|openapi module:app` (same as the `ferrule` command)."""

from ferrule.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
