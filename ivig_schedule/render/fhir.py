"""The plan as a FHIR R4 (4.0.1) Bundle of type ``collection``, from a `PlanView`.

What a pharmacy system reads, made from the view alone (so a masked view's Bundle is the same for
both arms):

- a Patient holding only the pseudonymous identifier;
- one Medication per kind of bag a course holds in this view: the product (ATC J06BA02, its
  strength as ``ingredient.strength``), sodium chloride 0.9 % (ATC B05XA03) for a placebo course
  the view sees unmasked, a "blinded study medication" (no coding, no strength) for a course the
  view masks, or immunoglobulin without a name for a role that never sees products; and one per
  recorded lot, with its ``batch``, where the view sees lots;
- one MedicationRequest per course, ``intent`` ``proposal`` and ``status`` ``draft`` (this is
  decision support, not a signed order; ``active`` once a day of it was given, ``cancelled`` for
  a course never started, ``stopped`` for one stopped after a day was given, ``completed`` when
  every day was given), identified by patient, prescription and course, with one Dosage
  per pump step: when it starts and ends, how long it runs, its rate (mL/h) and volume (mL),
  the day's dose as the most per administration (g, or mL for saline and for a masked bag) and
  the course's rate ceiling as the most per hour, so that a consumer can rebuild the programme;
- one body-weight Observation (LOINC 29463-7) per weight a course is made for, where the view
  sees weights, which each course's MedicationRequest names as ``supportingInformation`` (with
  its dosing weight in a note): after a weight change each course has its own;
- one MedicationAdministration per given day, ``completed``, referring to its request (and lot),
  dated by the day it was recorded as given (``effectiveDateTime``; the planned clock times are
  not what happened);
- the warnings the view may see as notes.

Units are UCUM. References are ``urn:uuid`` values derived from the plan, so the same input gives
the same bytes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ivig_schedule.model.numbers import written
from ivig_schedule.render.formats import Options
from ivig_schedule.render.records import dumps
from ivig_schedule.views.views import (
    CourseView,
    CourseWeightView,
    DayView,
    PlanView,
    StepView,
)

if TYPE_CHECKING:
    from ivig_schedule.views.recorded import GivenView

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
INTRAVENOUS = {"system": SNOMED, "code": "47625008", "display": "Intravenous route"}
"""SNOMED CT 47625008 Intravenous route (qualifier value), the R4 route example value set."""
IMMUNOGLOBULIN = {"system": ATC, "code": "J06BA02",
                  "display": "immunoglobulins, normal human, for intravascular adm."}
SODIUM_CHLORIDE = {"system": ATC, "code": "B05XA03", "display": "sodium chloride"}
SALINE_MG_PER_ML = Decimal(9)
"""0.9 % sodium chloride is 0.9 g per 100 mL, 9 mg/mL (a unit conversion of the bag's name)."""
REQUEST_STATUS = {"planned": "draft", "started": "active", "given": "completed",
                  "skipped": "cancelled", "cancelled": "cancelled", "stopped": "stopped"}
"""A course's progress (from the view) as a MedicationRequest status (R4 value set)."""
LOINC = "http://loinc.org"
BODY_WEIGHT = {"system": LOINC, "code": "29463-7", "display": "Body weight"}
VITAL_SIGNS = {"system": "http://terminology.hl7.org/CodeSystem/observation-category",
               "code": "vital-signs", "display": "Vital Signs"}
ORDERED = {"coding": [{"system": DOSE_RATE_TYPE, "code": "ordered", "display": "Ordered"}]}
IDENTIFIER_SYSTEM = "urn:ivig-schedule:patient"
BLINDED = "blinded study medication"
FORM = {"text": "solution for infusion"}
_NAMESPACE = uuid.UUID("6f1c2a3e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")


def _urn(*parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(str(p) for p in parts))}"


