"""ferrule: streaming."""
