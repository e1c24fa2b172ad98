"""A pharmacy's roster as input: a CSV (one patient a row) or a folder of prescription files.

Reading only: each row becomes a `Row` (its number, the cells that set single fields, the
prescription file it names). A bad header is an error for the whole roster; a bad row is that
row's error when it is planned.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from ivig_schedule.input import tomltext
from ivig_schedule.model.errors import PrescriptionError

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


@attrs.frozen
class Row:
    """One patient of the roster: its row number, its prescription text, and the cells that set
    single fields (flags)."""

    number: int
    text: str | None
    overrides: tuple[tuple[str, Any], ...]
    nurse: str | None
    label: str


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


def read_csv(path: Path) -> Iterator[Row]:
    """The rows of a CSV roster; a bad header is an error for the whole roster."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PrescriptionError(str(path), None, f"cannot be read: {e.strerror}") from None
    if len(raw) > MAX_ROSTER_BYTES:
        raise PrescriptionError(str(path), f"{len(raw)} bytes",
                                f"a roster is at most {MAX_ROSTER_BYTES} bytes (16 MiB)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PrescriptionError(str(path), f"byte {e.start}", "must be UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    if not header or unknown or ("id" not in header and "prescription" not in header):
        raise PrescriptionError(f"{path} header", ",".join(header),
                                "allowed columns: " + ", ".join(COLUMNS)
                                + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    for number, cells in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise PrescriptionError(str(path), f"{number - 1} rows",
                                    f"a roster holds at most {MAX_ROWS} patients")
        record = {(k or "").strip(): (v or "") for k, v in cells.items() if k is not None}
        source = record.get("prescription", "").strip()
        yield Row(number=number, text=None if not source else f"@{path.parent / source}",
                  overrides=_cells_to_overrides(record),
                  nurse=record.get("nurse", "").strip() or None,
                  label=record.get("id", "").strip() or source)


def read_folder(path: Path) -> Iterator[Row]:
    """A folder of prescription TOML files, one patient each, in name order."""
    files = sorted(p for p in path.iterdir() if p.suffix == ".toml")
    if len(files) > MAX_ROWS:
        raise PrescriptionError(str(path), f"{len(files)} files",
                                f"a roster holds at most {MAX_ROWS} patients")
    for number, file in enumerate(files, start=1):
        yield Row(number=number, text=f"@{file}", overrides=(), nurse=None, label=file.name)


def rows(path: Path) -> Iterator[Row]:
    """The roster's rows, from a CSV file or a folder of TOML files."""
    if path.is_dir():
        return read_folder(path)
    return read_csv(path)


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


