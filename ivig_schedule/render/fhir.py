"""The plan as a FHIR R4 (4.0.1) Bundle of type ``collection``, from a `PlanView`.

- a Patient holding only the pseudonymous identifier;
- a Medication for the product (name, form, strength in mg/mL), and for a course the view masks a
  "blinded study medication" with no product, no strength and no arm;
- one MedicationRequest per course (intent ``order``; status from the course's history), with a
  dosageInstruction per infusion day: timing (the infusion's start and end), route intravenous,
  the dose in g where the view may see it, and the pump steps as ``doseAndRate`` entries with
  ``rateQuantity`` in mL/h, in order;
- the warnings the view may see as notes.

Units are UCUM (``g``, ``mL``, ``mL/h``, ``mg/mL``). References are ``urn:uuid`` values derived
from the plan, so the same input gives the same bytes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from ivig_schedule.render.records import dumps
from ivig_schedule.views.views import CourseView, DayView, PlanView

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
INTRAVENOUS = {"system": SNOMED, "code": "47625008", "display": "Intravenous route"}
"""SNOMED CT 47625008 Intravenous route (qualifier value), the R4 route example value set."""
IDENTIFIER_SYSTEM = "urn:ivig-schedule:patient"
BLINDED = "blinded study medication"
STATUS = {"planned": "active", "skipped": "cancelled", "cancelled": "stopped"}
"""A course's status as a MedicationRequest status (R4 medicationrequest-status)."""
_NAMESPACE = uuid.UUID("6f1c2a3e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")


def _urn(*parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(str(p) for p in parts))}"


def _quantity(value: Decimal, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _kind(view: PlanView, course: CourseView) -> str:
    """Which Medication a course refers to: the product, the blinded study medication, or
    (for audiences that never see products) immunoglobulin without a name."""
    if course.masked:
        return "blinded"
    return "product" if view.product_name is not None else "generic"


def _medication(view: PlanView, kind: str) -> dict[str, Any]:
    form = {"text": "solution for infusion"}
    if kind == "blinded":
        return {"resourceType": "Medication", "code": {"text": BLINDED}, "form": form}
    if kind == "generic" or view.product_name is None:
        return {"resourceType": "Medication", "code": {"text": "immunoglobulin, intravenous"},
                "form": form}
    medication: dict[str, Any] = {"resourceType": "Medication",
                                  "code": {"text": view.product_name}, "form": form}
    if view.product is not None:
        medication["amount"] = {
            "numerator": _quantity(view.product.concentration_mg_per_ml, "mg"),
            "denominator": _quantity(Decimal(1), "mL")}
    return medication


def _dosage(course: CourseView, day: DayView) -> dict[str, Any]:
    dosage: dict[str, Any] = {"sequence": day.day,
                              "text": f"course {course.number} day {day.day}"}
    if day.start is not None and day.end is not None:
        dosage["timing"] = {"repeat": {"boundsPeriod": {"start": day.start.isoformat(),
                                                        "end": day.end.isoformat()}}}
    elif day.date is not None:
        dosage["timing"] = {"event": [day.date.isoformat()]}
    dosage["route"] = {"coding": [INTRAVENOUS], "text": "intravenous"}
    rates: list[dict[str, Any]] = []
    if day.grams is not None:
        rates.append({"doseQuantity": _quantity(day.grams, "g")})
    for step in day.steps or ():
        rates.append({"rateQuantity": _quantity(step.rate_ml_per_h, "mL/h")})
    if rates:
        dosage["doseAndRate"] = rates
    if day.steps:
        dosage["text"] += ": " + "; ".join(
            f"{s.rate_ml_per_h} mL/h for {s.minutes} min (VTBI {s.volume_ml} mL)"
            for s in day.steps)
    return dosage


def _status(course: CourseView) -> str:
    if course.status == "planned" and course.days and all(d.status == "given"
                                                          for d in course.days):
        return "completed"
    return STATUS.get(course.status, "active")


def bundle(view: PlanView) -> dict[str, Any]:
    """The Bundle as a JSON-ready mapping (Decimals kept exact until written)."""
    key = ("plan", view.patient.id, view.regimen_id, view.view)
    patient_url = _urn(*key, "patient")
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": {
        "resourceType": "Patient",
        "identifier": [{"system": IDENTIFIER_SYSTEM, "value": view.patient.id}]}}]
    medications: dict[str, str] = {}
    for kind in sorted({_kind(view, c) for c in view.courses}):
        medications[kind] = _urn(*key, "medication", kind)
        entries.append({"fullUrl": medications[kind], "resource": _medication(view, kind)})
    notes = [{"text": f"{w.message} [{w.code}]"} for w in view.warnings]
    for course in view.courses:
        request: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "identifier": [{"system": "urn:ivig-schedule:course",
                            "value": f"{view.patient.id}/{course.number}"}],
            "status": _status(course),
            "intent": "order",
            "medicationReference": {"reference": medications[_kind(view, course)]},
            "subject": {"reference": patient_url},
            "dosageInstruction": [_dosage(course, d) for d in course.days],
        }
        if notes:
            request["note"] = notes
        entries.append({"fullUrl": _urn(*key, "course", course.number), "resource": request})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def to_fhir(view: PlanView) -> str:
    """The Bundle as indented JSON, ending in a newline."""
    return dumps(bundle(view))
