"""The trial pharmacy's commands: ``randomise``, ``unblind``, ``stock``, ``label``, ``export``.

Click only: each command reads its files and the clock here, at the edge, and hands the rest
to `jobs.pharmacy`. The store is ``--store FILE``, else ``IVIG_SCHEDULE_STORE``, else
ivig-schedule.sqlite beside the prescription or roster (or in the current folder).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ivig_schedule.cli import common

STORE = click.option("--store", "store", type=click.Path(dir_okay=False, path_type=Path),
                     help="The pharmacy's store (SQLite).")
BY = click.option("--by", "by", required=True, metavar="NAME",
                  help="Who does this (recorded with it).")
DEBUG = click.option("--debug", is_flag=True, help="Show a traceback on errors.")
RX = click.argument("prescription", type=click.Path(exists=True, dir_okay=False, path_type=Path))


def _now() -> str:
    """The time of the record: read here, at the edge, in UTC."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _rewrite(path: Path, old: str, new: str) -> None:
    from ivig_schedule import files

    if new != old:
        files.rewrite(files.real_file(path, str(path)), old.encode("utf-8"),
                      new.encode("utf-8"), str(path))


@click.group()
def randomise() -> None:
    """The trial's randomisation list: import it into the store, assign numbers."""


@randomise.command("import")
@click.argument("listing", metavar="LIST.csv",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trial", required=True, help="The blinded regimen id (e.g. might).")
@click.option("--field", help="The randomised column (REDCap: the randomization field); "
              "default: arm.")
@click.option("--map", "maps", multiple=True, metavar="CODE=ARM",
              help="What a coded value means, e.g. 1=active (repeatable).")
@click.option("--strata", default="", help="Strata columns, comma-separated.")
@click.option("--prefix", help="Treatment numbers for a list without them: PREFIX-001, …")
@BY
@STORE
@DEBUG
def import_list(listing: Path, trial: str, field: str | None, maps: tuple[str, ...],
                strata: str, prefix: str | None, by: str, store: Path | None,
                debug: bool) -> None:
    """Import an allocation table (REDCap's CSV, or treatment_number,arm) into the store."""
    with common.user_errors(debug):
        from ivig_schedule.jobs import pharmacy

        text = common.read_text(listing) or ""
        where = common.store_path(listing, store)
        count = pharmacy.import_list(where, trial, text, field=field, maps=maps,
                                     strata=[s.strip() for s in strata.split(",") if s.strip()],
                                     prefix=prefix, by=by, at=_now(), source=listing.name)
        click.echo(f"imported {count} treatment numbers for {trial} into {where}")


@randomise.command("assign")
@RX
@click.option("--stratum", default="", help="The patient's stratum, as the list writes it "
              "(e.g. site=1;sex=F).")
@BY
@STORE
@DEBUG
def assign(prescription: Path, stratum: str, by: str, store: Path | None, debug: bool) -> None:
    """Assign the next free treatment number in the stratum and write it into the file."""
    with common.user_errors(debug):
        from ivig_schedule.jobs import pharmacy

        text = common.read_text(prescription) or ""
        number, new = pharmacy.assign(text, common.store_path(prescription, store),
                                      stratum=stratum, by=by, at=_now())
        _rewrite(prescription, text, new)
        click.echo(f"{prescription}: treatment_number = {number}")


@click.command()
@click.argument("prescription", required=False,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", metavar="NAME", help="Who breaks the code (required to unblind).")
@click.option("--reason", default="", help="Why (required to unblind).")
@click.option("--log", "show_log", is_flag=True, help="List the unblinding log instead.")
@STORE
@DEBUG
def unblind(prescription: Path | None, by: str | None, reason: str, show_log: bool,
            store: Path | None, debug: bool) -> None:
    """Emergency unblinding: show the arm to the one who asks, and log who, when and why."""
    with common.user_errors(debug):
        from ivig_schedule.jobs import pharmacy

        if show_log:
            click.echo(pharmacy.export(common.store_path(prescription, store), "unblinding",
                                       "csv"), nl=False)
            return
        if prescription is None or not by:
            raise click.UsageError("give the PRESCRIPTION, --by NAME and --reason TEXT (or --log)")
        text = common.read_text(prescription) or ""
        arm, new = pharmacy.unblind(text, common.store_path(prescription, store), by=by,
                                    reason=reason, at=_now())
        _rewrite(prescription, text, new)
        click.echo(f"arm: {arm} (logged; the prescription records that an unblinding happened, "
                   "not the arm)")


@click.group(invoke_without_command=True)
@STORE
@click.pass_context
def stock(ctx: click.Context, store: Path | None) -> None:
    """Stock per product and lot: what is on hand, received, dispensed, returned, destroyed."""
    ctx.obj = store
    if ctx.invoked_subcommand is None:
        with common.user_errors(False):
            from ivig_schedule.jobs import pharmacy
            from ivig_schedule.pharmacy.store import open_store

            opened = open_store(common.store_path(None, store), create=False)
            try:
                click.echo(pharmacy.holdings_text(opened), nl=False)
            finally:
                opened.close()


def _movement(kind: str) -> click.Command:
    @click.command(kind)
    @click.option("--product", required=True, help="Catalog product id.")
    @click.option("--lot", required=True, help="The lot (batch) number.")
    @click.option("--vials", multiple=True, metavar="SIZExCOUNT",
                  help="Vials of one size, e.g. 10x5 (repeatable).")
    @click.option("--expiry", help="The lot's expiry date, YYYY-MM-DD (to receive).")
    @click.option("--reason", default="", help="Why (returned, destroyed).")
    @BY
    @click.option("--store", "own_store", type=click.Path(dir_okay=False, path_type=Path),
                  help="The pharmacy's store (SQLite).")
    @DEBUG
    @click.pass_obj
    def command(store: Path | None, product: str, lot: str, vials: tuple[str, ...],
                expiry: str | None, reason: str, by: str, own_store: Path | None,
                debug: bool) -> None:
        store = own_store or store
        with common.user_errors(debug):
            from ivig_schedule.jobs import pharmacy

            if kind == "receive" and expiry is None:
                raise click.UsageError("--expiry is required to receive a lot")
            if kind != "receive" and not reason.strip():
                raise click.UsageError(f"--reason is required to record a {kind}")
            day = common.date_flag("--expiry", expiry) if expiry else None
            pharmacy.move(common.store_path(None, store), kind, product, lot, vials, by=by,
                          at=_now(), reason=reason, expiry=day)
            click.echo(f"recorded: {kind} {product} lot {lot} {' '.join(vials)}")

    command.help = {"receive": "Receive vials of a lot (with its expiry).",
                    "return": "Return vials of a lot (to the supplier or sponsor).",
                    "destroy": "Destroy vials of a lot."}[kind]
    return command


for _kind in ("receive", "return", "destroy"):
    stock.add_command(_movement(_kind))


@stock.command("dispense")
@RX
@BY
@click.option("--today", help="Date for the plan (default: today).")
@click.option("--store", "own_store", type=click.Path(dir_okay=False, path_type=Path),
              help="The pharmacy's store (SQLite).")
@DEBUG
@click.pass_obj
def dispense(store: Path | None, prescription: Path, by: str, today: str | None,
             own_store: Path | None, debug: bool) -> None:
    """Record the vials of every given day as dispensed from its recorded lot."""
    store = own_store or store
    with common.user_errors(debug):
        from ivig_schedule.jobs import pharmacy

        text = common.read_text(prescription) or ""
        done = pharmacy.dispense_given(text, common.store_path(prescription, store), by=by,
                                       at=_now(), today=common.today(today))
        click.echo(f"dispensed: {done.recorded} new movements, {done.already} already recorded"
                   + (f", {done.placebo_days} placebo days (saline, not in the IVIg ledger)"
                      if done.placebo_days else ""))


@click.command()
@click.argument("what", type=click.Choice(["journal", "unblinding", "ledger"]))
@click.option("--format", "-f", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--force", is_flag=True, help="Overwrite --output.")
@STORE
@DEBUG
def export(what: str, fmt: str, output: Path | None, force: bool, store: Path | None,
           debug: bool) -> None:
    """Export the store's journal, unblinding log or ledger for the trial master file."""
    with common.user_errors(debug):
        from ivig_schedule.jobs import pharmacy

        data = pharmacy.export(common.store_path(None, store), what, fmt).encode("utf-8")
        common.emit(data, output, force)


@click.command()
@RX
@click.option("--course", type=click.IntRange(min=1), required=True, help="Course number.")
@click.option("--day", type=click.IntRange(min=1), required=True, help="Day of the course.")
@click.option("--format", "-f", "fmt", type=click.Choice(["html", "pdf"]), default="html",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--force", is_flag=True, help="Overwrite --output.")
@click.option("--today", help="Date for the plan (default: today).")
@STORE
@DEBUG
def label(prescription: Path, course: int, day: int, fmt: str, output: Path | None,
          force: bool, today: str | None, store: Path | None, debug: bool) -> None:
    """Print a blinded bag label for one infusion day (the same for both arms)."""
    with common.user_errors(debug):
        from ivig_schedule.jobs import pharmacy
        from ivig_schedule.render import label as render
        from ivig_schedule.views.label import label_view

        plan = pharmacy.plan_of(common.read_text(prescription) or "",
                                common.store_path(prescription, store), common.today(today))
        shown = label_view(plan, course, day)
        data = render.to_pdf(shown) if fmt == "pdf" else render.to_html(shown).encode("utf-8")
        common.emit(data, output, force)
