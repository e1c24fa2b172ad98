"""Recording a change: one ``[[change]]`` table appended to a prescription's text.

The rest of the file is kept byte for byte (comments included): the new table is text added at
the end, in the file's own line endings. Whether it is valid is decided by reading the new text
the usual way; the values written here were validated like the TOML fields first (`jobs`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

TIS_TABLE = "tis"


def _string(text: str) -> str:
    """A TOML basic string: quotes and backslashes escaped, and any control character as a
    ``\\uXXXX`` escape (validated text holds none; this keeps the file readable regardless)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char < " " or char == "\x7f":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: Any) -> str:
    """A TOML value: dates bare, numbers as written, text as a basic string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    return _string(str(value))


def newline_of(text: str) -> str:
    """The file's line ending: CRLF when its first line ends so, else LF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def append(text: str, fields: Mapping[str, Any]) -> str:
    """`text` with one ``[[change]]`` table added at the end (a ``tis`` mapping becomes
    ``[change.tis]``), in the file's own line endings."""
    lines = ["", "[[change]]"]
    lines += [f"{key} = {_value(value)}" for key, value in fields.items()
              if value is not None and not isinstance(value, Mapping)]
    tis = fields.get(TIS_TABLE)
    if isinstance(tis, Mapping):
        lines += ["", f"[change.{TIS_TABLE}]"]
        lines += [f"{key} = {_value(value)}" for key, value in tis.items()]
    newline = newline_of(text)
    head = text if not text or text.endswith("\n") else text + newline
    return head + newline.join(lines) + newline
