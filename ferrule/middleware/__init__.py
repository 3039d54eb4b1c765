"""ferrule: ferrule/middleware."""
