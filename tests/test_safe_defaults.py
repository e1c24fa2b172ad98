"""Safe by default: each example a new user hit, as a test (ladders, weights, times, calendars,
blinding by role, and what a pharmacist and a nurse expect to read)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.input import catalog

from .helpers import SAMPLES, checked, make

TODAY = ("--today", "2027-01-01")
README_EXAMPLE = ["--weight", "72.5", "--product", "octagam-10", "--regimen", "2g-q4w", "--start",
                  "2027-03-01", "--days", "4", "--timezone", "Europe/Amsterdam", *TODAY]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def plan_json(*args: str) -> dict:
    result = run("plan", *args, "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def all_steps(data: dict) -> list[dict]:
    return [s for c in data["courses"] for d in c["days"] for s in d.get("steps", [])]


def codes(data: dict) -> list[str]:
    return [w["code"] for w in data["warnings"]]


# --- 1. ladder by indication ----------------------------------------------------------------


def test_readme_example_uses_the_dermatomyositis_ladder():
    """2g-q4w names dermatomyositis: Octagam 10% stops at 4 mg/kg/min = 4 × 72.5 × 0.6 = 174 mL/h,
    not the ITP ladder's 522 mL/h."""
    data = plan_json("plan", *README_EXAMPLE)[0] if False else plan_json(*README_EXAMPLE)
    assert data["pump"]["ladder"] == "dermatomyositis"
    assert max(s["rate_ml_per_h"] for s in all_steps(data)) == 174.0
    assert data["pump"]["cap_ml_per_h"] == 174.0


def test_panzyga_loading_regimen_uses_the_cidp_maximum():
    """loading-2g-then-1g-q3w names CIDP: Panzyga's CIDP maximum is 12 mg/kg/min, not 14."""
    data = plan_json("--weight", "72.5", "--product", "panzyga", "--regimen",
                     "loading-2g-then-1g-q3w", "--start", "2027-03-01", "--timezone", "UTC", *TODAY)
    assert (data["pump"]["ladder"], data["pump"]["cap_mg_per_kg_min"]) == ("cidp", 12.0)


def test_no_indication_takes_the_slowest_ladder_and_warns_softly():
    """A regimen without an indication gets the product's slowest ladder and a soft warning;
    --strict refuses it until it is accepted with a reason."""
    regimen = {"id": "local", "source": "ward protocol", "phase": [
        {"name": "c", "dose_g_per_kg": 2, "days": [4, 4], "weeks": [0]}]}
    rx = make(order={"regimen": None, "indication": None}, regimen=regimen)
    plan = checked(rx)
    assert plan.ladder.indication == "dermatomyositis"  # Octagam 10%: 4 < 12 mg/kg/min
    assert "ladder.indication_fallback" in [w.code for w in plan.warnings]
    strict = jobs.assess(rx, strict=True)
    assert strict.exit_code == jobs.EXIT_REFUSED
    assert "--accept ladder.indication_fallback" in str(strict.error)
    accepted = jobs.assess(rx, strict=True,
                           accepted=(("ladder.indication_fallback", "ward protocol"),))
    assert accepted.exit_code == jobs.EXIT_OK
    assert [o.rule for o in accepted.plan.overrides] == ["ladder.indication_fallback"]


def test_explain_says_which_ladder_and_why():
    """explain names the ladder and the reason (regimen's indication, or the fallback)."""
    text = run("explain", str(SAMPLES / "lim-2021.toml"), *TODAY).output
    assert "Ladder (itp)" in text
    assert "privigen has no ladder for iim; its slowest ladder is used (itp" in text


@pytest.mark.parametrize("regimen", sorted(r.id for r in catalog.regimens().values()
                                           if r.indication))
@pytest.mark.parametrize("product", sorted(p.id for p in catalog.products().values()
                                           if not p.missing_fields()))
