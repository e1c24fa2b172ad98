"""``roster``: a pharmacy's whole list at once, with a progress bar on a terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ivig_schedule.cli import common


@click.command()
@click.argument("source", metavar="ROSTER", type=click.Path(exists=True, path_type=Path))
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
@click.option("--encoding", default="utf-8", show_default=True,
              help="The roster CSV's text encoding (Excel on Windows: cp1252).")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def roster(source: Path, outdir: Path, force: bool, jobs_count: int | None, quiet: bool,
           today: str | None, limits_file: Path | None, encoding: str, debug: bool) -> None:
    """Plan a whole roster: a CSV (one patient a row) or a folder of prescription files.

    Writes patients/<id>/ (every view as JSON, CSV and .ics), nurses/<nurse>.ics, the
    dispensing worklist (dispensing.csv and .json, dispensing-weekly.csv) and errors.csv. A bad
    row never stops the run. Exit 0 when every row planned, 1 when a row had an input error, 3
    when none did but a safety rule refused one.
    """
    import os

    with common.user_errors(debug):
        from ivig_schedule.batch import roster as batch

        settings = batch.Settings(limits=common.limits(limits_file), today=common.today(today),
                                  limits_file=limits_file, encoding=encoding)
        workers = jobs_count or os.cpu_count() or 1
        if not quiet and sys.stderr.isatty():
            with _progress_bar() as progress:
                summary = batch.run(source, outdir, settings, jobs_count=workers, force=force,
                                    progress=progress)
        else:
            summary = batch.run(source, outdir, settings, jobs_count=workers, force=force)
        if not quiet:
            from ivig_schedule.render.summary import to_text

            click.echo(to_text(summary, outdir, common.width()), nl=False)
        sys.exit(summary.exit_code)


class _progress_bar:
    """A rich progress bar: done/total, patients per second and the time left."""

    def __enter__(self):  # type: ignore[no-untyped-def]
        import time

        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.started = time.monotonic()
        self.clock = time.monotonic
        self.bar = Progress(TextColumn("planning"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]} patients/s"), TimeRemainingColumn(),
                            transient=True)
        self.bar.__enter__()
        self.task = self.bar.add_task("planning", total=None, rate="-")
        return self.update

    def update(self, done: int, total: int) -> None:
        rate = done / max(self.clock() - self.started, 1e-6)
        self.bar.update(self.task, completed=done, total=total, rate=f"{rate:.1f}")

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)
