"""The quantities a limit may name: what is measured, in which unit, and where in the plan.

A limits file names a quantity from this registry and states its unit; a rule whose quantity is
unknown, or whose unit is not the quantity's, is an error in the limits file (with its line), so
a pharmacy's edited file can never check "mL/h" against a value in mg/kg/min.

Every quantity is measured on the plan that will be given: course by course, after every
recorded change, each course with its own dose, dosing weight, body weight and rate cap. Days
already given are history and are not measured again; skipped and cancelled courses are not
given and are not measured.
"""

from __future__ import annotations

from collections.abc import Mapping

from ivig_schedule.model.limits import FLAG, Quantity

_ALL = (
    Quantity("weight_kg", "kg", "every body weight: the patient's, and each weight a change "
             "records"),
    Quantity("dosing_weight_kg", "kg", "each planned course's dosing weight"),
    Quantity("course_dose_g_per_kg", "g/kg", "each planned course's prescribed dose per kg of "
             "dosing weight, after dose changes and response rules"),
    Quantity("day_dose_g_per_kg", "g/kg", "each planned day's rounded grams per kg of its own "
             "course's dosing weight"),
    Quantity("day_grams", "g", "each planned day's rounded grams"),
    Quantity("rounding_deviation_percent", "%", "each planned course: how far vial rounding "
             "moved the course dose from the prescription"),
    Quantity("step_rate_mg_per_kg_min", "mg/kg/min", "each programmed pump step, per kg of its "
             "own course's dosing weight"),
    Quantity("step_rate_ml_per_kg_min", "mL/kg/min", "each programmed pump step, per kg of its "
             "own course's dosing weight"),
    Quantity("step_rate_ml_per_h", "mL/h", "each programmed pump step, as programmed"),
    Quantity("infusion_minutes", "min", "each planned day's infusion time"),
    Quantity("course_interval_days", "days", "days from the first day of one given or planned "
             "course to the first day of the next"),
    Quantity("course_interval_shortfall_days", "days", "how many days shorter that interval is "
             "than the regimen schedules it (delays and moves make it shorter)"),
    Quantity("course_gap_days", "days", "days from the last day of one given or planned course "
             "to the first day of the next (0 or less: they overlap)"),
    Quantity("start_days_from_today", "days", "days from today to the order's start date"),
    Quantity("product_unverified", FLAG, "the catalog entry has unconfirmed fields"),
    Quantity("ladder_default_doubling", FLAG, "the ladder was made by default doubling"),
    Quantity("regimen_unverified", FLAG, "the regimen rests on an unconfirmed document"),
    Quantity("indication_differs", FLAG, "the order's indication differs from the regimen's"),
    Quantity("trial_indication_differs", FLAG, "the same, for a regimen with blinded phases (a "
             "trial protocol fixes its indication)"),
    Quantity("first_infusion_exceeds_course", FLAG, "the regimen's fixed first infusion is "
             "larger than the whole first course"),
    Quantity("rounding_down_without_vial", FLAG, "rounding down leaves no whole vial, so the "
             "course was rounded up instead"),
    Quantity("observation_minutes", "min", "each planned day's observation after the infusion "
             "(day 1 of a slow-start course: first_observation_minutes)"),
    Quantity("policy_unverified", FLAG, "the dosing policy rests on an unconfirmed part"),
    Quantity("policy_opt_out", FLAG, "the order opts out of its dosing policy "
             "(dosing_weight = \"actual\")"),
    Quantity("bmi_kg_per_m2", "kg/m²", "each planned course's body-mass index (height known)"),
    Quantity("actual_weight_bmi", "kg/m²", "the body-mass index of each planned course dosed "
             "on the actual weight (height known)"),
    Quantity("regimen_bmi_unknown", FLAG, "the regimen excludes by BMI and no height is given"),
)
QUANTITIES: Mapping[str, Quantity] = {q.name: q for q in _ALL}
"""Every quantity by name."""

NAMED_BOUNDS: Mapping[str, str] = {
    "cap_mg_per_kg_min": "each course's own rate cap (the ladder, at-risk or absolute maximum "
                         "for that course's dosing weight)",
    "max_infusion_minutes": "order.max_infusion_hours × 60",
    "regimen_max_weight_kg": "the regimen's eligibility limit",
    "regimen_exclude_bmi_from": "the regimen's BMI exclusion (exclude_bmi_from; a BMI at it "
                                "is excluded)",
    "min_observation_minutes": "the label's minimum observation for that day (exposure.toml: "
                               "the first hour after a slow start, else the product's routine "
                               "minimum, where its label gives one)",
}
"""Limits a rule may name instead of a number: the plan carries their values."""
