"""ferrule: routing."""
