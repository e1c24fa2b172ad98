"""Planning speed, as ratios (the machines are shared and noisy, so no absolute limits).

Prints how long a heavy plan (250 kg, ProDERM, 10 courses, 5 days) takes relative to a light one
(80 kg, 2g-q4w, 3 courses), and how long importing the CLI takes relative to planning.
Run: python benchmarks/plan_speed.py
"""

from __future__ import annotations

import subprocess
import sys
import time

from ivig_schedule import jobs
from ivig_schedule.input import prescription
from ivig_schedule.render.records import to_json
from ivig_schedule.views.views import plan_view


def timed(fn, repeat: int = 20) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def build(weight: str, regimen: str, days: int, arm: str | None) -> prescription.Prescription:
    overrides = {"weight": weight, "regimen": regimen, "product": "octagam-10",
                 "start": "2027-01-11", "days": days, "arm": arm}
    return prescription.from_text(None, overrides, "Europe/Amsterdam")


def main() -> None:
    light = build("80", "2g-q4w", 4, None)
    heavy = build("250", "proderm", 5, "placebo")
    t_light = timed(lambda: to_json(plan_view(jobs.assess(light).checked_plan(), "pharmacy")))
    t_heavy = timed(lambda: to_json(plan_view(jobs.assess(heavy).checked_plan(), "pharmacy")))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import ivig_schedule.cli"], check=True)
    t_import = time.perf_counter() - start
    print(f"heavy plan / light plan: {t_heavy / t_light:.2f}")
    print(f"CLI import (fresh process) / light plan: {t_import / t_light:.1f}")
    rich_loaded = subprocess.run(
        [sys.executable, "-c", "import sys, ivig_schedule.cli; print('rich' in sys.modules)"],
        capture_output=True, text=True, check=True).stdout.strip()
    print(f"rich imported by the CLI module at start-up: {rich_loaded}")


if __name__ == "__main__":
    main()
