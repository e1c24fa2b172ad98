"""The command line: the click group and its commands. Click only; every use case is in `jobs`.

Commands live in one module per family (`plan`: plan, sheet, check, explain; `history`: change,
tis; `catalog`: products, regimens, limits; `roster`; `week`: due, publish). Each module is
imported only when its command runs: ``--help`` lists the commands from `COMMANDS` (a test
compares that listing with the commands' own help). Exit codes: 0 ok, 1 bad input, 2 usage, 3
refused by a safety rule, each from the use case's value.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import click


class Entry(NamedTuple):
    """Where a command lives, and the first sentence of its help for the group's listing."""

    module: str
    function: str
    summary: str


COMMANDS = {
    "change": Entry("history", "change", "Record a change to FILE's course history (appends one "
                    "[[change]]; the rest of the file is kept as it is), then show the courses "
                    "that moved or changed."),
    "check": Entry("plan", "check", "Validate a prescription and list every error and limit "
                   "breach; plan nothing."),
    "due": Entry("week", "due", "Every infusion day and study visit from --from to --to "
                 "(default: this ISO week) of the patients in SOURCE (prescription files, "
                 "folders of them, or roster CSVs), sorted by date and time, with what to "
                 "prepare, totals per day and for the range, and nurse clashes."),
    "export": Entry("pharmacy", "export", "Export the store's journal, unblinding log or ledger "
                    "for the trial master file."),
    "explain": Entry("plan", "explain", "Show the calculation trail: every number with its "
                     "formula and inputs, and the limits."),
    "label": Entry("pharmacy", "label", "Print a blinded bag label for one infusion day (the "
                   "same for both arms)."),
    "limits": Entry("catalog", "limits", "List the safety limits (rules, bounds, sources) and "
                    "the quantities a rule may name."),
    "plan": Entry("plan", "plan", "Plan a prescription file (TOML), or one given entirely by "
                  "flags."),
    "policies": Entry("catalog", "policies", "List the dosing-weight policies (national and "
                      "local rules), with their sources."),
    "products": Entry("catalog", "products", "List the products in the catalog, with their "
                      "sources."),
    "publish": Entry("week", "publish", "Sync a roster's calendars (OUTDIR from ``roster``) to "
                     "a CalDAV server: one collection per nurse, one resource per event."),
    "randomise": Entry("pharmacy", "randomise", "The trial's randomisation list: import it into "
                       "the store, assign numbers."),
    "regimens": Entry("catalog", "regimens", "List the regimens and trial presets in the "
                      "catalog, with their sources."),
    "roster": Entry("roster", "roster", "Plan a whole roster: a CSV (one patient a row) or a "
                    "folder of prescription files."),
    "sheet": Entry("plan", "sheet", "Print the infusion sheet: one page per infusion day, with "
                   "the pump programme, a step chart, a vital-signs grid and fields for lot, "
                   "expiry and signatures."),
    "stock": Entry("pharmacy", "stock", "Stock per product and lot: what is on hand, received, "
                   "dispensed, returned, destroyed."),
    "tis": Entry("history", "tis", "The 2016 ACR/EULAR Total Improvement Score for adult "
                 "dermatomyositis/polymyositis."),
    "unblind": Entry("pharmacy", "unblind", "Emergency unblinding: show the arm to the one who "
                     "asks, and log who, when and why."),
}
"""Every command: its module under `ivig_schedule.cli`, its function, its help's first sentence."""


def load(name: str) -> click.Command:
    """The command itself (importing its module)."""
    entry = COMMANDS[name]
    command = getattr(importlib.import_module(f"ivig_schedule.cli.{entry.module}"),
                      entry.function)
    assert isinstance(command, click.Command)
    return command


class _Commands(click.Group):
    """A group whose commands are imported when one runs, not to list them."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:  # the listing needs only the first sentence
            return click.Command(cmd_name, help=COMMANDS[cmd_name].summary)
        return load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version: the metadata is read here only, so other commands start faster."""
    if value and not ctx.resilient_parsing:
        import ivig_schedule

        click.echo(f"ivig-schedule, version {ivig_schedule.__version__}")
        ctx.exit()


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version and exit.")
def cli() -> None:
    """Plan IVIg courses: whole-vial doses, pump steps, placebo volumes and calendars.

    Decision support only: a pharmacist verifies every plan before anything is dispensed.
    """


def main(args: Any = None) -> None:
    """Console-script entry point."""
    cli(args, prog_name="ivig-schedule")
