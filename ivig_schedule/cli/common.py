"""What every command does at the edge: read files and standard input, read the clock, write
atomically, and turn a failed use case into its one line and exit code.

Nothing here decides anything about a plan: the exit code comes from the use case's value
(`jobs.Outcome.exit_code`, `jobs.exit_code_of`).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ivig_schedule.model.errors import IvigScheduleError, PrescriptionError

if TYPE_CHECKING:
    from ivig_schedule import jobs
    from ivig_schedule.jobs.outputs import Written
    from ivig_schedule.model.limits import Limits


def fail(error: IvigScheduleError) -> NoReturn:
    """One stderr line for the error, and its exit code."""
    from ivig_schedule.jobs import exit_code_of

    click.echo(f"error: {error}", err=True)
    sys.exit(exit_code_of(error))


@contextmanager
def user_errors(debug: bool) -> Iterator[None]:
    """The project's errors as one stderr line and an exit code; a bug says how to report it.
    With ``--debug`` every failure shows its traceback."""
    try:
        yield
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except IvigScheduleError as e:
        if debug:
            raise
        fail(e)
    except Exception as e:
        if debug:
            raise
        click.echo(f"error: internal error ({type(e).__name__}); this is a bug in ivig-schedule: "
                   "run again with --debug and report it", err=True)
        from ivig_schedule.jobs import EXIT_BAD_INPUT

        sys.exit(EXIT_BAD_INPUT)


def finish(written: Written, output: Path | None = None, force: bool = False,
           *, debug: bool = False) -> NoReturn:
    """Write what a use case wrote (to `output`, atomically, or to standard output), say why
    when it could not, and exit with its code."""
    if written.data is not None:
        emit(written.data, output, force)
    for note in written.notes:
        click.echo(note, err=True)
    failure = written.failure
    if failure is not None:
        if debug:
            raise failure
        click.echo(f"error: {failure}", err=True)
    sys.exit(written.exit_code)


def emit(data: bytes, output: Path | None, force: bool) -> None:
    """Write to `output` atomically, or to standard output."""
    from ivig_schedule import files

    if output is None:
        files.write_stdout(data)
    else:
        files.write_file(output, data, force=force)


def read_text(path: Path | None, *, limit_label: str = "(file)") -> str | None:
    """A prescription's text from a file or standard input (``-``), within the size limit."""
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
        raise PrescriptionError(limit_label, label, f"cannot be read: {e.strerror}") from None
    return tomltext.decode(raw, label)


def read_previous(path: Path | None) -> bytes | None:
    """The calendar file sent before (``--previous``), at most 8 MiB."""
    from ivig_schedule.input import tomltext

    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            raw = handle.read(tomltext.MAX_BYTES * 8 + 1)
    except OSError as e:
        raise PrescriptionError("--previous", str(path), f"cannot be read: {e.strerror}") from None
    if len(raw) > tomltext.MAX_BYTES * 8:
        raise PrescriptionError("--previous", str(path), "is larger than 8 MiB")
    return raw


def limits(path: Path | None) -> Limits:
    """The built-in limits, or the pharmacy's own file."""
    from ivig_schedule.input import limits_file, tomltext

    if path is None:
        return limits_file.built_in_limits()
    try:
        text = tomltext.decode(path.read_bytes(), str(path))
    except OSError as e:
        raise PrescriptionError("--limits", str(path), f"cannot be read: {e.strerror}") \
            from None
    except PrescriptionError as e:
        raise limits_file.as_catalog_error(str(path), e) from None
    return limits_file.load_limits(text, str(path))


def date_flag(flag: str, value: str) -> dt.date:
    """A YYYY-MM-DD flag."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PrescriptionError(flag, value, "must be a date like 2027-01-11") from None


def today(value: str | None) -> dt.date:
    """--today, or the system date: the clock is read here, at the edge, and nowhere else."""
    return dt.date.today() if value is None else date_flag("--today", value)


def stamp_flag(value: str | None) -> dt.datetime | None:
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
        raise PrescriptionError("--stamp", value, "must be 'now' or a date-time with offset, "
                                "e.g. 2027-01-01T12:00:00Z")
    return moment


def local_timezone() -> str:
    """This machine's zone, looked up only when a prescription names none."""
    import pendulum.tz

    return str(pendulum.tz.local_timezone().name)


def width() -> int:
    """The terminal's width (COLUMNS first), else 100, kept between 60 and 200.

    Read as `shutil.get_terminal_size` reads it, without importing shutil (which imports the
    compression modules, about 4 ms of every start)."""
    import os

    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(60, min(200, columns or 100))


def request(path: Path | None, overrides: dict[str, Any], accepts: tuple[str, ...],
            reasons: tuple[str, ...], strict: bool, limits_file: Path | None,
            today_flag: str | None, *, kept: bool = False) -> jobs.Request:
    """The use case's request from the common options. `kept`: the output is a file another
    system keeps (calendar, FHIR, sheet), which needs the patient's real id and zone."""
    from ivig_schedule import jobs

    if len(accepts) != len(reasons) or any(not r.strip() for r in reasons):
        raise click.UsageError("every --accept RULE needs its own non-empty --reason TEXT")
    if kept and path is None and overrides.get("patient_id") is None:
        raise click.UsageError("a calendar, FHIR Bundle or sheet is kept by other systems: give "
                               "the patient's pseudonymous id with --patient-id")
    needs_zone = overrides.get("timezone") is None and not kept
    return jobs.Request(
        text=read_text(path), overrides=overrides,
        default_timezone=local_timezone if needs_zone else "UTC",
        limits=limits(limits_file), today=today(today_flag),
        accepted=tuple(zip(accepts, reasons, strict=True)), strict=strict,
        store=store_path(path))


def store_path(beside: Path | None, given: Path | None = None) -> Path:
    """The pharmacy's store: `given`, else ``IVIG_SCHEDULE_STORE``, else ivig-schedule.sqlite
    beside the prescription or roster (or in the current folder)."""
    import os

    from ivig_schedule.pharmacy import STORE_NAME

    if given is not None:
        return given
    named = os.environ.get("IVIG_SCHEDULE_STORE")
    if named:
        return Path(named)
    folder = beside.parent if beside is not None and str(beside) != "-" else Path()
    if beside is not None and beside.is_dir():
        folder = beside
    return folder / STORE_NAME


def needs_input(path: Path | None, overrides: dict[str, Any]) -> None:
    """A usage error when neither a file nor the flags give a prescription."""
    if path is None and overrides.get("weight") is None and overrides.get("start") is None:
        raise click.UsageError(
            "give a prescription FILE (or - for standard input), or plan from flags: "
            "--weight, --regimen, --start (and --product when the regimen names none)")


def check_output(output: Path | None, force: bool, inputs: tuple[Path | None, ...]) -> None:
    """Refuse an output that is an input, or that exists without --force, before any work."""
    from ivig_schedule import files

    if output is not None:
        files.refuse_inputs(output, inputs)
        files.check_target(output, "--output", force=force)
