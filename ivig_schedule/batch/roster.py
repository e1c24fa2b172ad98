"""A pharmacy's whole list at once: every patient planned, their files, a calendar per nurse, the
dispensing worklist and the errors, written to a temporary folder and moved into place at the end.

A roster is a CSV (one patient a row; see `input.roster.COLUMNS`) or a folder of prescription
TOML files. Each row is planned by `jobs.rows.plan_row` in a worker process; results come back
in roster order and are written as they arrive, so memory stays flat and the output is the same whatever
the number of workers. A bad row never stops the run.

Layout of OUTDIR:

    patients/<id>/<view>.json|.csv|.ics   each view (pharmacy, nurse, patient, assessor)
    nurses/<nurse>.ics                    every infusion of that nurse's patients (nurse view)
    dispensing.csv, dispensing.json       one line per item of each infusion day (product vials
                                          by size, or a saline bag); weekly totals by item
    dispensing-weekly.csv                 the weekly totals, to order from
    errors.csv                            every row that was not planned, and why; and every
                                          nurse clash (field_or_rule nurse.clash, row 0)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
from attrs import frozen

from ivig_schedule import files as output
from ivig_schedule import jobs
from ivig_schedule.input import roster as roster_input
from ivig_schedule.input.roster import Row
from ivig_schedule.jobs import rows as rows_job
from ivig_schedule.jobs.rows import RowResult
from ivig_schedule.model.errors import OutputError
from ivig_schedule.model.limits import Limits
from ivig_schedule.render import csvcells
from ivig_schedule.render.dispensing import json_of
from ivig_schedule.views.dispensing import DISPENSING_COLUMNS, WeeklyTotals
from ivig_schedule.views.worklist import Entry, each_clash

WEEKLY_COLUMNS = ("week", "kind", "item", "vials", "bags", "grams", "volume_ml")
"""What to order each ISO week, by item; each column's name says its unit."""
ERROR_COLUMNS = ("row", "patient_id", "field_or_rule", "message")


@frozen
class Settings:
    """What every row is planned with."""

    limits: Limits
    today: dt.date
    limits_file: Path | None = None
    encoding: str = "utf-8"
    """The roster CSV's text encoding (``--encoding``; Excel on Windows saves cp1252)."""


@frozen
class Summary:
    """The run in numbers, for the closing table."""

    planned: int
    refused: int
    invalid: int
    warnings: tuple[tuple[str, int], ...]
    per_week: tuple[tuple[str, int], ...]
    exit_code: int
    clashes: tuple[str, ...] = ()
    """The first nurse clashes, each a line naming both patients (every one is in errors.csv)."""
    clash_count: int = 0


SUMMARY_CLASHES = 20
"""Clashes the summary shows (errors.csv lists them all)."""
STAGED = ".row-"
"""A planned row's files, written by its worker under ``patients/.row-<n>``, wait there until
the writer names the folder after the patient (or removes it, for a duplicate id)."""


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


_POOL_RUN: list[tuple[Settings, Path]] = []
"""In a pool worker: what every row of the run is planned with and written to, sent once as
the worker starts (not with every row)."""


def _pool_start(settings: Settings, folder: Path) -> None:
    _POOL_RUN[:] = [(settings, folder)]


def _pool_worker(row: Row) -> RowResult:
    return _worker(row, *_POOL_RUN[0])


