"""The limits, measured on the computed plan and decided once."""
