"""The options several commands share, with their choices taken from the model's vocabulary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ivig_schedule.model.vocabulary import (
    ARMS,
    DOSING_WEIGHT_BASES,
    RISK_FACTORS,
    SEXES,
    TIS_MEASURES,
    VIEWS,
)

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _apply(options: list[Decorator]) -> Decorator:
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


override_options = _apply([
    click.option("--weight", help="Patient weight in kg, or e.g. '160 lb' (patient.weight_kg)."),
    click.option("--start", help="First infusion day, YYYY-MM-DD (order.start)."),
    click.option("--days", type=click.IntRange(min=1), help="Days per course."),
    click.option("--product", help="Product id from `ivig-schedule products`."),
    click.option("--regimen", help="Regimen id from `ivig-schedule regimens`."),
    click.option("--arm", type=click.Choice(ARMS), help="Trial arm."),
    click.option("--dosing-weight", "dosing_weight", type=click.Choice(DOSING_WEIGHT_BASES),
                 help="Dosing weight basis."),
    click.option("--dosing-policy", "dosing_policy", metavar="POLICY",
                 help="Dosing-weight policy from `ivig-schedule policies` "
                 "(order.dosing_policy)."),
    click.option("--timezone", help="IANA zone of the patient's home."),
    click.option("--patient-id", "patient_id", help="Pseudonymous patient id."),
    click.option("--height", help="Height in cm, or e.g. '1.75 m', '5 ft 9 in' "
                 "(patient.height_cm)."),
    click.option("--sex", type=click.Choice(SEXES), help="For the Devine ideal body weight "
                 "(patient.sex)."),
    click.option("--risk", multiple=True, type=click.Choice(RISK_FACTORS),
                 help="A risk factor (repeatable; patient.risk_factors)."),
    click.option("--start-time", "start_time", help="Local start time, HH:MM "
                 "(order.start_time)."),
    click.option("--indication", help="Picks the product's ladder, e.g. dermatomyositis, cidp "
                 "(order.indication)."),
    click.option("--max-rate-ml-h", "max_rate_ml_h", help="An absolute pump-rate ceiling in "
                 "mL/h (order.max_rate_ml_h)."),
])
"""Flags that override single prescription fields, for quick what-ifs."""

guard_options = _apply([
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
])
"""Options that choose the limits and acknowledge soft breaches."""

tis_options = _apply([
    click.option("--" + measure.replace("_", "-"), measure, metavar="PERCENT",
                 help=f"Percent improvement of the {measure.replace('_', ' ')}.")
    for measure in TIS_MEASURES])
"""The six core set measures' percent improvement (negative = worsening)."""

prescription_argument = click.argument(
    "prescription", required=False,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))

view_option = click.option(
    "--view", type=click.Choice(VIEWS), default="pharmacy", show_default=True,
    help="Who reads it: pharmacy (everything), nurse (times and pump programme; no arm unless "
         "the trial unblinds nurses), patient (appointments), assessor (dates).")

output_options = _apply([
    click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write to this file (atomically) instead of standard output."),
    click.option("--force", is_flag=True, help="Replace an existing --output file."),
])
