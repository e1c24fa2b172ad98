"""Recording a change: one ``[[change]]`` table appended to a prescription's text.

The rest of the file is kept byte for byte (comments included): the new table is text added at
the end, in the file's own line endings. Whether it is valid is decided by reading the new text
the usual way; the values written here were validated like the TOML fields first (`jobs`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
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


HASH = "hash"


def digest(previous: str, table: Mapping[str, Any]) -> str:
    """A [[change]] table's hash: SHA-256 over the previous table's stated hash and this
    table's fields as read (every field but ``hash``, keys sorted), so an edited field, a
    deleted table or one inserted later no longer matches."""
    import hashlib  # only a history has tables to hash
    import json

    fields = {k: v for k, v in table.items() if k != HASH}
    body = json.dumps([previous, fields], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def first_edited(tables: Sequence[Any]) -> int | None:
    """The index of the first [[change]] whose ``hash`` no longer matches (None: every hashed
    table matches). Tables without a hash (written by hand) are not checked."""
    previous = ""
    for index, table in enumerate(tables):
        if not isinstance(table, Mapping):
            return None
        stated = table.get(HASH)
        if isinstance(stated, str) and stated != digest(previous, table):
            return index
        previous = stated if isinstance(stated, str) else ""
    return None


def append_hashed(text: str, fields: Mapping[str, Any]) -> str:
    """`append`, with the new table's ``hash`` (over the previous table's and its own fields,
    as the file will read them)."""
    import tomllib

    tables = tomllib.loads(append(text, fields).lstrip("\ufeff")).get("change", [])
    previous = tables[-2].get(HASH, "") if len(tables) > 1 else ""
    return append(text, {**fields, HASH: digest(str(previous), tables[-1])})