def test_no_step_above_the_products_maximum_for_the_indication(regimen, product):
    """For every regimen with an indication and every product (at 40-140 kg), no programmed rate
    exceeds that product's maximum for the indication, or its slowest ladder's."""

    entry = catalog.products()[product]
    indication = catalog.regimens()[regimen].indication
    ladder = entry.ladder_for(indication) or entry.slowest_ladder()
    maximum = ladder.maximum_mg_per_kg_min(entry.concentration_mg_per_ml)
    for weight in ("40", "71.3", "99.9", "140"):
        trial = {"arm": "active"} if catalog.regimens()[regimen].blinded else {}
        rx = make(patient={"weight_kg": weight}, order={
            "product": product, "regimen": regimen, "indication": None, "days_per_course": None},
            trial=trial or {"arm": None})
        try:
            plan = jobs.assess(rx).plan
        except Exception as e:  # pragma: no cover - a failure here is the finding
            raise AssertionError((regimen, product, weight)) from e
        if plan is None:
            continue
        for course in plan.courses:
            for day in course.days:
                assert all(s.programmed_mg_per_kg_min <= maximum for s in day.steps)


# --- 2. dosing weight -----------------------------------------------------------------------


def test_auto_weight_that_falls_back_to_actual_warns():
    """130 kg, 140 cm, female (BMI 66): auto uses the actual weight (Devine does not apply below
    152.4 cm) and says so softly; explain gives the rule."""
    args = ["--weight", "130", "--height", "140", "--sex", "female", "--dosing-weight", "auto",
            "--product", "octagam-10", "--regimen", "2g-q4w", "--start", "2027-03-01",
            "--timezone", "UTC", *TODAY]
    data = plan_json(*args)
    assert data["patient"]["dosing_weight_basis"] == "actual"
    warning = next(w for w in data["warnings"] if w["code"] == "dosing_weight.auto_actual")
    assert "BMI 66.327 is above 30" in warning["message"]  # 130 / 1.4² = 66.33
    assert "below 152.4 cm" in warning["message"]
    assert "why: auto: adjusted weight applies when BMI > 30 and height ≥ 152.4 cm" in run(
        "explain", *args).output


# --- 3. absolute rate cap and 3a. days within soft limits -------------------------------------

HEAVY = ["--weight", "160", "--product", "octagam-10", "--regimen", "2g-q4w", "--indication",
         "itp", "--start", "2027-03-01", "--timezone", "UTC", "--days", "2", "--accept",
         "weight.range", "--reason", "weighed twice", "--patient-id", "HV-1", *TODAY]


def test_pump_ceiling_refusal_says_how_to_cap_the_rate():
    """160 kg on the ITP ladder reaches 12 × 160 × 0.6 = 1152 mL/h: refused, naming the way out."""
    result = run("plan", *HEAVY)
    assert result.exit_code == 3
    assert "rate.pump_ceiling" in result.stderr
    assert "max_rate_ml_h (or --max-rate-ml-h)" in result.stderr


def test_absolute_cap_is_applied_and_shown_everywhere():
    """--max-rate-ml-h 500: the ladder stops at exactly 500 mL/h, shown in JSON, CSV, table, .ics
    and explain."""
    data = plan_json(*HEAVY, "--max-rate-ml-h", "500")
    assert sorted({s["rate_ml_per_h"] for s in all_steps(data)}) == [96.0, 192.0, 384.0, 500.0]
    assert data["pump"] == {"ladder": "itp", "cap_ml_per_h": 500.0,
                            "cap_mg_per_kg_min": 5.208333333333333, "cap_from": "absolute",
                            "max_rate_ml_h": 500.0}
    assert run("plan", *HEAVY, "--max-rate-ml-h", "500", "-f", "csv").stdout.splitlines()[1] \
        .endswith(",500.0,planned")
    assert "no rate above 500.0 mL/h (the order's max_rate_ml_h)" in run(
        "plan", *HEAVY, "--max-rate-ml-h", "500").stdout
    assert "Never above 500.0 mL/h" in run("plan", *HEAVY, "--max-rate-ml-h", "500", "-f",
                                           "ics").stdout.replace("\r\n ", "")
    explained = json.loads(run("explain", *HEAVY, "--max-rate-ml-h", "500", "-f", "json").stdout)
    assert explained["ladder"]["cap_from"] == "absolute"


