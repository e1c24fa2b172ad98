"""CSV cells a spreadsheet cannot execute.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (OWASP, "CSV Injection"). Every CSV this tool
writes passes its rows through `row`: such a text cell gets a leading apostrophe, which the
spreadsheet shows as text; numbers (int and Decimal values) are written as they are, so they
stay numbers. The tool writes no negative numbers, so no number is ever quoted this way.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet evaluate a cell (OWASP)."""


_STARTS = frozenset(FORMULA_STARTS)


def cell(value: Any) -> Any:
    """One cell: None is empty, numbers unchanged, text that could run as a formula quoted."""
    if isinstance(value, str):
        return "'" + value if value and value[0] in _STARTS else value
    if value is None:
        return ""
    if isinstance(value, int | Decimal):  # bool included: written as csv writes it
        return value
    text = str(value)
    return "'" + text if text and text[0] in _STARTS else text


def row(values: Iterable[Any]) -> list[Any]:
    """A row of cells (see `cell`); text and numbers, most cells, are handled here directly."""
    cells = []
    for value in values:
        kind = type(value)
        if kind is str:
            cells.append("'" + value if value and value[0] in _STARTS else value)
        elif kind is int or kind is Decimal:
            cells.append(value)
        else:
            cells.append(cell(value))
    return cells
