"""Speed, as ratios against baselines measured in the same run (the machines are shared and
noisy, so nothing here asserts a time). Prints each ratio beside its target:

1. CPU per patient for every roster output (12 courses, 48 infusion days), in-process, warm,
   written to a RAM disk where there is one (file creation costs about 0.6 ms of kernel time a
   file on some virtual disks; that is the disk, not this tool); target <= 15 ms. Its floor:
   the same patients planned and checked, no output made. With ``--baseline DIR`` (a
   checkout of an earlier commit), the same roster through that checkout's command line and
   through this one, CPU of the child processes: target, this one <= 0.5 x the earlier one's.
2. A 300-patient roster with ``--jobs 1`` against a naive icalendar writer of the same
   patients' events alone (Calendar / Event / Alarm + to_ical, in-process, no start-up):
   target >= 1.5 x faster. Printed for two readings of "the same events": (a) the nurse view's
   events only (48 a patient), and (b) the events of every calendar the roster writes (each of
   the four views' calendars, and the nurse's calendar that gathers her patients: 240 a
   patient).
3. ``--jobs 2`` against ``--jobs 1`` (wall time): target >= 1.8 x on an idle two-core machine.
4. Start-up, A B A B pair by pair (CPU time), and by instruction count where valgrind is
   installed (one run each; counts barely vary): ``plan samples/proderm.toml --format json``
   against the floor ``python -c 'import click, attrs, decimal, zoneinfo, tomllib, pathlib,
   datetime'`` (target <= 1.3 x), and against a second floor that also defines as many
   ``attrs.frozen`` classes, of the same field counts, as a plain plan defines (the cost of
   the value classes themselves, which plain attrs classes cannot avoid); ``--help`` against
   ``python -c 'import click'`` (target <= 1.2 x).
5. ``plan --format ics`` cost per course and revision, for 25 courses with 50 recorded weight
   changes, 50 with 100 and 100 with 200 (in-process, every revision planned and checked):
   target, linear in courses x revisions (the largest case's cost per course-revision at most
   1.5 x the smallest's).

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


def planning_only(source: Path) -> float:
    """CPU seconds to plan and check the roster's patients as the roster does (each row's use
    case), writing nothing: the floor of 1."""
    from ivig_schedule.input import roster as roster_input
    from ivig_schedule.input.limits_file import built_in_limits
    from ivig_schedule.jobs import rows as roster_rows

    found = list(roster_input.rows(source))
    limits, today = built_in_limits(), dt.date.fromisoformat(TODAY)
    cpu = time.process_time()
    for row in found:
        roster_rows.planned(row, limits, today)
    return time.process_time() - cpu


def history_cost(courses: int, changes: int) -> float:
    """CPU microseconds per course-revision of planning a history for a calendar (every
    revision planned and checked, the calendar written)."""
    from history import head, weight_changes  # benchmarks/history.py

    from ivig_schedule import jobs
    from ivig_schedule.jobs import outputs

    text = head(courses, "2027-01-11", days=2) + weight_changes(changes, courses)
    cpu = time.process_time()
    written = outputs.plan(jobs.Request(text=text, today=dt.date.fromisoformat(TODAY)), "ics",
                           "nurse")
    spent = time.process_time() - cpu
    assert written.data is not None, written.outcome.error
    return 1e6 * spent / (courses * (changes + 1))


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


def instructions(command: list[str]) -> int | None:
    """Instructions one run executes (valgrind's callgrind), or None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           *command], check=False, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    found = [line for line in done.stderr.splitlines() if "refs:" in line]
    return int(found[-1].split("refs:")[1].replace(",", "").strip()) if found else None


CLASSES = """import atexit, runpy, sys
def shapes():
    found = []
    for name, module in list(sys.modules.items()):
        if name.startswith("ivig_schedule"):
            found += [len(v.__attrs_attrs__) for v in vars(module).values()
                      if isinstance(v, type) and hasattr(v, "__attrs_attrs__")
                      and v.__module__ == name]
    print(found, file=sys.stderr)
atexit.register(shapes)
sys.argv = ["ivig-schedule", *sys.argv[1:]]
runpy.run_module("ivig_schedule", run_name="__main__")
"""
"""Runs a command and prints the field count of every attrs class of ours it defined."""


def class_floor(args: list[str]) -> tuple[str, int]:
    """The floor plus as many attrs.frozen classes, of the same field counts, as `args`
    defines: (the -c program, the number of classes)."""
    done = subprocess.run([sys.executable, "-c", CLASSES, *args], check=False,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    shapes = [int(n) for n in done.stderr.strip().splitlines()[-1].strip("[]").split(",") if n]
    program = (f"{FLOOR}\nfor i, n in enumerate({shapes!r}):\n"
               "    attrs.frozen(type(f'C{i}', (), {'__annotations__': "
               "{f'f{j}': 'int' for j in range(n)}, '__module__': '__main__'}))")
    return program, len(shapes)


def ratio(a: list[str], b: list[str], runs: int = 11) -> float:
    """A B A B ...: the median of the pair-by-pair CPU ratios."""
    return statistics.median(children_cpu(a) / max(children_cpu(b), 1e-6) for _ in range(runs))


def paired(label: str, a: list[str], b: list[str], target: float, runs: int = 11,
           floor: str = "") -> None:
    """The ratio of `a` to `b` beside its target (and what `b`, the floor, is), by CPU time and
    by instruction count."""
    counts = instructions(a), instructions(b)
    by_count = (f"; by instructions {counts[0] / counts[1]:.2f}x ({counts[0] / 1e6:.1f} M / "
                f"{counts[1] / 1e6:.1f} M)" if None not in counts else
                "; no valgrind, no instruction count")
    print(f"4. {label}: CPU {ratio(a, b, runs):.2f}x{by_count} (target <= {target}x{floor})")


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
        runs = [(in_process(source, work / "one"), planning_only(source)) for _ in range(3)]
        cpu, wall_one = min(full for full, _ in runs)  # A B A B: the best of each
        floor_cpu = min(floor for _, floor in runs)
        print(f"1. CPU per patient, every roster output: {1000 * cpu / 300:.1f} ms (target <= 15 "
              f"ms; floor, planning and checking alone: {1000 * floor_cpu / 300:.1f} ms; on "
              f"{'a RAM disk' if str(work).startswith('/dev/shm') else 'disk'})")
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
        print(f"2. naive icalendar writer of the events alone / roster --jobs 1, every output "
              f"(target >= 1.5x; the floor is the naive writer itself): (a) the nurse view's "
              f"events {nurse_only / wall_one:.2f}x; (b) every calendar's events "
              f"{every / wall_one:.2f}x")
        _, wall_two = in_process(source, work / "two", jobs=2)
        print(f"3. roster --jobs 1 / --jobs 2: {wall_one / wall_two:.2f}x (target >= 1.8x on "
              f"an idle 2-core machine, ceiling 2x; this one has {os.cpu_count()} cores)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    plan_json = cli("plan", str(ROOT / "samples" / "proderm.toml"), "--format", "json",
                    "--today", TODAY)
    floor = [sys.executable, "-c", FLOOR]
    floor_over_click = ratio(floor, [sys.executable, "-c", "import click, attrs"])
    paired(f"plan --format json / python -c '{FLOOR}'", plan_json, floor, 1.3,
           floor=f"; the floor itself is {floor_over_click:.2f}x 'import click, attrs'")
    program, count = class_floor(plan_json[3:])
    paired(f"plan --format json / the floor and {count} attrs.frozen classes of its shapes",
           plan_json, [sys.executable, "-c", program], 1.3)
    paired("--help / python -c 'import click'", cli("--help"),
           [sys.executable, "-c", "import click"], 1.2)
    history_cost(5, 10)  # warm: the first calendar imports its modules
    costs = {(c, r): min(history_cost(c, r) for _ in range(2))
             for c, r in ((25, 50), (50, 100), (100, 200))}
    print("5. plan -f ics, CPU per course-revision: "
          + ", ".join(f"{c} courses x {r + 1} revisions {us:.0f} us" for (c, r), us in
                      costs.items())
          + f"; largest / smallest {costs[100, 200] / costs[25, 50]:.2f}x (target <= 1.5x: "
          "linear in courses x revisions)")


if __name__ == "__main__":
    main()