def test_rule_h_avoids_the_soft_day_limit():
    """93.7 kg: 2 days would be 94 g/93.7 kg = 1.003 g/kg (soft breach); 3 days is chosen."""
    data = plan_json("--weight", "93.7", "--product", "octagam-10", "--regimen", "2g-q4w",
                     "--start", "2027-03-01", "--timezone", "UTC", *TODAY)
    assert [len(c["days"]) for c in data["courses"]] == [3, 3, 3]
    assert "dose.day_max" not in codes(data)


def test_strict_soft_breach_hint_names_accept():
    """With 2 days forced, --strict refuses dose.day_max and names --accept, not --limits."""
    result = run("plan", "--weight", "93.7", "--product", "octagam-10", "--regimen", "2g-q4w",
                 "--start", "2027-03-01", "--timezone", "UTC", "--days", "2", "--strict", *TODAY)
    assert result.exit_code == 3
    assert "--accept dose.day_max --reason TEXT" in result.stderr
    assert "--limits" not in result.stderr


def test_octagam_5_at_risk_rate_stays_below_3_3():
    """"less than 3.3 mg/kg/min": at 50 kg that is 3.3 × 50 × 60 ÷ 50 = 198.0 mL/h exactly, so
    197.9 mL/h is programmed, never 198.0."""
    plan = checked(make(patient={"weight_kg": 50, "risk_factors": ["thrombosis"]},
                        order={"product": "octagam-5", "indication": "pi"}))
    rates = {s.rate_ml_per_h for c in plan.courses for d in c.days for s in d.steps}
    assert max(rates) == D("197.9")
    assert all(s.programmed_mg_per_kg_min < D("3.3")
               for c in plan.courses for d in c.days for s in d.steps)


# --- 4. times -------------------------------------------------------------------------------

FOLD = ["--weight", "70", "--product", "octagam-10", "--regimen", "2g-q4w", "--start",
        "2027-04-03", "--start-time", "02:15", "--days", "2", "--timezone", "Australia/Sydney",
        "--patient-id", "FO-1", *TODAY]


def test_fold_time_is_the_first_occurrence_everywhere():
    """02:15 on 2027-04-04 in Sydney happens twice: JSON, CSV and .ics all mean the first
    (AEDT, +11:00), as icalendar and vobject read it, with a soft warning naming both."""
    import icalendar

    data = plan_json(*FOLD)
    day = data["courses"][0]["days"][1]
    assert day["start"] == "2027-04-04T02:15:00+11:00"
    assert day["arrive"] == "2027-04-04T02:00:00+11:00"
    warning = next(w["message"] for w in data["warnings"] if w["code"] == "time.dst_fold")
    assert "02:15 on 2027-04-04 happens twice" in warning
    assert ",2027-04-04T02:15:00+11:00," in run("plan", *FOLD, "-f", "csv").stdout
    ics = run("plan", *FOLD, "-f", "ics").stdout_bytes
    arrive = dt.datetime(2027, 4, 3, 15, 0, tzinfo=dt.UTC)  # 02:00 +11:00
    events = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert events[1].decoded("DTSTART").astimezone(dt.UTC) == arrive
    from .test_ics import independent_events

    assert independent_events(ics)[1].dtstart.value.astimezone(dt.UTC) == arrive


def test_gap_time_moves_forward_and_warns():
    """02:30 does not exist in Amsterdam on 2027-03-28: the infusion starts at 03:30 (+02:00)."""
    data = plan_json("--weight", "70", "--product", "octagam-10", "--regimen", "2g-q4w",
                     "--start", "2027-03-27", "--start-time", "02:30", "--days", "2",
                     "--timezone", "Europe/Amsterdam", *TODAY)
    assert data["courses"][0]["days"][1]["start"] == "2027-03-28T03:30:00+02:00"
    assert any("02:30 does not exist on 2027-03-28" in w["message"] and "03:30" in w["message"]
               for w in data["warnings"])


