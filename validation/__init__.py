"""ferrule: validation."""
