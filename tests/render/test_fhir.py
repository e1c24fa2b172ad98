"""The FHIR R4 (4.0.1) export: every sample passes two independent validators and the R4
invariants checked here, codes come from the R4 value sets, units are UCUM, a placebo course is
saline where the view sees the arm, and a masked view is identical across arms."""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal

import pytest
from click.testing import CliRunner
from fhirclient.models.bundle import Bundle

from ivig_schedule.cli.app import cli

from ..helpers import SAMPLES

SAMPLE_FILES = sorted(SAMPLES.glob("*.toml"))
BLINDED_SAMPLES = [SAMPLES / f"{name}.toml" for name in ("might", "proderm", "time-is-muscle")]
VIEWS = ("pharmacy", "nurse", "patient", "assessor")
# R4 4.0.1 value sets, copied from the specification (the validators do not check codes).
BUNDLE_TYPES = {"document", "message", "transaction", "transaction-response", "batch",
                "batch-response", "history", "searchset", "collection"}
REQUEST_STATUS = {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped",
                  "draft", "unknown"}
REQUEST_INTENT = {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
                  "instance-order", "option"}
ADMINISTRATION_STATUS = {"in-progress", "not-done", "on-hold", "completed", "entered-in-error",
                         "stopped", "unknown"}
UCUM = "http://unitsofmeasure.org"
UNITS_OF_TIME = {"s", "min", "h", "d", "wk", "mo", "a"}


def export(path, view: str, *extra: str, text: str | None = None,
           today: str = "2027-01-01") -> dict:
    args = ["plan", "-" if text is not None else str(path), "-f", "fhir", "--view", view,
            "--today", today, *extra]
    result = CliRunner().invoke(cli, args, input=text)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def resources(data: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def _walk(value, path: str = ""):
    """Every (path, element) of a JSON tree."""
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk(child, f"{path}[{index}]")


def check_r4_invariants(data: dict) -> None:
    """The R4 invariants a Bundle like ours can break, checked by hand from the specification:
    bdl-7 (fullUrl unique), urn:uuid fullUrls are UUIDs, every reference resolves, ele-1 (no empty
    element), qty-3 (a unit code needs its system), rat-1 (numerator and denominator together),
    tim-1 (a duration has its unit), per-1 (a period's start is not after its end), mad-1 (an
    administration's dosage has a dose or a rate), and the required elements of each resource."""
    urls = [e["fullUrl"] for e in data["entry"]]
    assert len(urls) == len(set(urls)), "bdl-7"
    for url in urls:
        uuid.UUID(url.removeprefix("urn:uuid:"))
    for path, element in _walk(data):
        assert element not in ({}, [], "", None), f"ele-1 at {path}"
        if isinstance(element, dict):
            if "reference" in element:
                assert element["reference"] in urls, f"unresolved {path}"
            if "code" in element and "value" in element and "unit" in element:
                assert element.get("system") == UCUM, f"qty-3 at {path}"
            if "numerator" in element or "denominator" in element:
                assert "numerator" in element and "denominator" in element, f"rat-1 at {path}"
            if "duration" in element:
                assert element.get("durationUnit") in UNITS_OF_TIME, f"tim-1 at {path}"
            if set(element) == {"start", "end"} and path.endswith(("Period", "boundsPeriod")):
                assert element["start"] <= element["end"], f"per-1 at {path}"
    for request in resources(data, "MedicationRequest"):
        assert request["status"] in REQUEST_STATUS and request["intent"] in REQUEST_INTENT
        assert {"medicationReference", "subject"} <= set(request)
    for given in resources(data, "MedicationAdministration"):
        assert given["status"] in ADMINISTRATION_STATUS
        assert {"medicationReference", "subject"} <= set(given)
        assert "effectivePeriod" in given or "effectiveDateTime" in given
        if "dosage" in given:
            assert "dose" in given["dosage"] or "rateQuantity" in given["dosage"], "mad-1"


def validate(data: dict) -> None:
    """fhirclient's 4.0.1 models (strict), fhir.resources 6.4 (the last R4 release, built on
    pydantic), and the invariants above."""
    from fhir.resources.bundle import Bundle as ResourcesBundle

    Bundle(data, strict=True)
    ResourcesBundle.parse_obj(json.loads(json.dumps(data)))
    assert data["type"] in BUNDLE_TYPES
    check_r4_invariants(data)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.stem)
def test_every_sample_validates_against_r4(path, view):
    """Both validators accept every sample's Bundle in every view; it is a proposal in draft."""
    for arm in (("--arm", "active"), ("--arm", "placebo")) if path in BLINDED_SAMPLES else ((),):
        data = export(path, view, *arm)
        validate(data)
        requests = resources(data, "MedicationRequest")
        assert requests and {r["intent"] for r in requests} == {"proposal"}
        assert {r["status"] for r in requests} == {"draft"}