def test_abbreviation_zone_and_assumed_zone_are_named():
    """EST gets a warning to use a region zone; no zone at all says which zone was assumed."""
    est = plan_json("--weight", "70", "--product", "octagam-10", "--regimen", "2g-q4w",
                    "--start", "2027-03-01", "--timezone", "EST", *TODAY)
    assert "time.zone_fixed_offset" in codes(est)
    assumed = jobs.run(jobs.Request(text=None, overrides={
        "weight": "70", "product": "octagam-10", "regimen": "2g-q4w", "start": "2027-03-01"},
        default_timezone="Europe/Oslo"))
    assert any(w.code == "time.zone_assumed" and "Europe/Oslo" in w.message
               for w in assumed.plan.warnings)


# --- 5. calendar updates that cannot leak ---------------------------------------------------


def ics(sample: str, view: str, *extra: str) -> bytes:
    result = run("plan", str(SAMPLES / f"{sample}.toml"), "-f", "ics", "--view", view, *TODAY,
                 *extra)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def previous_run(tmp_path, old: bytes, sample: str, view: str, *extra: str):
    path = tmp_path / "sent.ics"
    path.write_bytes(old)
    return run("plan", str(SAMPLES / f"{sample}.toml"), "-f", "ics", "--view", view,
               "--previous", str(path), *TODAY, *extra)


def test_pharmacy_file_as_previous_for_the_nurse_is_refused(tmp_path):
    """A pharmacy .ics given to a nurse-view run is refused (exit 1): it cannot leak the arm."""
    result = previous_run(tmp_path, ics("proderm", "pharmacy"), "proderm", "nurse")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --previous: was written for another view")


def test_another_patients_file_is_refused(tmp_path):
    """A calendar written for another patient is refused."""
    other = ics("proderm", "nurse", "--patient-id", "PD-0099")
    result = previous_run(tmp_path, other, "proderm", "nurse")
    assert result.exit_code == 1
    assert "was written for another patient" in result.stderr


def test_foreign_events_are_dropped_and_bad_sequence_refused(tmp_path):
    """A hand-added VEVENT is not carried through; SEQUENCE:abc makes the file unusable."""
    old = ics("2g-q4w", "nurse")
    foreign = (b"BEGIN:VEVENT\r\nUID:party@example.org\r\nDTSTAMP:20270101T000000Z\r\n"
               b"SUMMARY:Party\r\nURL:https://example.org\r\nDTSTART:20270301T100000Z\r\n"
               b"END:VEVENT\r\n")
    tampered = old.replace(b"END:VCALENDAR", foreign + b"END:VCALENDAR")
    result = previous_run(tmp_path, tampered, "2g-q4w", "nurse")
    assert result.exit_code == 0, result.output
    assert b"party@example.org" not in result.stdout_bytes and b"URL:" not in result.stdout_bytes
    bad = old.replace(b"SEQUENCE:0", b"SEQUENCE:abc", 1)
    refused = previous_run(tmp_path, bad, "2g-q4w", "nurse")
    assert refused.exit_code == 1
    assert "SEQUENCE" in refused.stderr


def test_cancelled_events_carry_nothing_from_the_old_file(tmp_path):
    """With 3 days instead of 4, day-4 events are cancelled: no description, no alarm, later
    DTSTAMP, SEQUENCE 1."""
    old = ics("proderm", "nurse", "--stamp", "2027-01-05T00:00:00Z")
    result = previous_run(tmp_path, old, "proderm", "nurse", "--days", "3", "--stamp",
                          "2027-01-06T00:00:00Z")
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode().replace("\r\n ", "")
    cancelled = [b for b in text.split("BEGIN:VEVENT")[1:] if "STATUS:CANCELLED" in b]
    assert len(cancelled) == 10  # day 4 of each of the ten courses
    for block in cancelled:
        assert "DESCRIPTION" not in block and "VALARM" not in block
        assert "SEQUENCE:1\r\n" in block and "DTSTAMP:20270106T000000Z" in block


