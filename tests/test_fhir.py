"""The FHIR R4 (4.0.1) export: every sample validates, codes come from the R4 value sets, units
are UCUM, and a masked view is identical across arms."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fhirclient.models.bundle import Bundle

from ivig_schedule.cli.app import cli

from .conftest import SAMPLES

SAMPLE_FILES = sorted(SAMPLES.glob("*.toml"))
VIEWS = ("pharmacy", "nurse", "patient", "assessor")
# R4 4.0.1 value sets, copied from the specification (fhirclient does not check codes).
BUNDLE_TYPES = {"document", "message", "transaction", "transaction-response", "batch",
                "batch-response", "history", "searchset", "collection"}
REQUEST_STATUS = {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped",
                  "draft", "unknown"}
REQUEST_INTENT = {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
                  "instance-order", "option"}


def export(path, view: str, *extra: str) -> dict:
    result = CliRunner().invoke(cli, ["plan", str(path), "-f", "fhir", "--view", view,
                                      "--today", "2027-01-01", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.stem)
def test_every_sample_validates_against_r4(path, view):
    """fhirclient's R4 models accept the Bundle; status, intent and type are R4 codes; every
    quantity is UCUM; every reference resolves inside the Bundle."""
    data = export(path, view)
    Bundle(data, strict=True)
    assert data["type"] in BUNDLE_TYPES
    urls = {e["fullUrl"] for e in data["entry"]}
    requests = [e["resource"] for e in data["entry"]
                if e["resource"]["resourceType"] == "MedicationRequest"]
    assert requests
    for request in requests:
        assert request["status"] in REQUEST_STATUS
        assert request["intent"] in REQUEST_INTENT
        assert request["subject"]["reference"] in urls
        assert request["medicationReference"]["reference"] in urls
        for dosage in request["dosageInstruction"]:
            for entry in dosage.get("doseAndRate", []):
                for quantity in entry.values():
                    assert quantity["system"] == "http://unitsofmeasure.org"
                    assert quantity["code"] in ("g", "mL/h")


def test_patient_holds_only_the_pseudonymous_identifier():
    """The Patient resource has no name, birth date or anything but its identifier."""
    patient = export(SAMPLES / "proderm.toml", "pharmacy")["entry"][0]["resource"]
    assert patient == {"resourceType": "Patient", "identifier": [
        {"system": "urn:ivig-schedule:patient", "value": "PD-0042"}]}


def test_pharmacy_request_carries_dose_steps_and_timing():
    """Course 1 day 1 of ProDERM: 40 g, then 48.0, 96.0, 192.0 mL/h in order, 09:00-11:43."""
    data = export(SAMPLES / "proderm.toml", "pharmacy")
    request = next(e["resource"] for e in data["entry"]
                   if e["resource"]["resourceType"] == "MedicationRequest")
    day = request["dosageInstruction"][0]
    assert day["timing"]["repeat"]["boundsPeriod"] == {"start": "2027-01-11T09:00:00-05:00",
                                                        "end": "2027-01-11T11:43:00-05:00"}
    assert [e.get("doseQuantity", e.get("rateQuantity"))["value"] for e in day["doseAndRate"]] \
        == [40.0, 48.0, 96.0, 192.0]
    assert day["route"]["coding"][0]["code"] == "47625008"
    medication = next(e["resource"] for e in data["entry"]
                      if e["resource"]["resourceType"] == "Medication")
    assert medication["code"]["text"] == "Octagam 10%"
    assert medication["amount"]["numerator"] == {"value": 100.0, "unit": "mg",
                                                 "system": "http://unitsofmeasure.org",
                                                 "code": "mg"}


@pytest.mark.parametrize("view", ["nurse", "patient", "assessor"])
def test_masked_views_identical_across_arms(view):
    """ProDERM masks these views: the FHIR export is byte-identical for both arms, and its
    blinded courses refer to a blinded study medication without product or strength."""
    path = SAMPLES / "proderm.toml"
    active = CliRunner().invoke(cli, ["plan", str(path), "-f", "fhir", "--view", view, "--arm",
                                      "active", "--today", "2027-01-01"]).stdout
    placebo = CliRunner().invoke(cli, ["plan", str(path), "-f", "fhir", "--view", view, "--arm",
                                       "placebo", "--today", "2027-01-01"]).stdout
    assert active == placebo
    assert "sodium chloride" not in active and "placebo" not in active.lower()


def test_history_sets_the_request_status():
    """A skipped course is cancelled, a stopped one stopped, a fully given one completed."""
    text = (SAMPLES / "2g-q4w.toml").read_text() + (
        '\n[[change]]\non = 2027-11-06\nkind = "given"\nreason = "r"\ncourse = 1\nday = 1\n'
        '\n[[change]]\non = 2027-11-07\nkind = "skip"\nreason = "r"\ncourse = 2\n'
        '\n[[change]]\non = 2027-11-07\nkind = "stop"\nreason = "r"\nfrom_course = 3\n')
    result = CliRunner().invoke(cli, ["plan", "-", "-f", "fhir", "--today", "2027-11-08"],
                                input=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    Bundle(data, strict=True)
    statuses = [e["resource"]["status"] for e in data["entry"]
                if e["resource"]["resourceType"] == "MedicationRequest"]
    assert statuses == ["active", "cancelled", "stopped"]