@pytest.mark.parametrize("path", BLINDED_SAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("view", VIEWS)
def test_views_that_see_the_arm_differ_and_masked_ones_do_not(path, view):
    """Every view that sees the arm exports a placebo patient differently from an active one;
    every view the trial masks exports both arms byte for byte alike."""
    active = export(path, view, "--arm", "active")
    placebo = export(path, view, "--arm", "placebo")
    from ivig_schedule.input import catalog

    regimen = catalog.regimens()[path.stem]
    if regimen.masks(view):
        assert active == placebo
        text = json.dumps(active).lower()
        assert "sodium chloride" not in text and "placebo" not in text and "B05XA03" not in text
    else:
        assert active != placebo


def test_placebo_course_is_sodium_chloride_with_a_dose_in_ml():
    """ProDERM placebo, pharmacy view: blinded courses refer to sodium chloride 0.9 % (ATC
    B05XA03, 9 mg/mL); day 1 is 400 mL (the 40 g it is matched to is not a dose of it);
    open-label courses refer to Octagam 10 % (ATC J06BA02)."""
    data = export(SAMPLES / "proderm.toml", "pharmacy", "--arm", "placebo")
    by_url = {e["fullUrl"]: e["resource"] for e in data["entry"]}
    requests = resources(data, "MedicationRequest")
    first = by_url[requests[0]["medicationReference"]["reference"]]
    assert first["code"]["coding"][0]["code"] == "B05XA03"
    assert first["ingredient"][0]["strength"]["numerator"]["value"] == 9
    assert requests[0]["dosageInstruction"][0]["maxDosePerAdministration"] == {
        "value": 400.0, "unit": "mL", "system": UCUM, "code": "mL"}
    assert requests[0]["dispenseRequest"]["quantity"]["value"] == 1600.0
    open_label = by_url[requests[4]["medicationReference"]["reference"]]
    assert open_label["code"]["coding"][0]["code"] == "J06BA02"
    assert open_label["code"]["text"] == "Octagam 10%"


def test_one_dosage_per_pump_step_rebuilds_the_programme():
    """ProDERM course 1 day 1 (active, 80 kg): 48 mL/h 30 min (24 mL), 96 mL/h 30 min (48 mL),
    192 mL/h 103 min (328 mL) from 09:00 EST; 40 g a day; never above 192 mL/h."""
    data = export(SAMPLES / "proderm.toml", "pharmacy", "--arm", "active")
    request = resources(data, "MedicationRequest")[0]
    steps = request["dosageInstruction"][:3]
    rebuilt = [(d["doseAndRate"][0]["rateQuantity"]["value"], d["timing"]["repeat"]["duration"],
                d["doseAndRate"][0]["doseQuantity"]["value"],
                d["timing"]["repeat"]["boundsPeriod"]["start"][11:16],
                d["timing"]["repeat"]["boundsPeriod"]["end"][11:16]) for d in steps]
    assert rebuilt == [(48.0, 30, 24.0, "09:00", "09:30"), (96.0, 30, 48.0, "09:30", "10:00"),
                       (192.0, 103, 328.0, "10:00", "11:43")]
    assert [d["sequence"] for d in steps] == [1, 2, 3]
    assert all(d["maxDosePerAdministration"]["value"] == 40.0 for d in steps)
    assert all(d["maxDosePerPeriod"]["numerator"]["value"] == 192.0
               and d["maxDosePerPeriod"]["denominator"]["code"] == "h" for d in steps)
    assert steps[1]["text"].startswith("course 1 day 1 step 2 of 3: starts 30 min after")
    medication = resources(data, "Medication")[0]
    assert "amount" not in medication
    assert medication["ingredient"][0]["strength"]["numerator"]["value"] == 100.0


def test_patient_holds_only_the_pseudonymous_identifier():
    """The Patient resource has no name, birth date or anything but its identifier."""
    patient = export(SAMPLES / "proderm.toml", "pharmacy")["entry"][0]["resource"]
    assert patient == {"resourceType": "Patient", "identifier": [
        {"system": "urn:ivig-schedule:patient", "value": "PD-0042"}]}


HISTORY = (
    '[patient]\nid = "H-7"\nweight_kg = 80\ntimezone = "Europe/Amsterdam"\n[order]\n'
    'product = "octagam-10"\nregimen = "2g-q4w"\nstart = "2026-06-01"\ndays_per_course = 2\n'
    'courses = 4\n'
    '\n[[change]]\non = 2026-06-01\nkind = "given"\nreason = "r"\ncourse = 1\nday = 1\n'
    'lot = "L-1"\nexpiry = 2027-05-01\n'
    '\n[[change]]\non = 2026-06-02\nkind = "given"\nreason = "r"\ncourse = 1\nday = 2\n'
    'lot = "L-1"\nexpiry = 2027-05-01\n'
    '\n[[change]]\non = 2026-06-29\nkind = "given"\nreason = "r"\ncourse = 2\nday = 1\n'
    '\n[[change]]\non = 2026-06-29\nkind = "stop"\nreason = "r"\nfrom_course = 3\n')


def test_history_sets_the_request_status_and_given_days_are_administrations():
    """Course 1 fully given: completed; course 2 given on day 1 (started, its other days still
    to give): active; courses 3-4 never started: cancelled. Each given day is a
    completed MedicationAdministration, with its lot and expiry where the view sees them."""
    data = export(None, "pharmacy", text=HISTORY, today="2026-07-01")
    validate(data)
    assert [r["status"] for r in resources(data, "MedicationRequest")] == \
        ["completed", "active", "cancelled", "cancelled"]
    given = resources(data, "MedicationAdministration")
    assert len(given) == 3 and {g["status"] for g in given} == {"completed"}
    by_url = {e["fullUrl"]: e["resource"] for e in data["entry"]}
    lot = by_url[given[0]["medicationReference"]["reference"]]
    assert lot["batch"] == {"lotNumber": "L-1", "expirationDate": "2027-05-01"}
    assert given[0]["dosage"]["dose"]["value"] == 80.0


def test_a_skipped_course_is_cancelled_and_later_ones_stay_draft():
    """Skipping course 3 cancels it (never started); course 2 (a day given) is active and
    course 4 is still a draft proposal. (A
    course with a given day cannot be stopped or skipped: that change is refused.)"""
    text = HISTORY.replace('from_course = 3', 'from_course = 4').replace(
        'kind = "stop"', 'kind = "skip"').replace('from_course = 4', 'course = 3')
    data = export(None, "pharmacy", text=text, today="2026-07-01")
    assert [r["status"] for r in resources(data, "MedicationRequest")] == \
        ["completed", "active", "cancelled", "draft"]


def test_masked_nurse_sees_no_lot():
    """ProDERM's masked nurse gets administrations without a lot (lots are free text)."""
    text = HISTORY.replace('regimen = "2g-q4w"', 'regimen = "proderm"').replace(
        'product = "octagam-10"\n', '').replace('courses = 4\n', '') + '[trial]\narm = "active"\n'
    data = export(None, "nurse", text=text, today="2026-07-01")
    validate(data)
    assert "L-1" not in json.dumps(data)
    assert len(resources(data, "MedicationAdministration")) == 3


def test_units_are_ucum_and_numbers_are_numbers():
    """Every quantity names UCUM; values are JSON numbers (Decimals kept exact until written)."""
    data = export(SAMPLES / "2g-q4w.toml", "pharmacy")
    for _path, element in _walk(data):
        if isinstance(element, dict) and "unit" in element and "value" in element:
            assert element["system"] == UCUM
            assert isinstance(element["value"], int | float)
            assert re.fullmatch(r"g|mg|mL|mL/h|h|kg", element["code"])
            assert Decimal(str(element["value"])) >= 0


def test_two_prescriptions_of_one_patient_have_distinct_requests_and_one_patient():
    """Two prescriptions of patient F-1 (order ids RX-1 and RX-2): their MedicationRequest
    identifiers differ, while the Patient's fullUrl is the same in both and in every view."""
    from ivig_schedule import jobs
    from ivig_schedule.render.fhir import bundle
    from ivig_schedule.views.views import plan_view

    from ..helpers import to_toml

    def bundle_of(order_id: str, view: str) -> dict:
        text = to_toml({"patient": {"id": "F-1", "weight_kg": 80, "timezone": "UTC"},
                        "order": {"product": "octagam-10", "regimen": "2g-q4w",
                                  "start": "2027-01-11", "id": order_id}})
        return bundle(plan_view(jobs.run(jobs.Request(text=text)).checked_plan(), view))

    def identifiers(found: dict) -> set[str]:
        return {e["resource"]["identifier"][0]["value"] for e in found["entry"]
                if e["resource"]["resourceType"] == "MedicationRequest"}

    one, two = bundle_of("RX-1", "pharmacy"), bundle_of("RX-2", "pharmacy")
    assert identifiers(one) == {"F-1/RX-1/1", "F-1/RX-1/2", "F-1/RX-1/3"}
    assert not identifiers(one) & identifiers(two)
    patients = {b["entry"][0]["fullUrl"] for b in (one, two, bundle_of("RX-1", "nurse"))}
    assert len(patients) == 1