def test_previous_needs_the_ics_format():
    """--previous with another format is a usage error (exit 2)."""
    result = run("plan", str(SAMPLES / "proderm.toml"), "-f", "json", "--previous",
                 str(SAMPLES / "proderm.nurse.ics"))
    assert result.exit_code == 2


# --- 6. blinding by role --------------------------------------------------------------------


def test_time_is_muscle_unblinds_the_nurse_and_might_does_not():
    """TIME IS MUSCLE's nurse prepares the medication (unblinded); MIGHT's nurse is masked."""
    tim = json.loads(run("plan", str(SAMPLES / "time-is-muscle.toml"), "--view", "nurse", "-f",
                         "json", *TODAY).stdout)
    might = json.loads(run("plan", str(SAMPLES / "might.toml"), "--view", "nurse", "-f", "json",
                           *TODAY).stdout)
    assert tim["arm"] == "active" and "contents" in tim["courses"][0]["days"][0]
    assert "arm" not in might and "contents" not in might["courses"][0]["days"][0]


@pytest.mark.parametrize("fmt", ["json", "csv", "table", "ics"])
def test_patient_view_has_appointments_only(fmt):
    """The patient's own calendar: times and places; no pump programme, product, doses or arm."""
    out = run("plan", str(SAMPLES / "proderm.toml"), "--view", "patient", "-f", fmt, *TODAY).stdout
    for secret in ("mL/h", "Octagam", "sodium chloride", "g/kg", "VTBI", '"arm"', "Arm "):
        assert secret not in out, secret
    assert "2027-01-11" in out or "20270111" in out


def test_assessor_view_has_dates_and_visits_only():
    """The assessor sees infusion dates and visits: no times, places or pump programme."""
    data = json.loads(run("plan", str(SAMPLES / "might.toml"), "--view", "assessor", "-f", "json",
                          *TODAY).stdout)
    assert set(data["courses"][0]["days"][0]) == {"day", "date", "status"}
    assert [v["week"] for v in data["visits"]] == [12, 24]
    assert set(data["patient"]) == {"id", "timezone"}


def test_masked_nurse_sees_only_pump_and_time_warnings():
    """A masked nurse sees no g/kg figures in warnings (nothing she can act on)."""
    result = run("plan", str(SAMPLES / "proderm.toml"), "--view", "nurse", "-f", "json",
                 "--weight", "155", *TODAY)
    data = json.loads(result.stdout)
    assert "weight.range" not in codes(data)
    assert all(c.startswith(("rate.", "ladder.", "data.default_ladder", "infusion.", "time.",
                             "schedule.")) for c in codes(data))


# --- 7. what a pharmacist and a nurse expect ------------------------------------------------


@pytest.mark.parametrize("args", [
    ["plan", str(SAMPLES / "proderm.toml"), *TODAY],
    ["plan", str(SAMPLES / "proderm.toml"), "--view", "nurse", *TODAY],
    ["plan", str(SAMPLES / "2g-q4w.toml"), "--view", "patient", *TODAY],
    ["products"], ["regimens"], ["explain", str(SAMPLES / "2g-q4w.toml"), *TODAY],
])
def test_tables_fit_80_columns(args):
    """At COLUMNS=80 no line of plan, products, regimens or explain is wider than 80."""
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_ids_match_case_insensitively_with_did_you_mean():
    """OCTAGAM-10 plans; octagam-11 suggests octagam-10."""
    assert run("plan", *README_EXAMPLE[:2], "--product", "OCTAGAM-10", "--regimen", "2G-Q4W",
               "--start", "2027-03-01", "--timezone", "UTC", *TODAY).exit_code == 0
    wrong = run("plan", *README_EXAMPLE[:2], "--product", "octagam-11", "--regimen", "2g-q4w",
                "--start", "2027-03-01", *TODAY)
    assert "did you mean octagam-10?" in wrong.stderr


