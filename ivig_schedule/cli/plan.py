"""``plan``, ``sheet``, ``check`` and ``explain``: one prescription, through the one use-case path.

Each command gathers its options, asks `jobs` for the output and writes it; the exit code is the
use case's.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ivig_schedule.cli import common
from ivig_schedule.cli.options import (
    guard_options,
    output_options,
    override_options,
    prescription_argument,
    view_option,
)
from ivig_schedule.model.vocabulary import LANGUAGES
from ivig_schedule.render.formats import PLAN_FORMATS

lang_option = click.option(
    "--lang", type=click.Choice(LANGUAGES), help="Language of the calendar and the sheet "
    "(default: the prescription's [care] language, else en). The table, JSON, CSV and FHIR "
    "stay as they are.")


@click.command()
@prescription_argument
@click.option("--format", "-f", "fmt", type=click.Choice(list(PLAN_FORMATS)), default="table",
              show_default=True, help="Output format.")
@view_option
@output_options
@click.option("--stamp", help="ics: DTSTAMP as ISO 8601 with offset (e.g. 2027-01-01T12:00:00Z) "
              "or 'now'; default: derived from the plan, so the same inputs give the same bytes.")
@click.option("--previous", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="ics: the file sent before, after a hand edit of the prescription; changed "
              "events get a higher SEQUENCE, removed ones are cancelled, unchanged ones keep "
              "theirs.")
@lang_option
@override_options
@guard_options
def plan(prescription: Path | None, fmt: str, view: str, output: Path | None, force: bool,
         stamp: str | None, previous: Path | None, lang: str | None, accepts: tuple[str, ...],
         reasons: tuple[str, ...], strict: bool, limits_file: Path | None, today: str | None,
         debug: bool, **overrides: Any) -> None:
    """Plan a prescription file (TOML), or one given entirely by flags.

    With --weight, --regimen, --start (and --product when the regimen names none), no file is
    needed.
    """
    common.needs_input(prescription, overrides)
    if previous is not None and fmt != "ics":
        raise click.UsageError("--previous goes with --format ics")
    with common.user_errors(debug):
        from ivig_schedule.jobs import outputs

        common.check_output(output, force, (prescription, limits_file, previous))
        request = common.request(prescription, overrides, accepts, reasons, strict,
                                 limits_file, today, kept=PLAN_FORMATS[fmt].kept)
        written = outputs.plan(request, fmt, view,  # type: ignore[arg-type]
                               previous=common.read_previous(previous),
                               stamp=common.stamp_flag(stamp), width=common.width(),
                               color=output is None and sys.stdout.isatty(), lang=lang)
        common.finish(written, output, force, debug=debug)


@click.command()
@prescription_argument
@click.option("--view", type=click.Choice(["nurse", "pharmacy"]), default="nurse",
              show_default=True, help="nurse (masked as the trial says) or pharmacy.")
@click.option("--format", "-f", "fmt", type=click.Choice(["html", "pdf"]), default="html",
              show_default=True, help="html (print CSS) or pdf (needs the pdf extra).")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
@click.option("--course", type=click.IntRange(min=1), help="Print this course only.")
@output_options
@lang_option
@override_options
@guard_options
def sheet(prescription: Path | None, view: str, fmt: str, paper: str, course: int | None,
          output: Path | None, force: bool, lang: str | None, accepts: tuple[str, ...],
          reasons: tuple[str, ...],
          strict: bool, limits_file: Path | None, today: str | None, debug: bool,
          **overrides: Any) -> None:
    """Print the infusion sheet: one page per infusion day, with the pump programme, a step
    chart, a vital-signs grid and fields for lot, expiry and signatures."""
    common.needs_input(prescription, overrides)
    with common.user_errors(debug):
        from ivig_schedule.jobs import outputs

        common.check_output(output, force, (prescription, limits_file))
        request = common.request(prescription, overrides, accepts, reasons, strict,
                                 limits_file, today, kept=True)
        written = outputs.sheet(request, view, paper=paper,  # type: ignore[arg-type]
                                course=course, pdf=fmt == "pdf", lang=lang)
        common.finish(written, output, force, debug=debug)


@click.command()
@prescription_argument
@override_options
@guard_options
def check(prescription: Path | None, accepts: tuple[str, ...], reasons: tuple[str, ...],
          strict: bool, limits_file: Path | None, today: str | None, debug: bool,
          **overrides: Any) -> None:
    """Validate a prescription and list every error and limit breach; plan nothing.

    Exit 0 when it would plan, 1 on input errors, 3 when a limit refuses it.
    """
    common.needs_input(prescription, overrides)
    with common.user_errors(debug):
        from ivig_schedule.jobs import outputs

        written = outputs.check(common.request(prescription, overrides, accepts, reasons,
                                               strict, limits_file, today))
        common.emit(written.data or b"", None, False)
        raise SystemExit(written.exit_code)


@click.command()
@prescription_argument
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
    common.needs_input(prescription, overrides)
    with common.user_errors(debug):
        from ivig_schedule.jobs import outputs

        written = outputs.explain(common.request(prescription, overrides, accepts, reasons,
                                                 strict, limits_file, today),
                                  fmt, common.width())
        common.finish(written, debug=debug)
