"""The values every stage shares: the inputs, the computed plan, errors, units."""