def test_dispensing_line_per_course():
    """ProDERM placebo course 1: 4 bags of 400 mL matched to 160 g; the open-label course 5:
    4 × (30 g + 10 g) = 4 x 30 g + 4 x 10 g, 1600 mL (by hand)."""
    data = plan_json(str(SAMPLES / "proderm.toml"), *TODAY)
    assert data["courses"][0]["dispense"]["text"] == (
        "4 bags of sodium chloride 0.9%: 400.0, 400.0, 400.0, 400.0 mL (matches 160.0 g)")
    assert data["courses"][4]["dispense"]["text"] == "4 x 30.0 g + 4 x 10.0 g = 160.0 g, 1600.0 mL"
    csv_rows = run("plan", str(SAMPLES / "proderm.toml"), "-f", "csv", *TODAY).stdout.splitlines()
    assert "4 bags of sodium chloride 0.9%" in csv_rows[1] and "bags" not in csv_rows[2]
    assert "Dispense" in run("plan", str(SAMPLES / "proderm.toml"), *TODAY).stdout or \
        "dispense" in run("plan", str(SAMPLES / "proderm.toml"), *TODAY).stdout


def test_placebo_reads_the_same_in_every_format():
    """"matches 40.0 g" in JSON, CSV and the table alike."""
    sample = str(SAMPLES / "proderm.toml")
    assert plan_json(sample, *TODAY)["courses"][0]["days"][0]["contents"]["matches_g"] == 40.0
    for fmt in ("csv", "table"):
        out = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["plan", sample, "-f", fmt, *TODAY])
        assert "matches 40.0 g" in out.stdout


@pytest.mark.parametrize(("args", "expected", "absent"), [
    (["--start", "2026-03-01"], "start 2026-03-01 is 306 days before today: the start date is in "
     "the past", "below the soft limit"),
    (["--weight", "1.5"], "check the weight and its unit", "was this pounds"),
])
def test_messages_read_as_a_pharmacist_expects(args, expected, absent):
    """Past start dates and tiny weights are said in plain words."""
    result = run("plan", str(SAMPLES / "2g-q4w.toml"), *args, *TODAY)
    assert expected in result.output
    assert absent not in result.output


def test_pounds_show_as_hundredths_of_a_kilogram():
    """176 lb is shown as 79.83 kg (176 × 0.45359237 = 79.8322571), not 79.83225712."""
    out = run("plan", str(SAMPLES / "proderm.toml"), "--weight", "176 lb", *TODAY).stdout
    assert "79.83 kg (entered 176 lb)" in out
    assert "79.832" not in out


def test_height_in_metres_written_as_centimetres_is_caught():
    """height_cm = 1.75 suggests writing "1.75 m"."""
    result = run("plan", str(SAMPLES / "2g-q4w.toml"), "--height", "1.75", *TODAY)
    assert result.exit_code == 1
    assert 'for metres write "1.75 m"' in result.stderr


def test_plan_without_arguments_is_a_usage_hint():
    """plan with neither a file nor flags says what to give (exit 2)."""
    result = run("plan")
    assert result.exit_code == 2
    assert "give a prescription FILE" in result.output


# --- 8. honest sources ----------------------------------------------------------------------


def test_project_defaults_say_so():
    """The per-day limit, the 5 % rounding warning and the 999 mL/h ceiling are project
    defaults, and their sources say so; ProDERM is unverified."""
    from ivig_schedule.input.limits_file import built_in_limits

    rules = {r.id: r for r in built_in_limits().rules}
    for rule in ("dose.day_max", "dose.rounding", "rate.pump_ceiling"):
        assert "project default" in rules[rule].source.lower()
    assert not catalog.regimens()["proderm"].verified
    lim = catalog.regimens()["lim-2021"].rules[0]
    assert (lim.when, lim.at_week, lim.switch_to, lim.verified) == (
        "tis < 40", 4, "insufficient-response", False)
