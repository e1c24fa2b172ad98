"""Command line. The only module that reads files, standard input, the console and the clock.

Each command parses its options, builds a `jobs.Request`, runs the one use-case path, renders the
outcome and writes it. Exit codes (0 ok, 1 bad input, 2 usage, 3 refused by a safety rule) come
from `ivig_schedule.jobs`.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ivig_schedule.model.errors import (
    IvigScheduleError,
    PrescriptionError,
    RefusedBySafetyRule,
)
from ivig_schedule.model.vocabulary import CHANGE_KINDS

if TYPE_CHECKING:
    from ivig_schedule import jobs

PLAN_FORMATS = ("table", "json", "csv", "ics", "fhir")


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version: the metadata is read here only, so other commands start faster."""
    if value and not ctx.resilient_parsing:
        import ivig_schedule

        click.echo(f"ivig-schedule, version {ivig_schedule.__version__}")
        ctx.exit()


def _fail(error: IvigScheduleError) -> NoReturn:
    from ivig_schedule.jobs import EXIT_BAD_INPUT, EXIT_REFUSED

    code = EXIT_REFUSED if isinstance(error, RefusedBySafetyRule) else EXIT_BAD_INPUT
    click.echo(f"error: {error}", err=True)
    sys.exit(code)


@contextmanager
def _user_errors(debug: bool) -> Iterator[None]:
    """The project's errors as one stderr line and an exit code; a bug says how to report it."""
    try:
        yield
    except IvigScheduleError as e:
        if debug:
            raise
        _fail(e)
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except Exception as e:
        if debug:
            raise
        click.echo(f"error: internal error ({type(e).__name__}); this is a bug in ivig-schedule: "
                   "run again with --debug and report it", err=True)
        from ivig_schedule.jobs import EXIT_BAD_INPUT

        sys.exit(EXIT_BAD_INPUT)


def _emit(data: str | bytes, output: Path | None, force: bool) -> None:
    from ivig_schedule import files as out

    raw = data.encode("utf-8") if isinstance(data, str) else data
    if output is None:
        out.write_stdout(raw)
    else:
        out.write_file(output, raw, force=force)


def _read_prescription(path: Path | None) -> str | None:
    from ivig_schedule.input import tomltext

    if path is None:
        return None
    label = "(stdin)" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            raw = sys.stdin.buffer.read(tomltext.MAX_BYTES + 1)
        else:
            with path.open("rb") as handle:
                raw = handle.read(tomltext.MAX_BYTES + 1)
    except OSError as e:
        raise PrescriptionError("(file)", label, f"cannot be read: {e.strerror}") from None
    return tomltext.decode(raw, label)


def _stamp(value: str | None) -> dt.datetime | None:
    """--stamp: 'now' reads the clock (here, at the edge); otherwise an aware ISO date-time."""
    if value is None:
        return None
    if value.strip().lower() == "now":
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise PrescriptionError("--stamp", value,
                                "must be 'now' or a date-time with offset, e.g. 2027-01-01T12:00:00Z")
    return moment


def _local_timezone() -> str:
    import pendulum.tz

    return str(pendulum.tz.local_timezone().name)


