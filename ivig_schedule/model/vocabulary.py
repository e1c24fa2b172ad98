"""The words the inputs may use: sexes, risk factors, roles, change kinds and the rest.

Plain tuples, with no import beyond typing, so that the command line can offer them as choices
without loading the model (``--help`` starts fast). Every other module takes them from here.
"""

from __future__ import annotations

from typing import Literal

Sex = Literal["female", "male"]
RiskFactor = Literal["thrombosis", "renal"]
DosingWeightBasis = Literal["actual", "ideal", "adjusted", "auto"]
Rounding = Literal["nearest-vial", "down", "none"]
Arm = Literal["active", "placebo"]
RateUnit = Literal["mg/kg/min", "mL/kg/min", "mL/kg/h"]
View = Literal["pharmacy", "nurse", "patient", "assessor"]

SEXES: tuple[Sex, ...] = ("female", "male")
RISK_FACTORS: tuple[RiskFactor, ...] = ("thrombosis", "renal")
DOSING_WEIGHT_BASES: tuple[DosingWeightBasis, ...] = ("actual", "ideal", "adjusted", "auto")
ROUNDINGS: tuple[Rounding, ...] = ("nearest-vial", "down", "none")
ARMS: tuple[Arm, ...] = ("active", "placebo")
RATE_UNITS: tuple[RateUnit, ...] = ("mg/kg/min", "mL/kg/min", "mL/kg/h")
VIEWS: tuple[View, ...] = ("pharmacy", "nurse", "patient", "assessor")
LANGUAGES = ("en", "nl")
"""Languages of what people read (calendars and sheets): English (the default) and Dutch."""
ChangeKind = Literal["delay", "skip", "weight", "dose", "days", "response", "stop", "given",
                     "product", "unblinding"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("delay", "skip", "weight", "dose", "days", "response",
                                         "stop", "given", "product", "unblinding")
SlowStartTrigger = Literal["naive", "switched", "interval"]
SLOW_START_TRIGGERS: tuple[SlowStartTrigger, ...] = ("naive", "switched", "interval")
"""Why an infusion starts slowly: the patient is new to immunoglobulin, was switched from another
product, or comes back after a long interval since the last infusion."""
PolicyWeight = Literal["actual", "adjusted", "adjusted-above-bmi", "adjusted-above-ibw-percent"]
POLICY_WEIGHTS: tuple[PolicyWeight, ...] = ("actual", "adjusted", "adjusted-above-bmi",
                                             "adjusted-above-ibw-percent")
"""How a dosing policy chooses the dosing weight (policies.toml)."""
CourseStatus = Literal["planned", "given", "cancelled", "skipped"]
VitalsWhen = Literal["before", "step", "during", "end", "observation"]
"""When a vital-signs check falls in an infusion day."""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INDICATIONS = {
    "pi": "primary immunodeficiency",
    "itp": "immune thrombocytopenia",
    "cidp": "chronic inflammatory demyelinating polyneuropathy",
    "mmn": "multifocal motor neuropathy",
    "dermatomyositis": "dermatomyositis",
    "imnm": "immune-mediated necrotizing myopathy",
    "iim": "idiopathic inflammatory myopathy",
}
"""Indications a ladder or a regimen may name (ids as written in the data files)."""

TIS_MEASURES = ("physician_global", "patient_global", "mmt", "haq", "enzyme", "extramuscular")
"""The six core set measures of the Total Improvement Score, in the order of its table."""
