"""Safety rules: a refused plan raises `RefusedBySafetyRule`; warnings come back as `Finding`s."""

from __future__ import annotations

from collections.abc import Iterator

from ivig_schedule.errors import RefusedBySafetyRule
from ivig_schedule.model import Finding, Prescription


def check_eligibility(prescription: Prescription) -> None:
    """Refuse a patient the regimen's eligibility rules exclude (e.g. MIGHT: weight > 120 kg)."""
    regimen = prescription.regimen
    limit = regimen.max_weight_kg
    weight = prescription.patient.weight_kg
    if limit is not None and weight > limit:
        raise RefusedBySafetyRule(
            f"{regimen.id}.max_weight_kg",
            f"{weight} kg",
            f"{limit} kg",
            regimen.source,
            f"the {regimen.name} regimen excludes patients over {limit} kg",
        )


def data_findings(prescription: Prescription) -> Iterator[Finding]:
    """Warnings about the trustworthiness of the rules the plan rests on."""
    regimen, product = prescription.regimen, prescription.product
    if not regimen.verified:
        yield Finding(
            "regimen.unverified",
            "part of this regimen rests on an unconfirmed document: "
            + (regimen.notes or regimen.source),
        )
    if product.local:
        yield Finding(
            "product.local",
            "the product table comes from the prescription (local protocol), not the catalog; "
            "check it against the label",
        )
