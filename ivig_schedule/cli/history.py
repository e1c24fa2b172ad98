"""``change`` and ``tis``: recording a course's history, and the score a response is made of."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from ivig_schedule.cli import common
from ivig_schedule.cli.options import tis_options
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.vocabulary import CHANGE_KINDS, TIS_MEASURES


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("kind", type=click.Choice(sorted(CHANGE_KINDS)))
@click.option("--reason", required=True, help="Why (required; kept in the history).")
@click.option("--by", "by", help="Who records it (required for a trial; default: [care] user).")
@click.option("--on", "on", help="Date it was recorded, YYYY-MM-DD (default: today; never "
              "later).")
@click.option("--course", type=int, help="delay, skip, given: the course number.")
@click.option("--days", type=int, help="delay: how many days later.")
@click.option("--no-shift-following", "shift_following", flag_value=False, default=None,
              help="delay: move only this course; later courses keep their weeks.")
@click.option("--from-course", "from_course", type=int,
              help="weight, dose, days, stop: the first course it applies to.")
@click.option("--weight", "weight_kg", help="weight: the new weight, e.g. 72.5 or '160 lb'.")
@click.option("--dose", "dose_g_per_kg", help="dose: the new dose in g/kg per course.")
@click.option("--days-per-course", "days_per_course", type=int, help="days: days per course.")
@click.option("--week", type=int, help="response: the week it was assessed.")
@click.option("--tis", "tis_total", help="response: the Total Improvement Score "
              "(0-100), or give the six measures instead.")
@tis_options
@click.option("--day", type=int, help="given: the day of the course.")
@click.option("--date", help="given: the date it was given (default: its planned date, which "
              "must not be after today).")
@click.option("--lot", help="given: the lot number.")
@click.option("--expiry", help="given: the lot's expiry date, YYYY-MM-DD.")
@click.option("--note", help="given: a note.")
@click.option("--today", help="Date for the checks (default: the system date; never later).")
@click.option("--limits", "limits_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this limits file instead of the built-in one.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def change(file: Path, kind: str, reason: str, by: str | None, on: str | None,
           today: str | None,
           limits_file: Path | None, debug: bool, tis_total: str | None,
           **given: Any) -> None:
    """Record a change to FILE's course history (appends one [[change]]; the rest of the file
    is kept as it is), then show the courses that moved or changed.

    KIND is delay, skip, weight, dose, days, response, stop or given. Examples:

      ivig-schedule change rx.toml delay --course 2 --days 7 --reason "fever"

      ivig-schedule change rx.toml response --week 4 --tis 35 --reason "week-4 visit"

    Nothing is written when the change is invalid (exit 1) or the changed plan is refused by a
    safety rule (exit 3).
    """
    with common.user_errors(debug):
        from ivig_schedule import files
        from ivig_schedule.input import tomltext
        from ivig_schedule.jobs import changes

        measures = {m: given.pop(m) for m in TIS_MEASURES}
        allowed = changes.CHANGE_FLAGS[kind]
        stray = [changes.flag_of(k) for k, v in given.items() if v is not None
                 and k not in allowed]
        if stray or (kind != "response" and (tis_total is not None or any(
                v is not None for v in measures.values()))):
            raise click.UsageError(f"{kind} does not take " + ", ".join(stray or ["--tis"]))
        values: dict[str, Any] = {k: v for k, v in given.items() if k in allowed}
        if kind == "response":
            if any(v is not None for v in measures.values()):
                values["tis"] = {m: v for m, v in measures.items() if v is not None}
            elif tis_total is not None:
                values["tis"] = tis_total
        system = dt.date.today()
        day = common.today(today)
        if day > system:
            raise PrescriptionError("--today", day.isoformat(),
                                    f"must not be after the system date ({system})")
        on_date = common.date_flag("--on", on) if on else None
        limits = common.limits(limits_file)
        real = files.real_file(file, str(file))
        # Read, check and write under one lock, so that two changes at once are both kept.
        with files.locked(real, str(file)):
            raw = real.read_bytes()
            text = tomltext.decode(raw, str(file))
            recorded = changes.record_change(changes.ChangeRequest(
                text=text, kind=kind, reason=reason, values=values, today=day, on=on_date,
                limits=limits, default_timezone=common.local_timezone,
                store=common.store_path(file), by=by))
            if recorded.text is None or recorded.outcome.plan is None:
                assert recorded.outcome.error is not None
                common.fail(recorded.outcome.error)
            bom = tomltext.BOM.encode("utf-8") if raw.startswith(
                tomltext.BOM.encode("utf-8")) else b""
            files.rewrite(real, raw, bom + recorded.text.encode("utf-8"), str(file))
        lines = [f"recorded change[{len(recorded.outcome.plan.effects) - 1}] in {file}: "
                 f"{recorded.effect}"]
        lines += [f"  course {m.number}: {m.before} → {m.after}" for m in recorded.moved]
        if not recorded.moved:
            lines.append("  no course moved or changed")
        files.write_stdout(("\n".join(lines) + "\n").encode("utf-8"))


@click.command()
@tis_options
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def tis(fmt: str, **measures: str | None) -> None:
    """The 2016 ACR/EULAR Total Improvement Score for adult dermatomyositis/polymyositis.

    Give each of the six core set measures as its PERCENT IMPROVEMENT from baseline (negative
    for worsening). Turning raw scores (MMT-8, HAQ, enzyme levels) into a percent change is not
    done here: the project's sources do not confirm that arithmetic. Classes: minimal >= 20,
    moderate >= 40, major >= 60 (Aggarwal et al. 2017); points from Rider et al. 2017, Table 3.
    """
    missing = [m for m, v in measures.items() if v is None]
    if missing:
        raise click.UsageError("give all six measures; missing: " + ", ".join(
            "--" + m.replace("_", "-") for m in missing))
    with common.user_errors(False):
        from ivig_schedule.jobs import outputs

        common.finish(outputs.tis({m: str(v) for m, v in measures.items()}, fmt))
