"""TOML text → a mapping, with limits so that no file can hang or crash the tool.

- A file over `MAX_BYTES` (1 MiB) is refused before it is parsed.
- A UTF-8 byte-order mark is accepted (editors on Windows write one).
- A syntax error names its line and column; where the parser only says "at end of document"
  (an unterminated string, array or inline table), the line where it opens is found and named.
- An integer longer than Python's digit limit, or nesting deeper than `MAX_DEPTH`, is an input
  error, not a crash.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from typing import Any

from ivig_schedule.model.errors import FileContent, PrescriptionError

MAX_BYTES = 1024 * 1024
"""Largest prescription, limits or roster file read, in bytes (1 MiB)."""
MAX_DEPTH = 12
"""Deepest nesting of tables and arrays accepted; real files use four levels at most."""
BOM = "\ufeff"
_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def check_size(size: int, field: str) -> None:
    """Refuse input over `MAX_BYTES`."""
    if size > MAX_BYTES:
        raise PrescriptionError(field, f"{size} bytes", f"must be at most {MAX_BYTES} bytes (1 MiB)")


def _depth(value: Any) -> int:
    """Nesting depth of tables and arrays, iteratively (no recursion to exhaust)."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def unclosed_at(text: str) -> tuple[int, int] | None:
    """(line, column) where a string, array or inline table that never closes is opened.

    A small lexer that knows TOML's four string kinds, comments and brackets; enough to point a
    pharmacist at the right line when the parser only says "at end of document".
    """
    line, column = 1, 0
    opened: list[tuple[str, int, int]] = []  # bracket kind, line, column
    string: tuple[str, int, int] | None = None  # delimiter, line, column
    i, size = 0, len(text)
    at_line_start = True
    while i < size:
        char = text[i]
        column += 1
        if string is not None:
            delimiter = string[0]
            if delimiter in ('"', '"""') and char == "\\":
                i += 2
                column += 1
                continue
            if text.startswith(delimiter, i):
                i += len(delimiter)
                column += len(delimiter) - 1
                string = None
                continue
            if char == "\n":
                if len(delimiter) == 1:
                    return string[1], string[2]
                line, column = line + 1, 0
            i += 1
            continue
        if char == "#":
            end = text.find("\n", i)
            i = size if end < 0 else end
            column -= 1
            continue
        if char == "\n":
            line, column = line + 1, 0
            at_line_start = True
            i += 1
            continue
        if char in "\"'":
            delimiter = char * 3 if text.startswith(char * 3, i) else char
            string = (delimiter, line, column)
            i += len(delimiter)
            column += len(delimiter) - 1
            continue
        if char in "[{" and not (char == "[" and at_line_start and not opened):
            opened.append((char, line, column))
        elif char == "[" and at_line_start and not opened:
            end = text.find("\n", i)  # a [table] header closes on its own line
            i = size if end < 0 else end
            continue
        elif char in "]}" and opened:
            opened.pop()
        if not char.isspace():
            at_line_start = False
        i += 1
    if string is not None:
        return string[1], string[2]
    if opened:
        return opened[-1][1], opened[-1][2]
    return None


def _syntax_error(text: str, error: Exception, field: str) -> PrescriptionError:
    message = str(error)
    where = _AT_LINE.search(message)
    lines = text.splitlines()
    unclosed = message.startswith(("Unclosed", "Unterminated")) or where is None
    found = unclosed_at(text) if unclosed else None
    if found is not None:
        number, column = found
        reason = (message[: where.start()] if where else
                  message.replace("(at end of document)", "")).strip()
        reason = f"{reason}: opened here and never closed"
    elif where is not None:
        number, column = int(where.group(1)), int(where.group(2))
        reason = message[: where.start()].strip()
    else:
        reason = message.replace("(at end of document)", "").strip()
        number, column = len(lines), len(lines[-1]) + 1 if lines else 1
    shown = FileContent(lines[number - 1] if 0 < number <= len(lines) else "")
    return PrescriptionError(field, shown,
                             f"not valid TOML at line {number}, column {column}: {reason}")


def loads(text: str, field: str = "(toml)",
          parse_float: Callable[[str], Any] = float) -> dict[str, Any]:
    """Parse TOML text; every way a file can be malformed is a `PrescriptionError`."""
    check_size(len(text.encode("utf-8", "surrogatepass")), field)
    if text.startswith(BOM):
        text = text[len(BOM):]
    try:
        data = tomllib.loads(text, parse_float=parse_float)
    except tomllib.TOMLDecodeError as e:
        raise _syntax_error(text, e, field) from None
    except RecursionError:
        raise PrescriptionError(field, "hundreds of nested levels",
                                f"must nest at most {MAX_DEPTH} levels deep") from None
    except ValueError:  # an integer beyond Python's digit limit
        raise PrescriptionError(field, "a number thousands of digits long",
                                "must hold numbers of ordinary size") from None
    depth = _depth(data)
    if depth > MAX_DEPTH:
        raise PrescriptionError(field, f"{depth} nested levels",
                                f"must nest at most {MAX_DEPTH} levels deep")
    return data


def decode(raw: bytes, field: str) -> str:
    """UTF-8 bytes (with or without a byte-order mark) → text, within the size limit."""
    check_size(len(raw), field)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PrescriptionError(field, f"byte {e.start}", "must be UTF-8 text") from None
