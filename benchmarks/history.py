"""The cost of a long history, as ratios against baselines measured in the same run.

The machines are shared and noisy, so nothing here asserts a time; it prints three ratios and
their targets:

1. ``plan -f json`` of a 12-course plan with 30 recorded changes against the same plan with
   none (target <= 1.2x): only the calendar needs the plans before each change.
2. ``plan -f ics`` of 100 courses with 200 changes (time and peak memory) against the same 100
   courses with none, and against the figures before this work (80-94 s, 2.5 GB);
   target: under 10 % of those.
3. ``change`` on a year-long file with 199 ``given`` records (the 200th change is the one
   recorded; a file holds at most 200) against ``plan -f json`` of it (target <= 1.5x).

Each command runs in its own process (best of a few), as a user runs it.
Run: python benchmarks/history.py
"""

from __future__ import annotations

import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = "2026-12-03"
BEFORE_SECONDS, BEFORE_BYTES = 80.0, 2.5e9
"""100 courses with 200 changes before this work (the issue's measurement, low end)."""


def head(courses: int, start: str, days: int = 4) -> str:
    return (f'[patient]\nid = "HB-1"\nweight_kg = 80\ntimezone = "Europe/Amsterdam"\n\n'
            f'[order]\nproduct = "octagam-10"\nregimen = "2g-q4w"\nstart = {start}\n'
            f'days_per_course = {days}\ncourses = {courses}\n')


def weight_changes(count: int, courses: int, on: str = "2026-11-01") -> str:
    """`count` weight changes spread over the courses (80-84 kg, so no rule objects)."""
    out = []
    for i in range(count):
        course = 2 + (i * (courses - 2)) // max(count, 1)
        out.append(f'\n[[change]]\non = {on}\nkind = "weight"\nreason = "visit {i}"\n'
                   f'from_course = {course}\nweight_kg = {80 + i % 5}\n')
    return "".join(out)


def given_changes(count: int, start: dt.date, days: int = 4) -> str:
    """`count` given records, day by day from the first course (every 4 weeks)."""
    out = []
    for i in range(count):
        course, day = divmod(i, days)
        date = start + dt.timedelta(weeks=4 * course, days=day)
        out.append(f'\n[[change]]\non = {date}\nkind = "given"\nreason = "given"\n'
                   f'course = {course + 1}\nday = {day + 1}\nlot = "L{i}"\n')
    return "".join(out)


def timed(args: list[str], repeat: int = 3) -> tuple[float, int]:
    """Best wall time of `repeat` runs, and the largest peak memory (bytes) of the children."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ivig_schedule", *args], check=True,
                       stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return best, peak


def peak_of(args: list[str]) -> int:
    code = ("import resource, runpy, sys\n"
            f"sys.argv = ['ivig-schedule', *{args!r}]\n"
            "try:\n    runpy.run_module('ivig_schedule', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    return int(done.stderr.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        none, thirty = root / "none.toml", root / "thirty.toml"
        none.write_text(head(12, "2027-01-11"))
        thirty.write_text(head(12, "2027-01-11") + weight_changes(30, 12))
        plain, _ = timed(["plan", str(none), "-f", "json", "--today", TODAY])
        changed, _ = timed(["plan", str(thirty), "-f", "json", "--today", TODAY])
        print(f"1. plan -f json, 30 changes / none: {changed / plain:.2f} (target <= 1.2)")

        long_none, long = root / "long-none.toml", root / "long.toml"
        long_none.write_text(head(100, "2027-01-11", days=2))
        long.write_text(head(100, "2027-01-11", days=2) + weight_changes(200, 100))
        base_args = ["plan", str(long_none), "-f", "ics", "--today", TODAY]
        args = ["plan", str(long), "-f", "ics", "--today", TODAY]
        base_time, _ = timed(base_args, repeat=1)
        long_time, _ = timed(args, repeat=1)
        long_peak = peak_of(args)
        base_peak = peak_of(base_args)
        print(f"2. plan -f ics, 100 courses with 200 changes / none: {long_time / base_time:.2f} "
              f"time, {long_peak / base_peak:.2f} peak memory; against before this work: "
              f"{long_time / BEFORE_SECONDS:.3f} time, {long_peak / BEFORE_BYTES:.3f} memory "
              "(target < 0.1 each)")

        start = dt.date(2022, 12, 5)
        year = root / "given.toml"
        year.write_text(head(52, start.isoformat()) + given_changes(199, start))
        copy = root / "copy.toml"
        planned, _ = timed(["plan", str(year), "-f", "json", "--today", TODAY])
        best = float("inf")
        for _ in range(3):
            copy.write_bytes(year.read_bytes())
            began = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ivig_schedule", "change", str(copy), "weight",
                            "--from-course", "52", "--weight", "81", "--reason", "scale",
                            "--today", TODAY], check=True, stdout=subprocess.DEVNULL)
            best = min(best, time.perf_counter() - began)
        print(f"3. change on 199 given records / plan -f json of it: {best / planned:.2f} "
              "(target <= 1.5)")

        # A start in 9990 with a change recorded now: the calendar's VTIMEZONE covers the
        # stamps of 2026 and the events of 9990; it must not be walked year by year.
        far = root / "far.toml"
        far.write_text(head(3, "9990-11-05") + weight_changes(1, 3))
        far_json, _ = timed(["plan", str(far), "-f", "json", "--today", TODAY])
        far_ics, _ = timed(["plan", str(far), "-f", "ics", "--today", TODAY])
        print(f"4. plan -f ics / -f json, start in 9990 with a change recorded now: "
              f"{far_ics / far_json:.2f} (target < 2)")


if __name__ == "__main__":
    main()