def _worker(row: Row, settings: Settings, folder: Path) -> RowResult:
    """Plan one row and write its files in the temporary folder (in the worker, so that
    workers share the writing and only text and small values travel back)."""
    try:
        result = rows_job.plan_row(row, settings.limits, settings.today)
    except Exception as e:  # a bug must not stop the roster: the row reports it
        return RowResult(row.number, row.label, "invalid", errors=(
            ("(internal)", f"internal error ({type(e).__name__}); this is a bug in "
                           "ivig-schedule: plan the row alone with --debug and report it"),))
    if result.status != "planned":
        return result
    # Plain strings for the per-row paths: pathlib interns every part it parses, and a roster's
    # thousands of row and patient folder names would stay in memory to the end.
    staged = os.path.join(folder, "patients", f"{STAGED}{row.number}")
    os.mkdir(staged)
    for name, data in result.files:
        _write(os.path.join(staged, name), data)
    timed = [v for v in result.visits if v.arrive is not None and v.leave is not None
             and v.status != "cancelled"]
    return attrs.evolve(result, files=(), staged=staged, visits=(),
                        nurse_events=("".join(result.nurse_events),),
                        visit_lines="".join(f"{v.arrive.isoformat()}\t{v.leave.isoformat()}\t"  # type: ignore[union-attr]
                                            f"{v.travel_minutes}\t{v.patient_id}\n"
                                            for v in timed))


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
        self.weekly = WeeklyTotals()
        self.per_week: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.first_day = True
        self.clash_lines: tuple[str, ...] = ()
        self.clash_count = 0

    def _error(self, number: int, patient: str, field: str, message: str) -> None:
        self.errors_csv.writerow(csvcells.row((number, patient, field, message)))

    def add(self, result: RowResult) -> None:
        if result.status == "planned" and result.patient_id in self.seen:
            result = attrs.evolve(result, status="invalid", errors=((
                "patient.id", f"patient.id: duplicate id, first in row "
                              f"{self.seen[result.patient_id]} (got \"{result.patient_id}\")"),))
        self.counts[result.status] += 1
        for field, message in result.errors:
            self._error(result.number, result.patient_id, field, message)
        if result.status != "planned":
            if result.staged:
                output.remove_tree(Path(result.staged))
            return
        self.seen[result.patient_id] = result.number
        patient_dir = os.path.join(self.folder, "patients", result.patient_id)
        if result.staged:
            os.rename(result.staged, patient_dir)
        else:
            os.mkdir(patient_dir)
        for name, data in result.files:
            _write(os.path.join(patient_dir, name), data)
        with (self.folder / "nurses" / f".{result.nurse}.events").open("a", newline="",
                                                                       encoding="utf-8") as f:
            f.write("".join(result.nurse_events))
        if result.zone is not None:
            zone = result.zone
            span = self.zones.setdefault(result.nurse, {}).get(
                zone.name, (zone.first_year, zone.last_year))
            self.zones[result.nurse][zone.name] = (min(span[0], zone.first_year),
                                                   max(span[1], zone.last_year))
        self.dispensing.write(result.dispensing_csv)
        if result.dispensing_json:
            self.days_json.write(("" if self.first_day else ",\n") + "    "
                                 + ",\n    ".join(result.dispensing_json))
            self.first_day = False
        for week, days in result.days_per_week:
            self.per_week[week] += days
        self.weekly.add(result.weekly)
        self.warnings.update(result.warnings)
        if result.visit_lines:  # kept on disk, one file a nurse, so memory stays flat
            with (self.folder / "nurses" / f".{result.nurse}.visits").open(
                    "a", encoding="utf-8") as f:
                f.write(result.visit_lines)

    def finish(self) -> None:
        from ivig_schedule.render.ics.calendar import gathered

        found: list[str] = []
        for part in sorted((self.folder / "nurses").glob(".*.visits")):
            nurse = part.name[1:-len(".visits")]
            for clash in each_clash(_visits(part, nurse)):  # a warning: both rows planned
                self._error(0, clash.second.patient_id, "nurse.clash", clash.message)
                self.clash_count += 1
                if len(found) < SUMMARY_CLASHES:
                    found.append(clash.message)
            part.unlink()
        self.clash_lines = tuple(found)
        self.dispensing.close()
        self.days_json.close()
        self.errors.close()
        weekly = self.weekly.rows()
        with (self.folder / "dispensing-weekly.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(WEEKLY_COLUMNS)
            writer.writerows(csvcells.row(row[c] for c in WEEKLY_COLUMNS) for row in weekly)
        days = self.folder / ".dispensing-days.json"
        with (self.folder / "dispensing.json").open("w", encoding="utf-8") as f:
            f.write('{\n  "format": "ivig-schedule/dispensing@2",\n  "days": [\n')
            with days.open(encoding="utf-8") as lines:
                shutil.copyfileobj(lines, f, 1 << 16)  # streamed: never all in memory
            f.write(("\n" if not self.first_day else "") + '  ],\n  "weekly": '
                    + json.dumps([{k: json_of(v) for k, v in w.items()} for w in weekly],
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
        code = jobs.worst([jobs.EXIT_BAD_INPUT] * bool(invalid) + [jobs.EXIT_REFUSED] * bool(refused))
        return Summary(planned=self.counts["planned"], refused=refused, invalid=invalid,
                       warnings=tuple(sorted(self.warnings.items())),
                       per_week=tuple(sorted(self.per_week.items())), exit_code=code,
                       clashes=self.clash_lines, clash_count=self.clash_count)


def _visits(path: Path, nurse: str) -> Iterator[Entry]:
    """One nurse's timed visits, read back from her visits file (only what clashes need)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            arrive, leave, travel, patient = line.rstrip("\n").split("\t", 3)
            start = dt.datetime.fromisoformat(arrive)
            yield Entry(date=start.date(), weekday="", arrive=start,
                        leave=dt.datetime.fromisoformat(leave), patient_id=patient, nurse=nurse,
                        location="", course=0, day=0, what="", status="planned", prepare="",
                        items=(), travel_minutes=int(travel))


def run(source: Path, outdir: Path, settings: Settings, *, jobs_count: int = 1,
        force: bool = False, progress: Callable[[int, int], None] | None = None) -> Summary:
    """Plan every row of `source` into `outdir` (see the module notes).

    OUTDIR is locked for the whole run: a second roster into the same folder is refused at
    once instead of replacing the first one's work.
    """
    output.refuse_inside(outdir, (source, settings.limits_file))
    if not outdir.parent.is_dir():
        raise OutputError("-o", f"folder {outdir.parent} does not exist")
    with output.locked(outdir, "-o", wait=False):
        output.recover(outdir)
        if outdir.exists() or outdir.is_symlink():
            output.check_target(outdir, "-o", force=force, folder=True)
        output.clean_stale(outdir)
        temp = output.temp_path(outdir)
        output.remove_tree(temp)
        try:
            temp.mkdir()
            writer = _Writer(temp)
            tasks = roster_input.rows(source, settings.encoding)
            total = roster_input.count(source, settings.encoding)
            if jobs_count <= 1:
                _consume((_worker(row, settings, temp) for row in tasks), writer, total,
                         progress)
            else:
                import multiprocessing

                with multiprocessing.get_context("spawn").Pool(
                        jobs_count, initializer=_pool_start, initargs=(settings, temp)) as pool:
                    _consume(pool.imap(_pool_worker, tasks, chunksize=4), writer, total,
                             progress)
            writer.finish()
            if not force and (outdir.exists() or outdir.is_symlink()):
                output.check_target(outdir, "-o", force=False, folder=True)
            output.swap_in(temp, outdir, "-o")
        except BaseException:
            output.remove_tree(temp)
            raise
    return writer.summary()


def _consume(results: Iterator[RowResult], writer: _Writer, total: int,
             progress: Callable[[int, int], None] | None) -> None:
    for done, result in enumerate(results, start=1):
        writer.add(result)
        if progress is not None:
            progress(done, total)
