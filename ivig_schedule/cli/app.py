"""The command line: the click group and its commands. Click only; every use case is in `jobs`.

Commands live in one module per family (`plan`: plan, sheet, check, explain; `history`: change,
tis; `catalog`: products, regimens, limits; `roster`; `week`: due, publish). Exit codes: 0 ok, 1 bad
input, 2 usage, 3 refused by a safety rule, each from the use case's value.
"""

from __future__ import annotations

import click

from ivig_schedule.cli import catalog, history, plan, roster, week


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version: the metadata is read here only, so other commands start faster."""
    if value and not ctx.resilient_parsing:
        import ivig_schedule

        click.echo(f"ivig-schedule, version {ivig_schedule.__version__}")
        ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version and exit.")
def cli() -> None:
    """Plan IVIg courses: whole-vial doses, pump steps, placebo volumes and calendars.

    Decision support only: a pharmacist verifies every plan before anything is dispensed.
    """


for command in (plan.plan, plan.sheet, plan.check, plan.explain, catalog.products,
                catalog.regimens, catalog.limits, history.tis, history.change, roster.roster,
                week.due, week.publish):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ivig-schedule")
