"""Command line. The only module that touches files, the console and the clock.

Exit codes: 0 ok, 1 bad input, 2 usage (click), 3 refused by a safety rule.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import attrs
import click

from ivig_schedule import __version__
from ivig_schedule.errors import IvigScheduleError, RefusedBySafetyRule

EXIT_BAD_INPUT = 1
EXIT_REFUSED = 3
PLAN_FORMATS = ("table", "json", "csv", "ics")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextlib.contextmanager
def _user_errors(debug: bool) -> Iterator[None]:
    """Map the project's errors to one stderr line and an exit code; no traceback unless asked."""
    try:
        yield
    except RefusedBySafetyRule as e:
        if debug:
            raise
        _fail(str(e), EXIT_REFUSED)
    except IvigScheduleError as e:
        if debug:
            raise
        _fail(str(e), EXIT_BAD_INPUT)
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except Exception as e:
        if debug:
            raise
        _fail(f"internal error ({type(e).__name__}: {e}); run again with --debug and report it",
              EXIT_BAD_INPUT)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, then rename.

    Readers see the old file or the complete new one, never a part; on failure nothing changes.
    """
    directory = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _emit(text: str | bytes, output: Path | None) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    if output is None:
        click.echo(data, nl=False)
    else:
        write_atomic(output, data)


def _read_prescription(path: Path | None) -> str | None:
    from ivig_schedule.errors import PrescriptionError

    if path is None:
        return None
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as e:
        raise PrescriptionError("(file)", str(path), f"cannot be read: {e.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PrescriptionError("(file)", str(path), "must be UTF-8 text") from None


def _stamp(value: str | None) -> dt.datetime | None:
    """--stamp: 'now' reads the clock (here, at the edge); otherwise an aware ISO date-time."""
    from ivig_schedule.errors import PrescriptionError

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
        click.option("--weight", help="Patient weight in kg (patient.weight_kg)."),
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


@attrs.frozen
class _Job:
    """A parsed prescription with the guardrail settings the command line gave."""

    prescription: Any
    limits: Any
    today: dt.date
    accepted: tuple[tuple[str, str], ...]
    strict: bool


def _job(path: Path | None, overrides: dict[str, Any], accepts: tuple[str, ...],
         reasons: tuple[str, ...], strict: bool, limits_file: Path | None,
         today: str | None) -> _Job:
    from ivig_schedule import prescription as rx

    _check_accepts(accepts, reasons)
    parsed = rx.from_text(_read_prescription(path), overrides, _local_timezone())
    return _Job(parsed, _job_limits(limits_file), _today(today),
                tuple(zip(accepts, reasons, strict=True)), strict)


def _check_accepts(accepts: tuple[str, ...], reasons: tuple[str, ...]) -> None:
    if len(accepts) != len(reasons) or any(not r.strip() for r in reasons):
        raise click.UsageError("every --accept RULE needs its own non-empty --reason TEXT")


def _job_limits(limits_file: Path | None) -> Any:
    """The built-in limits, or the pharmacy's own file."""
    from ivig_schedule import guardrails

    if limits_file is None:
        return guardrails.built_in_limits()
    return guardrails.load_limits(limits_file.read_text(encoding="utf-8"), str(limits_file))


def _today(value: str | None) -> dt.date:
    """--today, or the system date: the clock is read here, at the edge, and nowhere else."""
    from ivig_schedule.errors import PrescriptionError

    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PrescriptionError("--today", value, "must be a date like 2027-01-11") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ivig-schedule")
def cli() -> None:
    """Plan IVIg courses: whole-vial doses, pump steps, placebo volumes and calendars.

    Decision support only: a pharmacist verifies every plan before anything is dispensed.
    """


PRESCRIPTION_ARGUMENT = click.argument(
    "prescription", required=False, type=click.Path(dir_okay=False, allow_dash=True,
                                                    path_type=Path))


