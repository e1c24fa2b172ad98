"""Reading what users give: prescription TOML, catalogs, limits files, change text.

Every field is parsed and checked once here; errors carry the field path.
"""
