"""A pharmacy's whole list at once: every patient planned, their files, a calendar per nurse, the
dispensing worklist and the errors, written to a temporary folder and moved into place at the end.

A roster is a CSV (one patient a row; see `COLUMNS`) or a folder of prescription TOML files. Each
row runs the one use-case path (`jobs.run`) in a worker process; results come back in roster
order and are written as they arrive, so memory stays flat and the output is the same whatever
the number of workers. A bad row never stops the run.

Layout of OUTDIR:

    patients/<id>/<view>.json|.csv|.ics   each view (pharmacy, nurse, patient, assessor)
    nurses/<nurse>.ics                    every infusion of that nurse's patients (nurse view)
    dispensing.csv, dispensing.json       one line per item of each infusion day (product vials
                                          by size, or a saline bag); weekly totals by item
    dispensing-weekly.csv                 the weekly totals, to order from
    errors.csv                            every row that was not planned, and why
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ivig_schedule import files as output
from ivig_schedule import jobs
from ivig_schedule.input import tomltext
from ivig_schedule.input.prescription import FOR_FILES
from ivig_schedule.model.errors import IvigScheduleError, OutputError, PrescriptionError
from ivig_schedule.model.limits import Limits
from ivig_schedule.model.numbers import plain

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
VIEWS = ("pharmacy", "nurse", "patient", "assessor")
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
UNASSIGNED = "unassigned"
DISPENSING_COLUMNS = ("row", "patient_id", "nurse", "course", "day", "date", "start", "week",
                      "status", "kind", "item", "vials", "bags", "grams", "volume_ml")
"""One line per item of an infusion day: a product row (vials of one size: how many, their
grams and mL) or a saline row (one bag: its mL); a saline row never carries product grams."""
WEEKLY_COLUMNS = ("week", "kind", "item", "vials", "bags", "grams", "volume_ml")
"""What to order each ISO week, by item; each column's name says its unit."""
SALINE_BAG = "sodium chloride 0.9% bag"
ERROR_COLUMNS = ("row", "patient_id", "field_or_rule", "message")


@attrs.frozen
class Row:
    """One patient of the roster: its row number, its prescription text, and the cells that set
    single fields (flags)."""

    number: int
    text: str | None
    overrides: tuple[tuple[str, Any], ...]
    nurse: str | None
    label: str


@attrs.frozen
class DispensingLine:
    """One item of one infusion day, as the pharmacy dispenses it.

    Attributes:
        row, patient_id, nurse: Whose it is.
        course, day, date, start, week: When (the local start time, the ISO week).
        status: ``planned`` or ``given`` (given days are listed, not ordered again).
        kind: ``product`` (vials) or ``saline`` (a placebo bag).
        item: What to pick, e.g. ``octagam-10 30 g vial`` or ``sodium chloride 0.9% bag``.
        vials, bags: How many (only the one that applies is set).
        grams: Product grams (None on a saline row).
        volume_ml: The volume of these vials, or of the bag.
    """

    row: int
    patient_id: str
    nurse: str
    course: int
    day: int
    date: dt.date
    start: str
    week: str
    status: str
    kind: str
    item: str
    vials: int | None
    bags: int | None
    grams: Decimal | None
    volume_ml: Decimal

    def cells(self) -> tuple[Any, ...]:
        """The line's values in `DISPENSING_COLUMNS` order."""
        return (self.row, self.patient_id, self.nurse, self.course, self.day,
                self.date.isoformat(), self.start, self.week, self.status, self.kind, self.item,
                self.vials, self.bags, self.grams, self.volume_ml)


@attrs.frozen
class Settings:
    """What every row is planned with."""

    limits: Limits
    today: dt.date
    limits_file: Path | None = None


