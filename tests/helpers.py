"""Shared test helpers: sample paths, small prescription builders, the command line, and
calendars made the way the tool makes them (stamped from the plan's history)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.input import prescription
from ivig_schedule.input import previous as sent
from ivig_schedule.render.ics.calendar import to_ics
from ivig_schedule.views import revisions
from ivig_schedule.views.views import PlanView, plan_view

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def make(overrides: dict[str, Any] | None = None, **sections: dict[str, Any]) -> Any:
    """A validated Prescription from a base order plus the given sections/overrides."""
    data: dict[str, Any] = {
        "patient": {"id": "T-1", "weight_kg": 80, "timezone": "America/New_York"},
        "order": {"product": "octagam-10", "regimen": "2g-q4w",
                  "indication": "dermatomyositis", "start": "2027-01-11",
                  "days_per_course": 4},
    }
    for name, values in sections.items():
        section = data.setdefault(name, {})
        section.update(values)
        for key in [k for k, v in section.items() if v is None]:
            del section[key]
    return prescription.parse(prescription.apply_overrides(data, overrides or {}), "UTC")


def checked(rx: Any, **options: Any) -> Any:
    """The checked plan of a prescription (warnings and overrides applied), or its error."""
    return jobs.assess(rx, **options).checked_plan()


def ics(view: PlanView, earlier: tuple[PlanView, ...] = (), *,
        stamp: dt.datetime | None = None, previous: bytes | None = None) -> bytes:
    """The view's calendar, stamped from its revisions (and a file sent before) as `plan` does."""
    old = sent.read(previous, revisions.identity(view), view.view) if previous else None
    return to_ics(view, revisions.stamped(view, earlier, fixed=stamp, previous=old))


def calendar(outcome: jobs.Outcome, view: str = "nurse") -> bytes:
    """The calendar of an outcome computed with its revisions (``jobs.run(..., revisions=True)``)."""
    assert outcome.plan is not None, outcome.error
    return ics(plan_view(outcome.plan, view),  # type: ignore[arg-type]
               tuple(plan_view(p, view) for p in outcome.revisions))  # type: ignore[arg-type]


def run(*args: str, input: str | None = None) -> Any:
    """The command line, as a user runs it."""
    return CliRunner().invoke(cli, list(args), input=input)


def toml_value(value: Any) -> str:  # noqa: PLR0911 - one return per TOML type
    """A Python value as TOML (None elements are left out: TOML has no null)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON escapes are valid TOML basic-string escapes
    if isinstance(value, list):  # TOML has no null: None elements are left out
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}"
                           for k, v in value.items() if v is not None) + "}"


def to_toml(data: dict[str, Any]) -> str:
    """A mapping of tables as TOML text."""
    lines = []
    for section, table in data.items():
        lines.append(f"[{section}]")
        lines.extend(f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()
                     if v is not None)
    return "\n".join(lines) + "\n"


def needs_pdf() -> None:
    """Skip, saying why, when WeasyPrint cannot run here: the pdf extra is missing, or it is
    installed but the system has no Pango (WeasyPrint then raises OSError on import)."""
    import pytest

    try:
        import weasyprint  # noqa: F401
    except ImportError:
        pytest.skip("the pdf extra is not installed (pip install '.[pdf]')")
    except OSError as e:
        pytest.skip(f"WeasyPrint cannot load Pango ({str(e)[:60]}); apt-get install "
                    "libpango-1.0-0 libpangoft2-1.0-0")


def run_roster(source: Path, out: Path, *extra: str, today: str = "2026-12-02") -> Any:
    """The roster command, quiet, dated `today`."""
    return CliRunner().invoke(cli, ["roster", str(source), "-o", str(out), "--today", today,
                                    "--quiet", *extra])


def tree(folder: Path) -> dict[str, str]:
    """Every file's relative path and content hash."""
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
