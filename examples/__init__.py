"""Example ferrule apps (``ferrule run examples.app:app``)."""