@attrs.frozen
class Result:
    """What one row produced, ready to be written (bytes and plain values only)."""

    number: int
    patient_id: str
    status: str  # planned | refused | invalid
    files: tuple[tuple[str, bytes], ...] = ()
    nurse: str = UNASSIGNED
    nurse_events: tuple[str, ...] = ()
    zone: tuple[str, int, int] | None = None
    dispensing: tuple[DispensingLine, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()


@attrs.frozen
class Summary:
    """The run in numbers, for the closing table."""

    planned: int
    refused: int
    invalid: int
    warnings: tuple[tuple[str, int], ...]
    per_week: tuple[tuple[str, int], ...]
    exit_code: int


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


def _text(row: Row) -> str | None:
    if row.text is None or not row.text.startswith("@"):
        return row.text
    file = Path(row.text[1:])
    try:
        return tomltext.decode(file.read_bytes(), f"prescription {file.name}")
    except OSError as e:
        raise PrescriptionError("prescription", file.name, f"cannot be read: {e.strerror}") \
            from None


def _dispensing(row: Row, view: Any, nurse: str) -> tuple[DispensingLine, ...]:
    """The pharmacy view's infusion days as items to dispense (cancelled and skipped days
    are not dispensed)."""
    lines = []
    product = view.product.id if view.product else ""
    for course in view.courses:
        for day in course.days:
            if day.status in ("cancelled", "skipped") or day.contents is None:
                continue
            iso = day.date.isocalendar()
            when = {"row": row.number, "patient_id": view.patient.id, "nurse": nurse,
                        "course": course.number, "day": day.day, "date": day.date,
                        "start": day.start.isoformat() if day.start else "",
                        "week": f"{iso.year}-W{iso.week:02d}", "status": day.status}
            if day.contents.kind == "placebo":
                lines.append(DispensingLine(**when, kind="saline", item=SALINE_BAG, vials=None,
                                            bags=1, grams=None, volume_ml=day.contents.ml))
                continue
            lines.extend(DispensingLine(
                **when, kind="product", item=f"{product} {plain(vial.grams)} g vial",
                vials=vial.count, bags=None, grams=vial.grams * vial.count,
                volume_ml=vial.ml * vial.count) for vial in day.contents.vials)
    return tuple(lines)


def plan_row(row: Row, settings: Settings) -> Result:
    """Plan one row and render its files: the work a worker process does."""
    from ivig_schedule.render.ics.calendar import event_texts, to_ics, years
    from ivig_schedule.render.records import to_csv, to_json
    from ivig_schedule.views.views import plan_view

    try:
        request = jobs.Request(text=_text(row), overrides=dict(row.overrides),
                               limits=settings.limits, today=settings.today,
                               required=FOR_FILES)
        outcome = jobs.run(request, revisions=True)
    except IvigScheduleError as e:
        return Result(row.number, row.label, "invalid", errors=(("(row)", str(e)),))
    patient_id = outcome.prescription.patient.id if outcome.prescription else row.label
    if outcome.errors:
        return Result(row.number, patient_id, "invalid",
                      errors=tuple((e.field, str(e)) for e in outcome.errors))
    if outcome.refusal is not None:
        return Result(row.number, patient_id, "refused",
                      errors=((outcome.refusal.rule, str(outcome.refusal)),))
    assert outcome.plan is not None and outcome.prescription is not None
    nurse = row.nurse or outcome.prescription.nurse or UNASSIGNED
    if not SAFE_NAME.fullmatch(nurse):
        return Result(row.number, patient_id, "invalid", errors=(
            ("nurse", f'nurse: must be a name of letters, digits, spaces, ".", "_" or "-" '
                      f'(got "{nurse[:40]}")'),))
    files = []
    nurse_events: tuple[str, ...] = ()
    dispensing: tuple[DispensingLine, ...] = ()
    zone = None
    for name in VIEWS:
        view = plan_view(outcome.plan, name)  # type: ignore[arg-type]
        earlier = tuple(plan_view(p, name) for p in outcome.revisions)  # type: ignore[arg-type]
        files += [(f"{name}.json", to_json(view).encode()), (f"{name}.csv", to_csv(view).encode()),
                  (f"{name}.ics", to_ics(view, earlier=earlier))]
        if name == "nurse":
            nurse_events = event_texts(view, earlier)
            zone = (view.patient.timezone, *years(view))
        if name == "pharmacy":
            dispensing = _dispensing(row, view, nurse)
    return Result(row.number, patient_id, "planned", files=tuple(files), nurse=nurse,
                  nurse_events=nurse_events, zone=zone, dispensing=dispensing,
                  warnings=tuple(w.code for w in outcome.plan.warnings))


def _worker(task: tuple[Row, Settings]) -> Result:
    row, settings = task
    try:
        return plan_row(row, settings)
    except Exception as e:  # a bug must not stop the roster: the row reports it
        return Result(row.number, row.label, "invalid", errors=(
            ("(internal)", f"internal error ({type(e).__name__}); this is a bug in "
                           "ivig-schedule: plan the row alone with --debug and report it"),))


class _Writer:
    """Writes results into the temporary folder as they arrive (memory stays flat)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "patients").mkdir()
        (folder / "nurses").mkdir()
        self.dispensing = (folder / "dispensing.csv").open("w", newline="", encoding="utf-8")
        self.dispensing_csv = csv.writer(self.dispensing, lineterminator="\n")
        self.dispensing_csv.writerow(DISPENSING_COLUMNS)
        self.days_json = (folder / ".dispensing-days.json").open("w", encoding="utf-8")
        self.errors = (folder / "errors.csv").open("w", newline="", encoding="utf-8")
        self.errors_csv = csv.writer(self.errors, lineterminator="\n")
        self.errors_csv.writerow(ERROR_COLUMNS)
        self.seen: dict[str, int] = {}
        self.zones: dict[str, dict[str, tuple[int, int]]] = {}
        self.weekly: dict[tuple[str, str, str], list[Decimal]] = {}
        self.per_week: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.first_day = True

    def _error(self, number: int, patient: str, field: str, message: str) -> None:
        self.errors_csv.writerow((number, patient, field, message))

    def add(self, result: Result) -> None:
        if result.status == "planned" and result.patient_id in self.seen:
            result = attrs.evolve(result, status="invalid", errors=((
                "patient.id", f"patient.id: duplicate id, first in row "
                              f"{self.seen[result.patient_id]} (got \"{result.patient_id}\")"),))
        self.counts[result.status] += 1
        for field, message in result.errors:
            self._error(result.number, result.patient_id, field, message)
        if result.status != "planned":
            return
        self.seen[result.patient_id] = result.number
        patient_dir = self.folder / "patients" / result.patient_id
        patient_dir.mkdir()
        for name, data in result.files:
            (patient_dir / name).write_bytes(data)
        with (self.folder / "nurses" / f".{result.nurse}.events").open("a", newline="",
                                                                       encoding="utf-8") as f:
            f.write("".join(result.nurse_events))
        if result.zone is not None:
            zone, first, last = result.zone
            span = self.zones.setdefault(result.nurse, {}).get(zone, (first, last))
            self.zones[result.nurse][zone] = (min(span[0], first), max(span[1], last))
        days: set[tuple[int, int]] = set()
        for line in result.dispensing:
            cells = line.cells()
            self.dispensing_csv.writerow([_text_of(v) for v in cells])
            record = dict(zip(DISPENSING_COLUMNS, (_json_of(v) for v in cells), strict=True))
            self.days_json.write(("" if self.first_day else ",\n") + "    "
                                 + json.dumps(record, ensure_ascii=False))
            self.first_day = False
            if line.status != "planned":
                continue
            if (line.course, line.day) not in days:
                days.add((line.course, line.day))
                self.per_week[line.week] += 1
            totals = self.weekly.setdefault((line.week, line.kind, line.item),
                                            [Decimal(0)] * 4)
            for index, value in enumerate((line.vials, line.bags, line.grams, line.volume_ml)):
                totals[index] += value or 0
        self.warnings.update(result.warnings)

    def finish(self) -> None:
        from ivig_schedule.render.ics.calendar import gathered

        self.dispensing.close()
        self.days_json.close()
        self.errors.close()
        weekly = [_weekly(week, kind, item, totals)
                  for (week, kind, item), totals in sorted(self.weekly.items())]
        with (self.folder / "dispensing-weekly.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(WEEKLY_COLUMNS)
            writer.writerows([_text_of(row[c]) for c in WEEKLY_COLUMNS] for row in weekly)
        days = self.folder / ".dispensing-days.json"
        with (self.folder / "dispensing.json").open("w", encoding="utf-8") as f:
            f.write('{\n  "format": "ivig-schedule/dispensing@2",\n  "days": [\n')
            with days.open(encoding="utf-8") as lines:
                shutil.copyfileobj(lines, f, 1 << 16)  # streamed: never all in memory
            f.write(("\n" if not self.first_day else "") + '  ],\n  "weekly": '
                    + json.dumps([{k: _json_of(v) for k, v in w.items()} for w in weekly],
                                 indent=2).replace("\n", "\n  ") + "\n}\n")
        days.unlink()
        for part in sorted((self.folder / "nurses").glob(".*.events")):
            nurse = part.name[1:-len(".events")]
            head, tail = gathered(f"IVIg visits {nurse}", self.zones.get(nurse, {}), "nurse")
            with (self.folder / "nurses" / f"{nurse}.ics").open("w", newline="",
                                                                encoding="utf-8") as f:
                f.write(head)
                with part.open(encoding="utf-8", newline="") as events:
                    shutil.copyfileobj(events, f, 1 << 16)
                f.write(tail)
            part.unlink()

    def summary(self) -> Summary:
        invalid, refused = self.counts["invalid"], self.counts["refused"]
        code = jobs.EXIT_BAD_INPUT if invalid else (jobs.EXIT_REFUSED if refused else
                                                     jobs.EXIT_OK)
        return Summary(planned=self.counts["planned"], refused=refused, invalid=invalid,
                       warnings=tuple(sorted(self.warnings.items())),
                       per_week=tuple(sorted(self.per_week.items())), exit_code=code)


def _weekly(week: str, kind: str, item: str, totals: list[Decimal]) -> dict[str, Any]:
    """One week's total of one item; vials and grams for a product, bags for saline."""
    vials, bags, grams, volume = totals
    product = kind == "product"
    return {"week": week, "kind": kind, "item": item, "vials": int(vials) if product else None,
            "bags": None if product else int(bags), "grams": grams if product else None,
            "volume_ml": volume}


def _text_of(value: Any) -> str:
    return "" if value is None else str(value)


def _json_of(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def run(source: Path, outdir: Path, settings: Settings, *, jobs_count: int = 1,
        force: bool = False, progress: Callable[[int, int], None] | None = None) -> Summary:
    """Plan every row of `source` into `outdir` (see the module notes)."""
    output.refuse_inside(outdir, (source, settings.limits_file))
    if outdir.exists() or outdir.is_symlink():
        output.check_target(outdir, "-o", force=force, folder=True)
    if not outdir.parent.is_dir():
        raise OutputError("-o", f"folder {outdir.parent} does not exist")
    output.clean_stale(outdir)
    temp = output.temp_path(outdir)
    output.remove_tree(temp)
    try:
        temp.mkdir()
        writer = _Writer(temp)
        tasks = [(row, settings) for row in rows(source)]
        total = len(tasks)
        if jobs_count <= 1:
            results: Iterator[Result] = map(_worker, tasks)
            _consume(results, writer, total, progress)
        else:
            import multiprocessing

            with multiprocessing.get_context("spawn").Pool(jobs_count) as pool:
                _consume(pool.imap(_worker, tasks, chunksize=4), writer, total, progress)
        writer.finish()
        _move_into_place(temp, outdir)
    except BaseException:
        output.remove_tree(temp)
        raise
    return writer.summary()


def _consume(results: Iterator[Result], writer: _Writer, total: int,
             progress: Callable[[int, int], None] | None) -> None:
    for done, result in enumerate(results, start=1):
        writer.add(result)
        if progress is not None:
            progress(done, total)


def _move_into_place(temp: Path, outdir: Path) -> None:
    """Rename the finished folder over OUTDIR (the old one is removed only after the swap)."""
    old = None
    try:
        if outdir.exists() or outdir.is_symlink():
            old = outdir.with_name(f".{outdir.name}{output.OLD}.{os.getpid()}{output.SUFFIX}")
            os.replace(outdir, old)
        os.replace(temp, outdir)
    except OSError as e:
        if old is not None and not outdir.exists():
            os.replace(old, outdir)
        raise OutputError("-o", e.strerror or str(e)) from None
    if old is not None:
        output.remove_tree(old)