def override_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Flags that override single prescription fields, for quick what-ifs."""
    options = [
        click.option("--weight", help="Patient weight in kg, or e.g. '160 lb' "
                     "(patient.weight_kg)."),
        click.option("--start", help="First infusion day, YYYY-MM-DD (order.start)."),
        click.option("--days", type=click.IntRange(min=1), help="Days per course."),
        click.option("--product", help="Product id from `ivig-schedule products`."),
        click.option("--regimen", help="Regimen id from `ivig-schedule regimens`."),
        click.option("--arm", type=click.Choice(["active", "placebo"]), help="Trial arm."),
        click.option("--dosing-weight", "dosing_weight",
                     type=click.Choice(["actual", "ideal", "adjusted", "auto"]),
                     help="Dosing weight basis."),
        click.option("--timezone", help="IANA zone of the patient's home."),
        click.option("--patient-id", "patient_id", help="Pseudonymous patient id."),
        click.option("--height", help="Height in cm, or e.g. '1.75 m', '5 ft 9 in' "
                     "(patient.height_cm)."),
        click.option("--sex", type=click.Choice(["female", "male"]), help="For the Devine "
                     "ideal body weight (patient.sex)."),
        click.option("--risk", multiple=True, type=click.Choice(["thrombosis", "renal"]),
                     help="A risk factor (repeatable; patient.risk_factors)."),
        click.option("--start-time", "start_time", help="Local start time, HH:MM "
                     "(order.start_time)."),
        click.option("--indication", help="Picks the product's ladder, e.g. dermatomyositis, "
                     "cidp (order.indication)."),
        click.option("--max-rate-ml-h", "max_rate_ml_h", type=click.FloatRange(min=0,
                     min_open=True), help="An absolute pump-rate ceiling in mL/h "
                     "(order.max_rate_ml_h)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def guard_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options that choose the limits and acknowledge soft breaches."""
    options = [
        click.option("--accept", "accepts", multiple=True, metavar="RULE",
                     help="Acknowledge a soft limit (repeatable; each needs a --reason)."),
        click.option("--reason", "reasons", multiple=True, metavar="TEXT",
                     help="Why the matching --accept is acceptable; recorded in the output."),
        click.option("--strict", is_flag=True,
                     help="Refuse (exit 3) while any soft limit is unacknowledged."),
        click.option("--limits", "limits_file",
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Use this limits file instead of the built-in one."),
        click.option("--today", help="Date for the start-in-the-past check (default: today)."),
        click.option("--debug", is_flag=True, help="Show a traceback on errors."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _limits(limits_file: Path | None) -> Any:
    """The built-in limits, or the pharmacy's own file."""
    from ivig_schedule.input import limits_file as limits
    from ivig_schedule.input import tomltext

    if limits_file is None:
        return limits.built_in_limits()
    try:
        raw = limits_file.read_bytes()
        text = tomltext.decode(raw, str(limits_file))
    except OSError as e:
        raise PrescriptionError("--limits", str(limits_file), f"cannot be read: {e.strerror}") \
            from None
    except PrescriptionError as e:
        raise limits.as_catalog_error(str(limits_file), e) from None
    return limits.load_limits(text, str(limits_file))


def _today(value: str | None) -> dt.date:
    """--today, or the system date: the clock is read here, at the edge, and nowhere else."""
    return dt.date.today() if value is None else _date_flag("--today", value)


def _date_flag(flag: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PrescriptionError(flag, value, "must be a date like 2027-01-11") from None


def _request(path: Path | None, overrides: dict[str, Any], accepts: tuple[str, ...],
             reasons: tuple[str, ...], strict: bool, limits_file: Path | None,
             today: str | None, *, kept: bool = False) -> jobs.Request:
    """The use case's request. `kept`: the output is a file another system keeps (calendar,
    FHIR, sheet), which needs the patient's real id and zone, never a default."""
    from ivig_schedule import jobs
    from ivig_schedule.input.prescription import FOR_FILES

    if len(accepts) != len(reasons) or any(not r.strip() for r in reasons):
        raise click.UsageError("every --accept RULE needs its own non-empty --reason TEXT")
    if kept and path is None and overrides.get("patient_id") is None:
        raise click.UsageError("a calendar, FHIR Bundle or sheet is kept by other systems: give "
                               "the patient's pseudonymous id with --patient-id")
    needs_zone = overrides.get("timezone") is None
    return jobs.Request(
        text=_read_prescription(path), overrides=overrides,
        default_timezone=_local_timezone if needs_zone and not kept else "UTC",
        limits=_limits(limits_file), today=_today(today),
        accepted=tuple(zip(accepts, reasons, strict=True)), strict=strict,
        required=FOR_FILES if kept else frozenset())


def _needs_input(prescription: Path | None, overrides: dict[str, Any]) -> None:
    if prescription is None and overrides.get("weight") is None and overrides.get("start") is None:
        raise click.UsageError(
            "give a prescription FILE (or - for standard input), or plan from flags: "
            "--weight, --regimen, --start (and --product when the regimen names none)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version and exit.")
def cli() -> None:
    """Plan IVIg courses: whole-vial doses, pump steps, placebo volumes and calendars.

    Decision support only: a pharmacist verifies every plan before anything is dispensed.
    """


PRESCRIPTION_ARGUMENT = click.argument(
    "prescription", required=False, type=click.Path(dir_okay=False, allow_dash=True,
                                                    path_type=Path))


def _render(fmt: str, view: Any, *, stamp: dt.datetime | None, previous: bytes | None,
            earlier: tuple[Any, ...], color: bool) -> str | bytes:
    if fmt == "json":
        from ivig_schedule.render.records import to_json

        return to_json(view)
    if fmt == "csv":
        from ivig_schedule.render.records import to_csv

        return to_csv(view)
    if fmt == "fhir":
        from ivig_schedule.render.fhir import to_fhir

        return to_fhir(view)
    if fmt == "ics":
        from ivig_schedule.render.ics.calendar import to_ics

        return to_ics(view, earlier=earlier, stamp=stamp, previous=previous)
    from ivig_schedule.render.table import to_table

    return to_table(view, color=color, width=_width())


def _width() -> int:
    """The terminal's width (COLUMNS first), else 100, kept between 60 and 200."""
    import shutil

    return max(60, min(200, shutil.get_terminal_size((100, 24)).columns))


@cli.command()
@PRESCRIPTION_ARGUMENT
@click.option("--format", "-f", "fmt", type=click.Choice(PLAN_FORMATS), default="table",
              show_default=True, help="Output format.")
@click.option("--view", type=click.Choice(["pharmacy", "nurse", "patient", "assessor"]),
              default="pharmacy", show_default=True,
              help="Who reads it: pharmacy (everything), nurse (times and pump programme; no arm "
              "unless the trial unblinds nurses), patient (appointments), assessor (dates).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--force", is_flag=True, help="Replace an existing --output file.")
@click.option("--stamp", help="ics: DTSTAMP as ISO 8601 with offset (e.g. 2027-01-01T12:00:00Z) "
              "or 'now'; default: derived from the plan, so the same inputs give the same bytes.")
@click.option("--previous", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="ics: the file sent before; changed events get SEQUENCE + 1, removed ones "
              "are cancelled, unchanged ones keep their bytes.")
@override_options
@guard_options
def plan(prescription: Path | None, fmt: str, view: str, output: Path | None, force: bool,
         stamp: str | None, previous: Path | None, accepts: tuple[str, ...],
         reasons: tuple[str, ...], strict: bool, limits_file: Path | None, today: str | None,
         debug: bool, **overrides: Any) -> None:
    """Plan a prescription file (TOML), or one given entirely by flags.

    With --weight, --regimen, --start (and --product when the regimen names none), no file is
    needed.
    """
    _needs_input(prescription, overrides)
    if previous is not None and fmt != "ics":
        raise click.UsageError("--previous goes with --format ics")
    with _user_errors(debug):
        from ivig_schedule.views.views import plan_view

        outcome = _planned(output, force, _request(prescription, overrides, accepts, reasons,
                                                   strict, limits_file, today,
                                                   kept=fmt in ("ics", "fhir")),
                           revisions=fmt == "ics", inputs=(prescription, limits_file, previous))
        assert outcome.plan is not None
        previous_bytes = None
        if previous is not None:
            previous_bytes = _read_previous(previous)
        earlier = tuple(plan_view(p, view) for p in outcome.revisions)  # type: ignore[arg-type]
        rendered = _render(fmt, plan_view(outcome.plan, view),  # type: ignore[arg-type]
                           stamp=_stamp(stamp), previous=previous_bytes, earlier=earlier,
                           color=output is None and sys.stdout.isatty())
        _emit(rendered, output, force)


@cli.command()
@PRESCRIPTION_ARGUMENT
@click.option("--view", type=click.Choice(["nurse", "pharmacy"]), default="nurse",
              show_default=True, help="nurse (masked as the trial says) or pharmacy.")
@click.option("--format", "-f", "fmt", type=click.Choice(["html", "pdf"]), default="html",
              show_default=True, help="html (print CSS) or pdf (needs the pdf extra).")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
@click.option("--course", type=click.IntRange(min=1), help="Print this course only.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--force", is_flag=True, help="Replace an existing --output file.")
@override_options
@guard_options
def sheet(prescription: Path | None, view: str, fmt: str, paper: str, course: int | None,
          output: Path | None, force: bool, accepts: tuple[str, ...], reasons: tuple[str, ...],
          strict: bool, limits_file: Path | None, today: str | None, debug: bool,
          **overrides: Any) -> None:
    """Print the infusion sheet: one page per infusion day, with the pump programme, a step
    chart, a vital-signs grid and fields for lot, expiry and signatures."""
    _needs_input(prescription, overrides)
    with _user_errors(debug):
        from ivig_schedule.render import sheet as sheet_module
        from ivig_schedule.views.views import plan_view

        outcome = _planned(output, force, _request(prescription, overrides, accepts, reasons,
                                                   strict, limits_file, today, kept=True),
                           inputs=(prescription, limits_file))
        assert outcome.plan is not None
        html = sheet_module.to_html(plan_view(outcome.plan, view),  # type: ignore[arg-type]
                                    paper=paper, course=course)
        data = sheet_module.to_pdf(html) if fmt == "pdf" else html.encode("utf-8")
        _emit(data, output, force)


def _planned(output: Path | None, force: bool, request: jobs.Request,
             revisions: bool = False, inputs: tuple[Path | None, ...] = ()) -> jobs.Outcome:
    """The outcome of a command that writes a plan: the target is checked before any work,
    and an input error or a refusal ends the command with its one line."""
    from ivig_schedule import files as out
    from ivig_schedule import jobs

    if output is not None:
        out.refuse_inputs(output, inputs)
        out.check_target(output, "--output", force=force)
    outcome = jobs.run(request, revisions=revisions)
    if outcome.error is not None:
        _fail(outcome.error)
    return outcome


def _read_previous(path: Path) -> bytes:
    from ivig_schedule.input import tomltext

    try:
        with path.open("rb") as handle:
            raw = handle.read(tomltext.MAX_BYTES * 8 + 1)
    except OSError as e:
        raise PrescriptionError("--previous", str(path), f"cannot be read: {e.strerror}") from None
    if len(raw) > tomltext.MAX_BYTES * 8:
        raise PrescriptionError("--previous", str(path), "is larger than 8 MiB")
    return raw


@cli.command()
@PRESCRIPTION_ARGUMENT
@override_options
@guard_options
def check(prescription: Path | None, accepts: tuple[str, ...], reasons: tuple[str, ...],
          strict: bool, limits_file: Path | None, today: str | None, debug: bool,
          **overrides: Any) -> None:
    """Validate a prescription and list every error and limit breach; plan nothing.

    Exit 0 when it would plan, 1 on input errors, 3 when a limit refuses it.
    """
    _needs_input(prescription, overrides)
    with _user_errors(debug):
        from ivig_schedule import jobs
        from ivig_schedule.render.verdict import check_lines

        outcome = jobs.run(_request(prescription, overrides, accepts, reasons, strict,
                                    limits_file, today))
        lines = check_lines(outcome)
        from ivig_schedule import files as out

        out.write_stdout("".join(f"{line}\n" for line in lines).encode("utf-8"))
        sys.exit(outcome.exit_code)


@cli.command()
@PRESCRIPTION_ARGUMENT
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@override_options
@guard_options
def explain(prescription: Path | None, fmt: str, accepts: tuple[str, ...],
            reasons: tuple[str, ...], strict: bool, limits_file: Path | None,
            today: str | None, debug: bool, **overrides: Any) -> None:
    """Show the calculation trail: every number with its formula and inputs, and the limits.

    Exits 3 (after printing) when a safety rule refuses the plan.
    """
    _needs_input(prescription, overrides)
    with _user_errors(debug):
        from ivig_schedule import files as out
        from ivig_schedule import jobs
        from ivig_schedule.guardrails import decide as guardrails
        from ivig_schedule.render import explain as trail_module
        from ivig_schedule.views.views import plan_view

        request = _request(prescription, overrides, accepts, reasons, strict, limits_file, today)
        outcome = jobs.run(request)
        if outcome.plan is None or outcome.decision is None:
            assert outcome.error is not None
            _fail(outcome.error)
        outcomes = guardrails.rule_outcomes(request.limits, outcome.measured, outcome.decision)
        record = trail_module.trail(plan_view(outcome.plan, "pharmacy"), request.limits, outcomes)
        if fmt == "json":
            from ivig_schedule.render.records import dumps

            out.write_stdout(dumps(record).encode("utf-8"))
        else:
            out.write_stdout(trail_module.to_text(record, _width()).encode("utf-8"))
        if outcome.error is not None:
            click.echo(f"error: {outcome.error}", err=True)
        sys.exit(outcome.exit_code)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def products(fmt: str) -> None:
    """List the products in the catalog, with their sources."""
    with _user_errors(False):
        from ivig_schedule import files as out
        from ivig_schedule.input import catalog
        from ivig_schedule.render import listing

        entries = catalog.products().values()
        text = (listing.products_json(entries) if fmt == "json"
                else listing.products_table(entries, _width()))
        out.write_stdout(text.encode("utf-8"))


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def regimens(fmt: str) -> None:
    """List the regimens and trial presets in the catalog, with their sources."""
    with _user_errors(False):
        from ivig_schedule import files as out
        from ivig_schedule.input import catalog
        from ivig_schedule.render import listing

        entries = catalog.regimens().values()
        text = (listing.regimens_json(entries) if fmt == "json"
                else listing.regimens_table(entries, _width()))
        out.write_stdout(text.encode("utf-8"))


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--limits", "limits_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="List this limits file instead of the built-in one (it is checked too).")
def limits(fmt: str, limits_file: Path | None) -> None:
    """List the safety limits (rules, bounds, sources) and the quantities a rule may name."""
    with _user_errors(False):
        from ivig_schedule import files as out
        from ivig_schedule.guardrails.quantities import QUANTITIES
        from ivig_schedule.render import listing

        rules = _limits(limits_file)
        text = (listing.limits_json(rules, QUANTITIES.values()) if fmt == "json"
                else listing.limits_table(rules, QUANTITIES.values(), _width()))
        out.write_stdout(text.encode("utf-8"))


TIS_OPTIONS = ("physician_global", "patient_global", "mmt", "haq", "enzyme", "extramuscular")


def tis_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The six core set measures' percent improvement (negative = worsening)."""
    for measure in reversed(TIS_OPTIONS):
        flag = "--" + measure.replace("_", "-")
        command = click.option(flag, measure, metavar="PERCENT",
                               help=f"Percent improvement of the {measure.replace('_', ' ')}.")(
            command)
    return command


@cli.command()
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

    from ivig_schedule import files as out
    from ivig_schedule.engine import tis as tis_module
    from ivig_schedule.input.fields import to_decimal
    from ivig_schedule.model.inputs import TisInput

    missing = [m for m, v in measures.items() if v is None]
    if missing:
        raise click.UsageError("give all six measures; missing: " + ", ".join(
            "--" + m.replace("_", "-") for m in missing))
    with _user_errors(False):
        values = {m: to_decimal(v, "--" + m.replace("_", "-"), unit="percent improvement",
                                above=None) for m, v in measures.items()}
    score = tis_module.score(TisInput(**values))
    if fmt == "json":
        from ivig_schedule.render.records import dumps

        text = dumps({"total": score.total, "class": score.klass,
                      "points": dict(score.points)})
    else:
        text = "".join(f"{m.replace('_', ' ')}: {format(p.normalize(), 'f')} points\n"
                       for m, p in score.points)
        text += f"total: {format(score.total.normalize(), 'f')} ({score.klass})\n"
    out.write_stdout(text.encode("utf-8"))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("kind", type=click.Choice(sorted(CHANGE_KINDS)))
@click.option("--reason", required=True, help="Why (required; kept in the history).")
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
def change(file: Path, kind: str, reason: str, on: str | None, today: str | None,
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
    with _user_errors(debug):
        from ivig_schedule import files as out
        from ivig_schedule import jobs
        from ivig_schedule.input import tomltext

        measures = {m: given.pop(m) for m in TIS_OPTIONS}
        allowed = jobs.CHANGE_FLAGS[kind]
        stray = [jobs.flag_of(k) for k, v in given.items() if v is not None and k not in allowed]
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
        day = _today(today)
        if day > system:
            raise PrescriptionError("--today", day.isoformat(),
                                    f"must not be after the system date ({system})")
        text = tomltext.decode(file.read_bytes(), str(file))
        recorded = jobs.record_change(jobs.ChangeRequest(
            text=text, kind=kind, reason=reason, values=values, today=day,
            on=_date_flag("--on", on) if on else None, limits=_limits(limits_file),
            default_timezone=_local_timezone))
        if recorded.text is None:
            assert recorded.outcome.error is not None
            _fail(recorded.outcome.error)
        out.write_file(file, recorded.text.encode("utf-8"), force=True, label=str(file))
        assert recorded.outcome.plan is not None
        lines = [f"recorded change[{len(recorded.outcome.plan.effects) - 1}] in {file}: "
                 f"{recorded.effect}"]
        lines += [f"  course {m.number}: {m.before} → {m.after}" for m in recorded.moved]
        if not recorded.moved:
            lines.append("  no course moved or changed")
        out.write_stdout(("\n".join(lines) + "\n").encode("utf-8"))


@cli.command()
@click.argument("source", metavar="ROSTER",
                type=click.Path(exists=True, path_type=Path))
@click.option("--output", "-o", "outdir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write (created whole, then moved into place).")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--jobs", "-j", "jobs_count", type=click.IntRange(min=1),
              help="Worker processes (default: the number of CPUs).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.option("--today", help="Date for the checks (default: today).")
@click.option("--limits", "limits_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this limits file instead of the built-in one.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def roster(source: Path, outdir: Path, force: bool, jobs_count: int | None, quiet: bool,
           today: str | None, limits_file: Path | None, debug: bool) -> None:
    """Plan a whole roster: a CSV (one patient a row) or a folder of prescription files.

    Writes patients/<id>/ (every view as JSON, CSV and .ics), nurses/<nurse>.ics,
    dispensing.csv and .json (each infusion day, and weekly totals to order) and errors.csv.
    A bad row never stops the run. Exit 0 when every row planned, 1 when a row had an input
    error, 3 when none did but a safety rule refused one.
    """
    import os

    with _user_errors(debug):
        from ivig_schedule.batch import roster as roster_module

        settings = roster_module.Settings(limits=_limits(limits_file), today=_today(today),
                                          limits_file=limits_file)
        workers = jobs_count or os.cpu_count() or 1
        show = not quiet and sys.stderr.isatty()
        if show:
            import time

            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            started = time.monotonic()
            columns = (TextColumn("planning"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]} patients/s"), TimeRemainingColumn())
            with Progress(*columns, transient=True) as bar:
                task = bar.add_task("planning", total=None, rate="-")

                def progress(done: int, total: int) -> None:
                    rate = done / max(time.monotonic() - started, 1e-6)
                    bar.update(task, completed=done, total=total, rate=f"{rate:.1f}")

                summary = roster_module.run(source, outdir, settings, jobs_count=workers,
                                            force=force, progress=progress)
        else:
            summary = roster_module.run(source, outdir, settings, jobs_count=workers,
                                        force=force)
        if not quiet:
            from ivig_schedule.render.summary import to_text

            click.echo(to_text(summary, outdir, _width()), nl=False)
        sys.exit(summary.exit_code)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ivig-schedule")