def _quantity(value: Decimal | int, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _ratio(numerator: Decimal, unit: str, per: str) -> dict[str, Any]:
    return {"numerator": _quantity(numerator, unit), "denominator": _quantity(1, per)}


def _placebo(course: CourseView) -> bool:
    return any(d.contents is not None and d.contents.kind == "placebo" for d in course.days)


def _kind(view: PlanView, course: CourseView) -> str:
    """Which Medication a course's bags are in this view."""
    if course.masked:
        return "blinded"
    if _placebo(course):
        return "saline"
    return "product" if view.product_name is not None else "generic"


def _medication(view: PlanView, kind: str, given: GivenView | None = None) -> dict[str, Any]:
    if kind == "blinded":
        medication: dict[str, Any] = {"resourceType": "Medication", "code": {"text": BLINDED},
                                      "form": FORM}
    elif kind == "saline":
        medication = {"resourceType": "Medication",
                      "code": {"coding": [SODIUM_CHLORIDE], "text": "sodium chloride 0.9%"},
                      "form": FORM, "ingredient": [{
                          "itemCodeableConcept": {"coding": [SODIUM_CHLORIDE]}, "isActive": True,
                          "strength": _ratio(SALINE_MG_PER_ML, "mg", "mL")}]}
    elif kind == "product" and view.product_name is not None:
        medication = {"resourceType": "Medication",
                      "code": {"coding": [IMMUNOGLOBULIN], "text": view.product_name},
                      "form": FORM}
        if view.product is not None:
            medication["ingredient"] = [{
                "itemCodeableConcept": {"coding": [IMMUNOGLOBULIN],
                                        "text": "immunoglobulin G, human normal"},
                "isActive": True,
                "strength": _ratio(view.product.concentration_mg_per_ml, "mg", "mL")}]
    else:
        medication = {"resourceType": "Medication",
                      "code": {"coding": [IMMUNOGLOBULIN], "text": "immunoglobulin, intravenous"},
                      "form": FORM}
    if given is not None and (given.lot or given.expiry):
        batch: dict[str, Any] = {}
        if given.lot:
            batch["lotNumber"] = given.lot
        if given.expiry:
            batch["expirationDate"] = given.expiry.isoformat()
        medication["batch"] = batch
    return medication


def _dose(day: DayView) -> dict[str, Any] | None:
    """The day's dose as this view may say it: grams of product, or mL of the bag."""
    if day.contents is not None and day.contents.kind == "placebo":
        return _quantity(day.contents.ml, "mL")
    if day.grams is not None:
        return _quantity(day.grams, "g")
    if day.volume_ml is not None:
        return _quantity(day.volume_ml, "mL")
    return None


def _step_end(day: DayView, steps: tuple[StepView, ...], index: int) -> str | None:
    if index + 1 < len(steps) and steps[index + 1].at is not None:
        return steps[index + 1].at.isoformat()  # type: ignore[union-attr]
    return day.end.isoformat() if day.end is not None else None


def _dosages(course: CourseView, day: DayView, sequence: int) -> list[dict[str, Any]]:
    """One Dosage per pump step (or one for the day, when the view has no pump programme)."""
    label = f"course {course.number} day {day.day}"
    route = {"coding": [INTRAVENOUS], "text": "intravenous"}
    steps = day.steps or ()
    if not steps:
        timing = ({"repeat": {"boundsPeriod": {"start": day.start.isoformat(),
                                               "end": day.end.isoformat()}}}
                  if day.start is not None and day.end is not None
                  else {"event": [day.date.isoformat()]})
        return [{"sequence": sequence, "text": label, "timing": timing, "route": route}]
    dose = _dose(day)
    found = []
    offset = 0
    for index, step in enumerate(steps):
        dosage: dict[str, Any] = {
            "sequence": sequence + index,
            "text": (f"{label} step {index + 1} of {len(steps)}: starts {offset} min after the "
                     f"infusion starts; {written(step.rate_ml_per_h)} mL/h for {step.minutes} "
                     f"min (VTBI {written(step.volume_ml)} mL)"),
        }
        repeat: dict[str, Any] = {"duration": step.minutes, "durationUnit": "min"}
        end = _step_end(day, steps, index)
        if step.at is not None and end is not None:
            repeat["boundsPeriod"] = {"start": step.at.isoformat(), "end": end}
        dosage["timing"] = {"repeat": repeat}
        dosage["route"] = route
        dosage["doseAndRate"] = [{"type": ORDERED,
                                  "doseQuantity": _quantity(step.volume_ml, "mL"),
                                  "rateQuantity": _quantity(step.rate_ml_per_h, "mL/h")}]
        if course.cap is not None:
            dosage["maxDosePerPeriod"] = _ratio(course.cap.cap_ml_per_h, "mL", "h")
        if dose is not None:
            dosage["maxDosePerAdministration"] = dose
        found.append(dosage)
        offset += step.minutes
    return found


def _administration(view: PlanView, course: CourseView, day: DayView, request: str,
                    medication: str, patient: str) -> dict[str, Any]:
    assert day.given is not None
    # The date it was recorded as given; the planned clock times are not what happened.
    effective: dict[str, Any] = {"effectiveDateTime": day.given.on.isoformat()}
    dosage: dict[str, Any] = {"text": f"course {course.number} day {day.day}",
                              "route": {"coding": [INTRAVENOUS], "text": "intravenous"}}
    dose = _dose(day)
    if dose is not None:
        dosage["dose"] = dose
    elif day.steps:
        dosage["rateQuantity"] = _quantity(day.steps[0].rate_ml_per_h, "mL/h")
    administration: dict[str, Any] = {
        "resourceType": "MedicationAdministration", "status": "completed",
        "medicationReference": {"reference": medication}, "subject": {"reference": patient},
        **effective, "request": {"reference": request}}
    if "dose" in dosage or "rateQuantity" in dosage:
        administration["dosage"] = dosage
    return administration


def _body_weight(weight: CourseWeightView, patient: str) -> dict[str, Any]:
    """The body weight a course was made for, as an Observation (LOINC 29463-7)."""
    return {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [VITAL_SIGNS]}],
            "code": {"coding": [BODY_WEIGHT], "text": "body weight"},
            "subject": {"reference": patient},
            "valueQuantity": _quantity(weight.weight_kg, "kg")}


