"""A blinded bag label's particulars, from the plan, without the arm.

EU Regulation 536/2014, Annex VI, A.1 lists what the label of an investigational product
carries; for a bag the trial pharmacy prepares this is: the contact for information and
emergency unblinding, the substance named with its placebo (on both arms' labels alike), the
form, route and volume, a batch or code, the trial's reference code, the subject and treatment
number, the visit, directions for use, "For clinical trial use only", storage and the period of
use in month and year. Nothing here depends on the arm: the bag's volume, the pump and the
dates are the same for both arms, and the preparation code is made from the treatment number,
course and day only. A day's lot is not printed (an IVIg lot and a saline lot differ).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from attrs import frozen

from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.numbers import written
from ivig_schedule.model.plan import Plan

CLINICAL_TRIAL_USE = "For clinical trial use only"
LABEL_SOURCE = "EU Regulation 536/2014, Annex VI, A.1 (labelling of investigational products)"


@frozen
class LabelView:
    """Everything one bag label prints, the same for both arms."""

    contact: str
    substance: str
    form_route: str
    volume_ml: Decimal
    code: str
    trial_code: str
    subject: str
    treatment_number: str
    visit: str
    directions: str
    storage: str
    use_by: str
    infusion_date: dt.date


def preparation_code(trial: str, number: str, course: int, day: int) -> str:
    """A code for the bag that names no arm: 8 hex digits from trial, number, course, day."""
    digest = hashlib.sha256(f"{trial}|{number}|{course}|{day}".encode()).hexdigest()
    return digest[:8].upper()


def label_view(plan: Plan, course: int, day: int) -> LabelView:
    """The label of one infusion day's bag; an input error when the plan has no such day, the
    regimen is not blinded, or the pharmacy has not given the contact or storage."""
    rx = plan.prescription
    regimen = rx.regimen
    if not regimen.blinded:
        raise PrescriptionError("order.regimen", regimen.id,
                                "has no blinded phase: blinded bag labels are for trials")
    if not 0 < course <= len(plan.courses):
        raise PrescriptionError("--course", course, f"allowed: 1-{len(plan.courses)}")
    found = plan.courses[course - 1]
    if not 0 < day <= len(found.days):
        raise PrescriptionError("--day", day, f"course {course} has days 1-{len(found.days)}")
    if found.status != "planned" or found.days[day - 1].status == "cancelled":
        raise PrescriptionError("--course", course, f"course {course} is {found.status}: no bag")
    for field, value in (("care.unblinding_contact", rx.unblinding_contact),
                         ("care.label_storage", rx.label_storage)):
        if value is None:
            raise PrescriptionError(field, None, "is required on a blinded bag label ("
                                    + LABEL_SOURCE + ")")
    if regimen.trial_code is None:
        raise PrescriptionError("regimen.trial_code", None,
                                "is required on a blinded bag label: the trial's reference code")
    infusion = found.days[day - 1]
    product = found.product or rx.product
    concentration = written(product.concentration_mg_per_ml)
    number = rx.treatment_number or "(not randomised by list)"
    substance = (f"Human normal immunoglobulin {concentration} mg/mL ({product.name}) or "
                 "placebo (sodium chloride 0.9%)") if found.blinded else (
        f"Human normal immunoglobulin {concentration} mg/mL ({product.name}), open-label")
    return LabelView(
        contact=rx.unblinding_contact or "",
        substance=substance,
        form_route="Solution for intravenous infusion",
        volume_ml=infusion.volume_ml,
        code=preparation_code(regimen.id, number, course, day),
        trial_code=regimen.trial_code,
        subject=rx.patient.id,
        treatment_number=number,
        visit=f"course {course} · day {day}",
        directions="Infuse by pump as programmed on the infusion sheet for this day; do not "
                   "add other medicines to the bag or the line.",
        storage=rx.label_storage or "",
        use_by=f"{infusion.date:%m/%Y}",
        infusion_date=infusion.date,
    )
