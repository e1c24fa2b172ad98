"""A pharmacy's roster as input: a CSV (one patient a row) or a folder of prescription files.

Reading only: each row becomes a `Row` (its number, the cells that set single fields, the
prescription file it names). A bad header is an error for the whole roster; a bad row is that
row's error when it is planned.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attrs import frozen

from ivig_schedule.input import tomltext
from ivig_schedule.model.errors import PrescriptionError, show_value
from ivig_schedule.pharmacy import STORE_NAME

COLUMNS = ("id", "weight", "height", "sex", "timezone", "product", "regimen", "indication",
           "start", "start_time", "days_per_course", "dosing_weight", "arm", "risk_factors",
           "nurse", "prescription")
"""The CSV header (any order; every column optional but id). An empty cell is "not given"."""
CELL_FLAGS = {"id": "patient_id", "weight": "weight", "height": "height", "sex": "sex",
              "timezone": "timezone", "product": "product", "regimen": "regimen",
              "indication": "indication", "start": "start", "start_time": "start_time",
              "days_per_course": "days", "dosing_weight": "dosing_weight", "arm": "arm",
              "risk_factors": "risk"}
"""Each cell and the prescription field it sets (`prescription.OVERRIDES`)."""
MAX_ROSTER_BYTES = 16 * 1024 * 1024
MAX_ROWS = 50_000


@frozen
class Row:
    """One patient of the roster: its row number, its prescription text, and the cells that set
    single fields (flags)."""

    number: int
    text: str | None
    overrides: tuple[tuple[str, Any], ...]
    nurse: str | None
    label: str
    problem: tuple[str, str] | None = None
    """(field, message) when the row cannot be planned as read: a broken record, a file
    outside the roster's folder."""
    store: Path | None = None
    """The pharmacy's store beside the roster (treatment numbers resolve their arm there)."""


def _cells_to_overrides(record: dict[str, str]) -> tuple[tuple[str, Any], ...]:
    found: list[tuple[str, Any]] = []
    for column, flag in CELL_FLAGS.items():
        cell = (record.get(column) or "").strip()
        if not cell:
            continue
        if column == "days_per_course":
            found.append((flag, int(cell) if cell.isdigit() else cell))
        elif column == "risk_factors":
            found.append((flag, tuple(r for r in re.split(r"[;,\s]+", cell) if r)))
        else:
            found.append((flag, cell))
    return tuple(found)


def _records(text: str) -> Iterator[tuple[list[str] | None, str | None]]:
    """Each record of a CSV text, or None and why when the record cannot be read (a carriage
    return inside an unquoted cell, a stray quote): one bad record never stops the others."""
    reader = csv.reader(_physical_lines(text))
    while True:
        try:
            yield next(reader), None
        except StopIteration:
            return
        except csv.Error as e:
            problem = str(e).split(" - ")[0]
            if "new-line" in problem:
                problem = ("holds a carriage return (CR) inside a line; save the roster with one "
                           "kind of line ending (LF or CRLF)")
            yield None, problem


def _physical_lines(text: str) -> list[str]:
    """Lines ended by LF or CRLF only: a CR alone stays inside its line (and is that record's
    error), instead of silently splitting one patient's row into two."""
    return [line for line in re.split(r"(?<=\n)", text) if line]


def read_csv(path: Path, encoding: str = "utf-8") -> Iterator[Row]:
    """The rows of a CSV roster; a bad header is an error for the whole roster, a bad record
    that row's error. The `prescription` column names a file inside the roster's folder."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PrescriptionError(str(path), None, f"cannot be read: {e.strerror}") from None
    if len(raw) > MAX_ROSTER_BYTES:
        raise PrescriptionError(str(path), f"{len(raw)} bytes",
                                f"a roster is at most {MAX_ROSTER_BYTES} bytes (16 MiB)")
    try:
        text = raw.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8")
                          else encoding)
    except UnicodeDecodeError as e:
        raise PrescriptionError(
            str(path), f"byte {e.start} (0x{raw[e.start]:02x})",
            f"is not {encoding} text; a roster saved by Excel on Windows is usually "
            "Windows-1252: give --encoding cp1252") from None
    except LookupError:
        raise PrescriptionError("--encoding", encoding, "is not a text encoding Python knows "
                                "(e.g. utf-8, cp1252)") from None
    records = _records(text)
    first, problem = next(records, ([], None))
    if problem is not None:
        raise PrescriptionError(f"{path} header", None, problem)
    header = [h.strip() for h in first or []]
    unknown = [h for h in header if h not in COLUMNS]
    if not header or unknown or ("id" not in header and "prescription" not in header):
        raise PrescriptionError(f"{path} header", ",".join(header),
                                "allowed columns: " + ", ".join(COLUMNS)
                                + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    folder = path.parent.resolve()
    for number, (cells, problem) in enumerate(records, start=2):
        if number - 1 > MAX_ROWS:
            raise PrescriptionError(str(path), f"{number - 1} rows",
                                    f"a roster holds at most {MAX_ROWS} patients")
        if cells is None:
            yield Row(number=number, text=None, overrides=(), nurse=None, label="",
                      problem=("(row)", f"row {number}: {problem}"))
            continue
        if not any(c.strip() for c in cells):
            continue
        record = dict(zip(header, cells, strict=False))
        source = record.get("prescription", "").strip()
        label = record.get("id", "").strip() or source
        yield Row(number=number, text=None if not source else f"@{folder / source}",
                  overrides=_cells_to_overrides(record),
                  nurse=record.get("nurse", "").strip() or None, label=label,
                  problem=_outside(folder, source), store=folder / STORE_NAME)


def _outside(folder: Path, source: str) -> tuple[str, str] | None:
    """Why a row's prescription file may not be read: it must be inside the roster's folder
    (links resolved), so a shared roster cannot read other files."""
    if not source:
        return None
    try:
        real = (folder / source).resolve()
    except (OSError, RuntimeError, ValueError):
        real = None
    if real is None or (folder not in real.parents):
        return ("prescription", "prescription: must name a file inside the roster's folder "
                f"(links followed) (got {show_value(source)})")
    return None


def count(path: Path, encoding: str = "utf-8") -> int:
    """How many rows `rows(path)` will yield (for progress), without planning any."""
    return sum(1 for _ in rows(path, encoding))


def read_folder(path: Path) -> Iterator[Row]:
    """A folder of prescription TOML files, one patient each, in name order."""
    files = sorted(p for p in path.iterdir() if p.suffix == ".toml")
    if len(files) > MAX_ROWS:
        raise PrescriptionError(str(path), f"{len(files)} files",
                                f"a roster holds at most {MAX_ROWS} patients")
    for number, file in enumerate(files, start=1):
        yield Row(number=number, text=f"@{file}", overrides=(), nurse=None, label=file.name,
                  store=path / STORE_NAME)


def rows(path: Path, encoding: str = "utf-8") -> Iterator[Row]:
    """The roster's rows, from a CSV file (in `encoding`) or a folder of TOML files."""
    if path.is_dir():
        return read_folder(path)
    return read_csv(path, encoding)


def prescription_text(row: Row) -> str | None:
    """The text of the prescription file a row names (or None: the cells give everything)."""
    if row.text is None or not row.text.startswith("@"):
        return row.text
    file = Path(row.text[1:])
    try:
        return tomltext.decode(file.read_bytes(), f"prescription {file.name}")
    except OSError as e:
        raise PrescriptionError("prescription", file.name, f"cannot be read: {e.strerror}") \
            from None


