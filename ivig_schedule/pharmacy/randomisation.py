"""A randomisation list (allocation table) as CSV → (treatment number, arm, stratum) rows.

Two forms are read:

- REDCap's allocation table: one column for the randomised field with raw coded values
  (``--field``, e.g. ``rand_group``), optional strata columns (``--strata``), and no treatment
  number: rows are numbered ``{prefix}-{row:03d}`` in list order. ``--map 1=active --map
  2=placebo`` says what each coded value means.
- A simple list: ``treatment_number,arm`` (arms written ``active`` or ``placebo``, or coded and
  mapped), with optional strata columns.

A duplicate number, an unmapped code, a missing column or an empty list is an error naming the
row and the column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.vocabulary import ARMS

NUMBER_COLUMN = "treatment_number"
MAX_ROWS = 100_000


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """``CODE=ARM`` pairs (``--map 1=active``) as a mapping."""
    found: dict[str, str] = {}
    for pair in pairs:
        code, sep, arm = pair.partition("=")
        if not sep or not code.strip() or arm.strip() not in ARMS:
            raise PrescriptionError("--map", pair, "must be CODE=ARM with ARM one of: "
                                    + ", ".join(ARMS))
        found[code.strip()] = arm.strip()
    return found


def read_list(text: str, *, field: str | None, coded: Mapping[str, str],
              strata: Sequence[str], prefix: str) -> list[tuple[str, str, str]]:
    """The list's rows as (number, arm, stratum); the stratum is ``name=value`` pairs joined
    by ``;`` in the order of `strata` (empty without strata)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = reader.fieldnames or []
    arm_column = field or ("arm" if "arm" in columns else None)
    if arm_column is None or arm_column not in columns:
        raise PrescriptionError("--field", field or "arm",
                                "must name the randomised column: " + ", ".join(columns))
    for name in strata:
        if name not in columns:
            raise PrescriptionError("--strata", name, "is not a column: " + ", ".join(columns))
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for index, row in enumerate(reader, start=1):
        if index > MAX_ROWS:
            raise PrescriptionError("list", f"{index} rows", f"at most {MAX_ROWS} rows")
        raw = (row.get(arm_column) or "").strip()
        arm = coded.get(raw, raw if raw in ARMS and not coded else None)
        if arm is None:
            raise PrescriptionError(f"row {index}.{arm_column}", raw,
                                    "has no arm: map each coded value with --map CODE=ARM ("
                                    + ", ".join(ARMS) + ")")
        number = (row.get(NUMBER_COLUMN) or "").strip() if NUMBER_COLUMN in columns else (
            f"{prefix}-{index:03d}")
        if not number:
            raise PrescriptionError(f"row {index}.{NUMBER_COLUMN}", number, "must not be empty")
        if number in seen:
            raise PrescriptionError(f"row {index}.{NUMBER_COLUMN}", number,
                                    "is listed twice; each treatment number is listed once")
        seen.add(number)
        stratum = ";".join(f"{name}={(row.get(name) or '').strip()}" for name in strata)
        rows.append((number, arm, stratum))
    if not rows:
        raise PrescriptionError("list", "0 rows", "must hold at least one allocation")
    return rows
