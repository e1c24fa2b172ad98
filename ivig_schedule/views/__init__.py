"""The plan as each role may see it: the only place that redacts."""