def bundle(view: PlanView) -> dict[str, Any]:
    """The Bundle as a JSON-ready mapping (Decimals kept exact until written)."""
    key = ("plan", view.patient.id, view.prescription, view.view)
    patient_url = _urn("patient", view.patient.id)  # one patient, whatever the view
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": {
        "resourceType": "Patient",
        "identifier": [{"system": IDENTIFIER_SYSTEM, "value": view.patient.id}]}}]
    medications: dict[str, str] = {}
    for kind in sorted({_kind(view, c) for c in view.courses}):
        medications[kind] = _urn(*key, "medication", kind)
        entries.append({"fullUrl": medications[kind], "resource": _medication(view, kind)})
    notes = [{"text": f"{w.message} [{w.code}]"} for w in view.warnings]
    administrations: list[dict[str, Any]] = []
    weighed: dict[Decimal, str] = {}
    for course in view.courses:
        kind = _kind(view, course)
        request_url = _urn(*key, "course", course.number)
        weight = course.weight
        if weight is not None and weight.weight_kg not in weighed:
            weighed[weight.weight_kg] = _urn(*key, "body-weight", weight.weight_kg)
            entries.append({"fullUrl": weighed[weight.weight_kg],
                            "resource": _body_weight(weight, patient_url)})
        dosages: list[dict[str, Any]] = []
        for day in course.days:
            dosages += _dosages(course, day, len(dosages) + 1)
            if day.given is None:
                continue
            medication = medications[kind]
            if day.given.lot or day.given.expiry:
                medication = _urn(*key, "lot", kind, day.given.lot, day.given.expiry)
                if all(e["fullUrl"] != medication for e in entries):
                    entries.append({"fullUrl": medication,
                                    "resource": _medication(view, kind, day.given)})
            administrations.append({
                "fullUrl": _urn(*key, "given", course.number, day.day),
                "resource": _administration(view, course, day, request_url, medication,
                                            patient_url)})
        request: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "identifier": [{"system": "urn:ivig-schedule:course",
                            "value": f"{view.patient.id}/{view.prescription}/{course.number}"}],
            "status": REQUEST_STATUS[course.progress],
            "intent": "proposal",
            "medicationReference": {"reference": medications[kind]},
            "subject": {"reference": patient_url},
            "dosageInstruction": dosages,
        }
        if course.dispense is not None:
            total = (_quantity(sum(course.dispense.bags_ml, Decimal(0)), "mL")
                     if course.dispense.bags_ml else _quantity(course.dispense.grams, "g"))
            request["dispenseRequest"] = {"quantity": total}
        course_notes = list(notes)
        if weight is not None:
            request["supportingInformation"] = [{"reference": weighed[weight.weight_kg]}]
            course_notes.insert(0, {"text": (
                f"course {course.number} is made for a body weight of "
                f"{written(weight.weight_kg)} kg; dosing weight "
                f"{written(weight.dosing_weight_kg)} kg ({weight.dosing_weight_basis})")})
        if course_notes:
            request["note"] = course_notes
        entries.append({"fullUrl": request_url, "resource": request})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries + administrations}


def to_fhir(view: PlanView) -> str:
    """The Bundle as indented JSON, ending in a newline."""
    return dumps(bundle(view))


def render(view: PlanView, options: Options) -> str:
    """The Bundle, as the format registry calls it."""
    return to_fhir(view)
