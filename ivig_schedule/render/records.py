"""JSON and CSV renderings of a plan record (see `ivig_schedule.views`)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from ivig_schedule.views import Record

CSV_COLUMNS = (
    "patient_id", "regimen_id", "course", "phase", "week", "blinded", "day", "date", "start",
    "end", "location", "grams", "volume_ml", "contents", "infusion_minutes", "steps",
)
"""The CSV header, one row per infusion day. Columns are added at the end, never removed."""


def number_text(value: Decimal) -> str:
    """A Decimal as plain text with at least one decimal place (48 → "48.0")."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def to_json(record: Record) -> str:
    """The record as indented JSON with numbers as JSON numbers, ending in a newline."""
    return json.dumps(_jsonable(record), indent=2, ensure_ascii=False) + "\n"


def contents_text(contents: Record | None) -> str:
    """Contents as one line, e.g. ``30.0 g x1 + 10.0 g x1`` or ``sodium chloride 0.9% 400.0 mL``."""
    if contents is None:
        return ""
    if contents["kind"] == "placebo":
        return f"{contents['solution']} {number_text(contents['ml'])} mL"
    return " + ".join(f"{number_text(v['grams'])} g x{v['count']}" for v in contents["vials"])


def steps_text(steps: list[Record], separator: str = "; ") -> str:
    """Pump steps as text, e.g. ``48.0 mL/h for 30 min (VTBI 24.0 mL)``."""
    return separator.join(
        f"{number_text(s['rate_ml_per_h'])} mL/h for {s['minutes']} min "
        f"(VTBI {number_text(s['volume_ml'])} mL)"
        for s in steps
    )


def to_csv(record: Record) -> str:
    """One row per infusion day under `CSV_COLUMNS`; cells hidden by the view are empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for course in record["courses"]:
        for day in course["days"]:
            grams = day.get("grams")
            writer.writerow([
                record["patient"]["id"], record["regimen"]["id"], course["number"],
                course["phase"], course["week"], str(course["blinded"]).lower(), day["day"],
                day["date"], day["start"], day["end"], day["location"],
                "" if grams is None else number_text(grams), number_text(day["volume_ml"]),
                contents_text(day.get("contents")), day["infusion_minutes"],
                steps_text(day["steps"]),
            ])
    return out.getvalue()
