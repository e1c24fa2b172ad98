"""``due``: the week's infusions and visits across patients, and what to prepare."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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


@click.command()
@click.argument("outdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--caldav", "template", required=True,
              help="Collection URL with {nurse}, e.g. https://dav.example.org/pharmacy/{nurse}/")
@click.option("--user", required=True, help="The CalDAV user name.")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file whose first line is the password (default: the environment "
              "variable IVIG_CALDAV_PASSWORD). Never give it on the command line.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Verify the server's TLS certificate against this CA bundle.")
@click.option("--patients", is_flag=True,
              help="Also publish each patient's own calendar (to the template with the "
              "patient's id for {nurse}).")
@click.option("--dry-run", is_flag=True, help="List what would change; write nothing.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def publish(outdir: Path, template: str, user: str, password_file: Path | None,
            ca_file: Path | None, patients: bool, dry_run: bool, debug: bool) -> None:
    """Sync a roster's calendars (OUTDIR from ``roster``) to a CalDAV server: one collection
    per nurse, one resource per event. New events are created, changed ones replaced (never
    over a change made on the server meanwhile), unchanged ones left as they are, and events
    this tool did not write never touched. Exit 0 when all is in place, 1 when the server
    cannot be reached, refuses the login or a write (what was written is listed; run again to
    finish).
    """
    import os

    with common.user_errors(debug):
        from ivig_schedule.batch import publish as job

        if password_file is not None:
            lines = password_file.read_text(encoding="utf-8").splitlines()
            password = lines[0] if lines else ""
        else:
            password = os.environ.get("IVIG_CALDAV_PASSWORD", "")
        if not password:
            raise click.UsageError("give the password in IVIG_CALDAV_PASSWORD or with "
                                   "--password-file FILE")
        job.check_url(template)
        import importlib.util

        if importlib.util.find_spec("caldav") is None:
            from ivig_schedule.model.errors import MissingExtra

            raise MissingExtra("publish needs the caldav extra: pip install "
                               "'ivig-schedule[caldav]'")

        def client_for(url: str) -> object:
            import urllib.parse

            import caldav

            client: Any = caldav.DAVClient  # the library ships no type information
            loopback = urllib.parse.urlsplit(url).hostname in job.LOOPBACK
            return client(url, username=user, password=password,
                             ssl_verify_cert=str(ca_file) if ca_file else True,
                             require_tls=not loopback, timeout=30)

        try:
            job.publish(outdir, template, client_for, patients=patients, dry_run=dry_run,
                        report=click.echo)
        except job.PublishError as e:
            for line in e.done:
                click.echo(line)
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