@cli.command()
@PRESCRIPTION_ARGUMENT
@click.option("--format", "-f", "fmt", type=click.Choice(PLAN_FORMATS), default="table",
              show_default=True, help="Output format.")
@click.option("--view", type=click.Choice(["pharmacy", "nurse"]), default="pharmacy",
              show_default=True,
              help="nurse hides everything that would reveal a blinded arm.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
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

    With --weight, --product, --regimen and --start, no file is needed.
    """
    with _user_errors(debug):
        from ivig_schedule import engine
        from ivig_schedule.errors import PrescriptionError
        from ivig_schedule.views import plan_record

        if output is not None and output.exists() and not force:
            raise PrescriptionError("--output", str(output),
                                    "already exists; add --force to overwrite it")
        job = _job(prescription, overrides, accepts, reasons, strict, limits_file, today)
        result = engine.plan(job.prescription, limits=job.limits, today=job.today,
                             accepted=job.accepted, strict=job.strict)
        record = plan_record(result, view)  # type: ignore[arg-type]
        rendered: str | bytes
        if fmt == "json":
            from ivig_schedule.render.records import to_json

            rendered = to_json(record)
        elif fmt == "csv":
            from ivig_schedule.render.records import to_csv

            rendered = to_csv(record)
        elif fmt == "ics":
            from ivig_schedule.render.ics import to_ics

            rendered = to_ics(record, job.prescription.order, job.prescription.regimen.id,
                              stamp=_stamp(stamp),
                              previous=previous.read_bytes() if previous else None)
        else:
            from ivig_schedule.render.table import to_table

            rendered = to_table(record, color=output is None and sys.stdout.isatty())
        _emit(rendered, output)


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
    with _user_errors(debug):
        from ivig_schedule.validate import check_text

        _check_accepts(accepts, reasons)
        text = _read_prescription(prescription)
        lines, code = check_text(text, overrides, _local_timezone(), accepts=accepts,
                                 reasons=reasons, strict=strict,
                                 limits=_job_limits(limits_file), today=_today(today))
        for line in lines:
            click.echo(line, err=code != 0 and line.startswith("error:"))
        if code:
            sys.exit(code)


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

    Exits 3 (after printing) when a hard limit is broken.
    """
    del strict
    with _user_errors(debug):
        from ivig_schedule import engine, guardrails
        from ivig_schedule.render import explain as trail_module

        job = _job(prescription, overrides, accepts, reasons, False, limits_file, today)
        assessment = engine.assess(job.prescription, job.limits, job.today)
        if assessment.plan is None:
            engine.plan(job.prescription, limits=job.limits, today=job.today)  # raises
            raise AssertionError("an uncomputable plan is always refused")
        measured = guardrails.merged(
            guardrails.input_measurements(job.prescription, job.today),
            guardrails.plan_measurements(assessment.plan))
        record = trail_module.trail(assessment.plan, job.limits, assessment.breaches,
                                    dict(job.accepted), set(measured))
        if fmt == "json":
            from ivig_schedule.render.records import to_json

            click.echo(to_json(record), nl=False)
        else:
            click.echo(trail_module.to_text(record), nl=False)
        if any(b.severity == "hard" for b in assessment.breaches):
            sys.exit(EXIT_REFUSED)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def products(fmt: str) -> None:
    """List the products in the catalog, with their sources."""
    with _user_errors(False):
        from ivig_schedule import catalog
        from ivig_schedule.render import listing

        entries = catalog.products().values()
        click.echo(listing.products_json(entries) if fmt == "json"
                   else listing.products_table(entries), nl=False)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def regimens(fmt: str) -> None:
    """List the regimens and trial presets in the catalog, with their sources."""
    with _user_errors(False):
        from ivig_schedule import catalog
        from ivig_schedule.render import listing

        entries = catalog.regimens().values()
        click.echo(listing.regimens_json(entries) if fmt == "json"
                   else listing.regimens_table(entries), nl=False)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ivig-schedule")
