"""Roster speed and memory, as ratios against baselines measured in the same run.

The machines are shared and noisy, so nothing here asserts a time; it prints:

- the calendar writer's events per second against building the same events naively with the
  icalendar library (Calendar / Event / Alarm + to_ical), target >= 3x;
- the roster at 100 and 1,000 patients (12 courses each): time per patient and peak memory,
  target: peak at 1,000 <= 1.2 x peak at 100 (patients stream through);
(the per-patient CPU, --jobs and start-up ratios are in benchmarks/speed.py.)

Run: python benchmarks/roster.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workload import make_roster, naive_calendar  # benchmarks/ is on sys.path as a script

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "proderm.toml"
PEAK = """
import resource, sys
from ivig_schedule.batch import roster
from ivig_schedule.input.limits_file import built_in_limits
import datetime as dt
from pathlib import Path
settings = roster.Settings(built_in_limits(), dt.date(2027, 1, 1))
roster.run(Path(sys.argv[1]), Path(sys.argv[2]), settings, jobs_count=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def best_of(fn, repeat: int = 5) -> float:
    """The fastest of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def writer_ratio() -> None:
    from ivig_schedule import jobs
    from ivig_schedule.render.ics.calendar import to_ics
    from ivig_schedule.views.revisions import stamped
    from ivig_schedule.views.views import plan_view

    outcome = jobs.run(jobs.Request(text=SAMPLE.read_text(), default_timezone="UTC"))
    view = plan_view(outcome.plan, "nurse")
    events = sum(len(c.days) for c in view.courses) + len(view.visits)

    def naive() -> bytes:
        return naive_calendar(view)

    ours, theirs = best_of(lambda: to_ics(view, stamped(view)), 20), best_of(naive, 20)
    print(f"calendar writer: {events / ours:,.0f} events/s; naive icalendar "
          f"{events / theirs:,.0f} events/s; ratio {theirs / ours:.1f}x (target >= 3x)")


def roster_scaling(work: Path) -> None:
    results = {}
    for patients in (100, 1000):
        folder = work / f"r{patients}"
        folder.mkdir()
        source = make_roster(folder, patients)
        start = time.perf_counter()
        peak = subprocess.run([sys.executable, "-c", PEAK, str(source), str(folder / "out")],
                              capture_output=True, text=True, check=True).stdout.strip()
        seconds = time.perf_counter() - start
        results[patients] = (seconds / patients, int(peak))
        print(f"roster {patients:5d} patients x 12 courses: {1000 * seconds / patients:.1f} ms per "
              f"patient, peak RSS {int(peak) / 1024:.0f} MiB")
    ratio = results[1000][1] / results[100][1]
    print(f"peak RSS at 1,000 / at 100: {ratio:.2f} (target <= 1.2)")


def main() -> None:
    writer_ratio()
    work = Path(tempfile.mkdtemp())
    try:
        roster_scaling(work)
    finally:
        shutil.rmtree(work)
    print(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
