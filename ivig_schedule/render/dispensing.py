"""A row's dispensing lines as the roster writes them: CSV rows and the JSON records of
``dispensing.json`` (``ivig-schedule/dispensing@2``), each line's cells in `DISPENSING_COLUMNS`.

Rendered where the row is planned (a roster worker), so the writer only appends text."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ivig_schedule.render import csvcells
from ivig_schedule.views.dispensing import DISPENSING_COLUMNS, DispensingLine


def csv_rows(lines: Sequence[DispensingLine]) -> str:
    """The lines as CSV rows (no header), formula-neutral cells, ``\\n`` line ends."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(csvcells.row(line.cells()) for line in lines)
    return out.getvalue()


_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""``json.dumps(..., ensure_ascii=False)`` makes an encoder at every call; this one is reused."""


def json_records(lines: Sequence[DispensingLine]) -> tuple[str, ...]:
    """Each line as one JSON object on one line (Decimals as numbers), for the ``days`` array."""
    return tuple(_ENCODER.encode(dict(zip(DISPENSING_COLUMNS, map(json_of, line.cells()),
                                          strict=True))) for line in lines)


def json_of(value: Any) -> Any:
    """A cell as a JSON value: Decimals become numbers."""
    return float(value) if isinstance(value, Decimal) else value
