"""Speed, as ratios against baselines measured in the same run (the machines are shared and
noisy, so nothing here asserts a time). Prints each ratio beside its target:

1. CPU per patient for every roster output (12 courses, 48 infusion days), in-process, warm,
   written to a RAM disk where there is one (file creation costs about 0.6 ms of kernel time a
   file on some virtual disks; that is the disk, not this tool). With ``--baseline DIR`` (a
   checkout of an earlier commit), the same roster through that checkout's command line and
   through this one, CPU of the child processes: target, this one <= 0.5 x the earlier one's.
2. A 300-patient roster with ``--jobs 1`` against a naive icalendar writer of the same
   patients' events alone (Calendar / Event / Alarm + to_ical, in-process, no start-up):
   target >= 1.5 x faster. Printed for two readings of "the same events": (a) the nurse view's
   events only (48 a patient), and (b) the events of every calendar the roster writes (each of
   the four views' calendars, and the nurse's calendar that gathers her patients: 240 a
   patient).
3. ``--jobs 2`` against ``--jobs 1`` (wall time): target >= 1.8 x on an idle two-core machine.
4. Start-up, A B A B pair by pair: ``plan samples/proderm.toml --format json`` against
   ``python -c 'import click, attrs'`` (target <= 1.3 x) and ``--help`` against
   ``python -c 'import click'`` (target <= 1.2 x).

Run it from a regular install (``pip install .``), not an editable one: an editable install
reads the package's modules from the source tree, and where ``PYTHONDONTWRITEBYTECODE`` is set it
compiles every module at each start, which the start-up ratios would count against the tool.

Run: python benchmarks/speed.py [--baseline /path/to/old/checkout]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workload import make_roster, naive_calendar  # benchmarks/ is on sys.path as a script

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2027-01-01"


def scratch() -> Path:
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="ivig-bench-", dir=base))


def in_process(source: Path, out: Path, jobs: int = 1) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) for one roster run."""
    from ivig_schedule.batch import roster
    from ivig_schedule.input.limits_file import built_in_limits

    settings = roster.Settings(built_in_limits(), dt.date.fromisoformat(TODAY))
    shutil.rmtree(out, ignore_errors=True)
    cpu, wall = time.process_time(), time.perf_counter()
    roster.run(source, out, settings, jobs_count=jobs)
    return time.process_time() - cpu, time.perf_counter() - wall


def children_cpu(command: list[str], cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=False, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def naive_writer(source: Path) -> tuple[float, float]:
    """Seconds to write the same patients' events with icalendar, naively: (a) the nurse
    view's calendar alone, (b) every calendar the roster writes (four views, and the nurse's
    gathered calendar, which holds her view's events again)."""
    from ivig_schedule import jobs
    from ivig_schedule.input import roster as roster_input
    from ivig_schedule.model.vocabulary import VIEWS
    from ivig_schedule.views.views import plan_view

    patients = []
    for row in roster_input.rows(source):
        outcome = jobs.run(jobs.Request(text=roster_input.prescription_text(row),
                                        overrides=dict(row.overrides)))
        plan = outcome.checked_plan()
        patients.append({name: plan_view(plan, name) for name in VIEWS})
    start = time.perf_counter()
    for views in patients:
        naive_calendar(views["nurse"])
    nurse_only = time.perf_counter() - start
    start = time.perf_counter()
    for views in patients:
        for name in (*VIEWS, "nurse"):
            naive_calendar(views[name])
    return nurse_only, time.perf_counter() - start


FLOOR = "import click, attrs, decimal, zoneinfo, tomllib, pathlib, datetime"
"""What a plan cannot do without: the start-up floor the target is measured against."""


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ivig_schedule", *args]


def ratio(a: list[str], b: list[str], runs: int = 11) -> float:
    """A B A B ...: the median of the pair-by-pair CPU ratios."""
    return statistics.median(children_cpu(a) / max(children_cpu(b), 1e-6) for _ in range(runs))


def paired(label: str, a: list[str], b: list[str], target: float, runs: int = 11,
           floor: str = "") -> None:
    """The ratio of `a` to `b` beside its target (and what `b`, the floor, is)."""
    print(f"4. {label}: {ratio(a, b, runs):.2f}x (target <= {target}x{floor})")


def main() -> None:
    import ivig_schedule

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of an earlier commit")
    args = parser.parse_args()
    where = Path(ivig_schedule.__file__).resolve()
    if ROOT in where.parents:
        print(f"note: ivig_schedule is imported from the source tree ({where.parent}); start-up "
              "ratios are for a regular install (see the notes at the top)")
    work = scratch()
    try:
        source = make_roster(work, 300)
        in_process(source, work / "warm")
        cpu, wall_one = in_process(source, work / "one")
        print(f"1. CPU per patient, every roster output: {1000 * cpu / 300:.1f} ms "
              f"(on {'a RAM disk' if str(work).startswith('/dev/shm') else 'disk'})")
        if args.baseline is not None:
            env = dict(os.environ, PYTHONPATH=str(args.baseline.resolve()))
            old = min(children_cpu(cli("roster", str(source), "-o", str(work / "old"),
                                       "--force", "--quiet", "--jobs", "1", "--today", TODAY),
                                   cwd=args.baseline, env=env) for _ in range(2))
            new = min(children_cpu(cli("roster", str(source), "-o", str(work / "new"),
                                       "--force", "--quiet", "--jobs", "1", "--today", TODAY),
                                   cwd=ROOT) for _ in range(2))
            print(f"   command line, 300 patients: {1000 * new / 300:.1f} ms per patient "
                  f"against {1000 * old / 300:.1f} ms for the baseline; ratio "
                  f"{new / old:.2f} (target <= 0.5)")
        nurse_only, every = naive_writer(source)
        print(f"2. naive icalendar writer of the events alone / roster --jobs 1 (target >= "
              f"1.5x): (a) the nurse view's events {nurse_only / wall_one:.2f}x; (b) every "
              f"calendar's events {every / wall_one:.2f}x")
        _, wall_two = in_process(source, work / "two", jobs=2)
        print(f"3. roster --jobs 1 / --jobs 2: {wall_one / wall_two:.2f}x (target >= 1.8x on "
              f"an idle 2-core machine; this one has {os.cpu_count()} cores)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    plan_json = cli("plan", str(ROOT / "samples" / "proderm.toml"), "--format", "json",
                    "--today", TODAY)
    floor = [sys.executable, "-c", FLOOR]
    floor_over_click = ratio(floor, [sys.executable, "-c", "import click, attrs"])
    paired(f"plan --format json / python -c '{FLOOR}'", plan_json, floor, 1.3,
           floor=f"; the floor itself is {floor_over_click:.2f}x 'import click, attrs'")
    paired("--help / python -c 'import click'", cli("--help"),
           [sys.executable, "-c", "import click"], 1.2)


if __name__ == "__main__":
    main()
