"""``products``, ``regimens``, ``policies`` and ``limits``: what the tool knows, with its
sources."""

from __future__ import annotations

from pathlib import Path

import click

from ivig_schedule.cli import common

FORMAT = click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]),
                      default="table", show_default=True, help="Output format.")


@click.command()
@FORMAT
def products(fmt: str) -> None:
    """List the products in the catalog, with their sources."""
    with common.user_errors(False):
        from ivig_schedule.jobs import outputs

        common.finish(outputs.listing("products", fmt, common.width(), common.limits(None)))


@click.command()
@FORMAT
def regimens(fmt: str) -> None:
    """List the regimens and trial presets in the catalog, with their sources."""
    with common.user_errors(False):
        from ivig_schedule.jobs import outputs

        common.finish(outputs.listing("regimens", fmt, common.width(), common.limits(None)))


@click.command()
@FORMAT
def policies(fmt: str) -> None:
    """List the dosing-weight policies (national and local rules), with their sources."""
    with common.user_errors(False):
        from ivig_schedule.jobs import outputs

        common.finish(outputs.listing("policies", fmt, common.width(), common.limits(None)))


@click.command()
@FORMAT
@click.option("--limits", "limits_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="List this limits file instead of the built-in one (it is checked too).")
def limits(fmt: str, limits_file: Path | None) -> None:
    """List the safety limits (rules, bounds, sources) and the quantities a rule may name."""
    with common.user_errors(False):
        from ivig_schedule.jobs import outputs

        common.finish(outputs.listing("limits", fmt, common.width(),
                                      common.limits(limits_file)))
