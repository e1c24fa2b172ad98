"""``due``: the week's infusions and visits across patients, and what to prepare."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ivig_schedule.cli import common
from ivig_schedule.model.vocabulary import VIEWS


@click.command()
@click.argument("sources", metavar="SOURCE...", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--from", "start", help="First date, YYYY-MM-DD (default: Monday of this week).")
@click.option("--to", "end", help="Last date, YYYY-MM-DD (default: Sunday of --from's week).")
@click.option("--view", type=click.Choice(VIEWS), default="pharmacy", show_default=True,
              help="Whose worklist: what to prepare is shown as this role may see it.")
@click.option("--nurse", help="Only this nurse's visits.")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--force", is_flag=True, help="Replace an existing --output file.")
@click.option("--today", help="Date for the checks (default: the system date).")
@click.option("--limits", "limits_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this limits file instead of the built-in one.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def due(sources: tuple[Path, ...], start: str | None, end: str | None, view: str,
        nurse: str | None, fmt: str, output: Path | None, force: bool, today: str | None,
        limits_file: Path | None, debug: bool) -> None:
    """Every infusion day and study visit from --from to --to (default: this ISO week) of the
    patients in SOURCE (prescription files, folders of them, or roster CSVs), sorted by date
    and time, with what to prepare, totals per day and for the range, and nurse clashes.

    A prescription that does not plan is listed as an error and the others go on (exit 1 if
    any has an input error, 3 if a safety rule refused one).
    """
    with common.user_errors(debug):
        import datetime as dt

        from ivig_schedule import files
        from ivig_schedule.jobs import due as job
        from ivig_schedule.render import due as render

        day = common.today(today)
        first = common.date_flag("--from", start) if start else job.this_week(day)[0]
        last = common.date_flag("--to", end) if end else job.this_week(first)[1]
        if last < first:
            raise click.UsageError(f"--to {last} is before --from {first}")
        if (last - first) > dt.timedelta(days=366):
            raise click.UsageError("--from and --to may be at most a year apart")
        if output is not None:
            files.refuse_inputs(output, sources)
        worklist = job.due(list(sources), view=view, start=first, end=last,  # type: ignore[arg-type]
                           limits=common.limits(limits_file), today=day, nurse=nurse)
        text = {"table": render.to_text, "csv": render.to_csv, "json": render.to_json}[fmt](
            worklist)
        common.emit(text.encode("utf-8"), output, force)
        for source, patient, _, message in worklist.errors:
            click.echo(f"error: {source} {patient}: {message}", err=True)
        sys.exit(worklist.exit_code)
