"""ferrule: di."""
