"""ferrule: ferrule/openapi."""
