"""Many patients at once: rosters and their worker processes."""
