"""The pharmacy roster: every patient at once, dispensing totals, nurse calendars, blinding,
atomic output, and the same tree whatever the number of workers."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from decimal import Decimal as D
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli

from ..calendars import independent_events
from ..helpers import SAMPLES, run_roster, tree

ROSTER = SAMPLES / "roster" / "roster.csv"
TODAY = "2026-12-02"


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("roster") / "out"
    result = run_roster(ROSTER, out, "--jobs", "1")
    assert result.exit_code == 1, result.output  # two bad rows
    return out


def test_layout_and_bad_rows(planned):
    """18 patients planned with every view; the two bad rows are in errors.csv with their field."""
    patients = sorted(p.name for p in (planned / "patients").iterdir())
    assert len(patients) == 18
    assert sorted(p.name for p in (planned / "patients" / "R-01").iterdir()) == sorted(
        f"{v}.{f}" for v in ("pharmacy", "nurse", "patient", "assessor")
        for f in ("json", "csv", "ics"))
    errors = list(csv.DictReader((planned / "errors.csv").open()))
    assert [(e["row"], e["patient_id"], e["field_or_rule"]) for e in errors
            if e["field_or_rule"] != "nurse.clash"] == [
        ("20", "R-19", "patient.weight_kg"), ("21", "R-20", "order.regimen")]
    assert sorted(p.name for p in (planned / "nurses").iterdir()) == [
        "Bakker.ics", "Jansen.ics", "de Vries.ics"]


def test_dispensing_totals_equal_the_patients_own_plans(planned):
    """Weekly totals by item (vials and grams per vial size, bags and mL of saline) equal the
    sum over each patient's own pharmacy JSON, with no product grams on a saline row."""
    expected: dict[tuple[str, str], list[Decimal]] = {}
    for folder in (planned / "patients").iterdir():
        record = json.loads((folder / "pharmacy.json").read_text())
        product = record["product"]["id"]
        for course in record["courses"]:
            for day in course["days"]:
                if day["status"] != "planned":
                    continue
                iso = dt.date.fromisoformat(day["date"]).isocalendar()
                week = f"{iso.year}-W{iso.week:02d}"
                if day["contents"]["kind"] == "placebo":
                    total = expected.setdefault((week, "sodium chloride 0.9% bag"), [D(0)] * 4)
                    total[1] += 1
                    total[3] += D(str(day["contents"]["ml"]))
                for vial in day["contents"].get("vials", []):
                    grams = D(str(vial["grams"])).normalize()
                    total = expected.setdefault((week, f"{product} {grams:f} g vial"), [D(0)] * 4)
                    total[0] += vial["count"]
                    total[2] += D(str(vial["grams"])) * vial["count"]
                    total[3] += D(str(vial["ml"])) * vial["count"]
    weekly = json.loads((planned / "dispensing.json").read_text())["weekly"]
    found = {(w["week"], w["item"]): [D(str(w[k] or 0)) for k in ("vials", "bags", "grams",
                                                                   "volume_ml")]
             for w in weekly}
    assert found == expected
    assert all((w["kind"] == "saline") == (w["grams"] is None) for w in weekly)
    lines = list(csv.DictReader((planned / "dispensing.csv").open()))
    assert all(line["grams"] == "" and line["vials"] == "" and line["bags"] == "1"
               for line in lines if line["kind"] == "saline")
    assert all(line["nurse"] and line["start"] for line in lines)
    weekly_csv = list(csv.DictReader((planned / "dispensing-weekly.csv").open()))
    assert [(r["week"], r["item"]) for r in weekly_csv] == [(w["week"], w["item"]) for w in weekly]
    placebo_rows = [line for line in lines if line["patient_id"] == "R-06"]
    assert placebo_rows and {line["kind"] for line in placebo_rows if line["course"] in "1234"} \
        == {"saline"}


def test_nurse_calendars_parse_with_the_patients_instants(planned):
    """Each nurse calendar reads in vobject and icalendar with the arrival instants of her
    patients' own nurse JSON; patient ids never appear in UIDs."""
    import icalendar

    for calendar in (planned / "nurses").iterdir():
        nurse = calendar.stem
        data = calendar.read_bytes()
        wanted = []
        for folder in (planned / "patients").iterdir():
            record = json.loads((folder / "nurse.json").read_text())
            rows = list(csv.DictReader(ROSTER.open()))
            row = next(r for r in rows if r["id"] == folder.name)
            if row["nurse"] == nurse:
                wanted += [dt.datetime.fromisoformat(d["arrive"]).astimezone(dt.UTC)
                           for c in record["courses"] for d in c["days"]
                           if d["status"] != "cancelled"]
        parsed = icalendar.Calendar.from_ical(data)
        starts = sorted(e.decoded("DTSTART").astimezone(dt.UTC) for e in parsed.walk("VEVENT")
                        if isinstance(e.decoded("DTSTART"), dt.datetime)
                        and str(e.get("STATUS")) != "CANCELLED")
        assert starts == sorted(wanted), nurse
        independent = sorted(e.dtstart.value.astimezone(dt.UTC) for e in independent_events(data)
                             if isinstance(e.dtstart.value, dt.datetime)
                             and e.status.value != "CANCELLED")
        assert independent == sorted(wanted), nurse
        assert not re.search(rb"UID:[^\r]*R-\d", data)


def swapped(tmp_path: Path) -> Path:
    """The sample roster with every arm swapped (CSV cells and prescription files)."""
    folder = tmp_path / "swapped"
    shutil.copytree(ROSTER.parent, folder)
    flip = {"active": "placebo", "placebo": "active"}
    text = (folder / "roster.csv").read_text()
    (folder / "roster.csv").write_text(re.sub(r",(active|placebo),", lambda m: f",{flip[m[1]]},",
                                              text))
    for toml in folder.glob("*.toml"):
        toml.write_text(re.sub(r'arm = "(active|placebo)"',
                               lambda m: f'arm = "{flip[m[1]]}"', toml.read_text()))
    return folder / "roster.csv"


def test_masked_nurse_calendars_identical_when_every_arm_is_swapped(planned, tmp_path):
    """Nurses whose patients' regimens all mask the nurse get byte-identical calendars after
    every arm is swapped; Jansen, who has unblinded TIME IS MUSCLE patients, does not."""
    out = tmp_path / "out"
    assert run_roster(swapped(tmp_path), out, "--jobs", "1").exit_code == 1
    for nurse in ("Bakker", "de Vries"):
        assert (out / "nurses" / f"{nurse}.ics").read_bytes() == (
            planned / "nurses" / f"{nurse}.ics").read_bytes(), nurse
    assert (out / "nurses" / "Jansen.ics").read_bytes() != (
        planned / "nurses" / "Jansen.ics").read_bytes()


@pytest.mark.slow
def test_one_or_two_workers_give_the_same_tree(planned, tmp_path):
    """--jobs 2 writes a tree byte-identical to --jobs 1."""
    out = tmp_path / "two"
    assert run_roster(ROSTER, out, "--jobs", "2").exit_code == 1
    assert tree(out) == tree(planned)


def test_existing_outdir_needs_force_and_is_replaced_whole(planned, tmp_path):
    """Without --force an existing OUTDIR is refused; with it, replaced (no stray old files)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old run")
    refused = run_roster(ROSTER, out)
    assert refused.exit_code == 1
    assert "add --force" in refused.stderr
    assert run_roster(ROSTER, out, "--force", "--jobs", "1").exit_code == 1
    assert tree(out) == tree(planned)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.slow
def test_killed_run_leaves_the_previous_outdir_intact(planned, tmp_path):
    """A run killed halfway leaves the previous OUTDIR as it was; the next run cleans up."""
    out = tmp_path / "out"
    shutil.copytree(planned, out)
    before = tree(out)
    slow = (
        "import time, sys\n"
        "from ivig_schedule.jobs import rows\n"
        "plan = rows.plan_row\n"
        "def slow(row, limits, today):\n"
        "    time.sleep(0.4)\n"
        "    return plan(row, limits, today)\n"
        "rows.plan_row = slow\n"
        "from ivig_schedule.cli.app import main\n"
        "sys.argv = ['ivig-schedule', 'roster', sys.argv[1], '-o', sys.argv[2], '--force',\n"
        f"            '--jobs', '1', '--quiet', '--today', '{TODAY}']\n"
        "main()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", slow, str(ROSTER), str(out)])
    deadline = time.monotonic() + 20
    temp = None
    while time.monotonic() < deadline and temp is None:
        temp = next((p for p in tmp_path.iterdir() if p.name.endswith(".ivig-tmp")), None)
        time.sleep(0.05)
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert temp is not None and temp.exists(), "the run never started writing"
    assert tree(out) == before
    assert run_roster(ROSTER, out, "--force", "--jobs", "1").exit_code == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_exit_codes_planned_and_refused(tmp_path):
    """All rows planned: exit 0; only a safety refusal: exit 3 (its outputs still written)."""
    good = tmp_path / "good.csv"
    good.write_text("id,weight,timezone,product,regimen,start,days_per_course\n"
                    "A-1,70,UTC,octagam-10,2g-q4w,2027-03-01,4\n")
    assert run_roster(good, tmp_path / "o1").exit_code == 0
    refused = tmp_path / "refused.csv"
    refused.write_text("id,weight,timezone,product,regimen,start,days_per_course,arm\n"
                       "A-1,70,UTC,octagam-10,2g-q4w,2027-03-01,4,\n"
                       "A-2,130,UTC,octagam-10,might,2027-03-01,2,active\n")
    result = run_roster(refused, tmp_path / "o2")
    assert result.exit_code == 3
    assert (tmp_path / "o2" / "patients" / "A-1" / "pharmacy.json").exists()
    assert "eligibility.max_weight" in (tmp_path / "o2" / "errors.csv").read_text()


def test_duplicate_ids_unsafe_nurse_names_and_bad_headers(tmp_path):
    """A repeated id, a nurse name that is not a safe file name, or an unknown column: input
    errors (the bad header stops the whole roster)."""
    roster = tmp_path / "r.csv"
    roster.write_text("id,weight,timezone,product,regimen,start,days_per_course,nurse\n"
                      "A-1,70,UTC,octagam-10,2g-q4w,2027-03-01,4,Ann\n"
                      "A-1,71,UTC,octagam-10,2g-q4w,2027-03-01,4,Ann\n"
                      "A-3,72,UTC,octagam-10,2g-q4w,2027-03-01,4,../etc\n")
    result = run_roster(roster, tmp_path / "o")
    assert result.exit_code == 1
    errors = (tmp_path / "o" / "errors.csv").read_text()
    assert "duplicate id, first in row 2" in errors
    assert "nurse: must be a name" in errors
    assert sorted(p.name for p in (tmp_path / "o" / "nurses").iterdir()) == ["Ann.ics"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,wieght\nA-1,70\n")
    result = run_roster(bad, tmp_path / "o3")
    assert result.exit_code == 1
    assert "unknown: wieght" in result.stderr
    assert not (tmp_path / "o3").exists()


def test_a_weight_cell_never_rewrites_a_recorded_weight(tmp_path):
    """The prescription weighs 50 kg and records 100 kg from course 2. A cell of 60 kg is that
    row's error naming both weights (no plan); a cell of 100 kg (the latest) plans, and course 1
    stays made for 50 kg (2 × 50 = 100 g) and courses 2-3 for 100 kg (200 g); a file without
    a weight takes the cell's."""
    (tmp_path / "rx.toml").write_text(
        '[patient]\nid = "P-1"\nweight_kg = 50\ntimezone = "UTC"\n'
        '[order]\nproduct = "octagam-10"\nregimen = "2g-q4w"\nstart = 2027-03-01\n'
        'days_per_course = 4\n'
        '[[change]]\non = 2026-11-20\nkind = "weight"\nweight_kg = 100\nfrom_course = 2\n'
        'reason = "reweighed"\n')
    (tmp_path / "bare.toml").write_text(
        '[patient]\nid = "P-3"\ntimezone = "UTC"\n'
        '[order]\nproduct = "octagam-10"\nregimen = "2g-q4w"\nstart = 2027-03-01\n'
        'days_per_course = 4\n')
    roster = tmp_path / "r.csv"
    roster.write_text("id,weight,prescription\nP-1,60,rx.toml\n,100,rx.toml\n"
                      ",70,bare.toml\n,80 stone,rx.toml\n")
    result = run_roster(roster, tmp_path / "o")
    assert result.exit_code == 1
    errors = [e for e in csv.DictReader((tmp_path / "o" / "errors.csv").open())
              if e["field_or_rule"] != "nurse.clash"]
    assert [(e["row"], e["field_or_rule"]) for e in errors] == [("2", "weight"), ("5", "weight")]
    assert "60" in errors[0]["message"] and "latest recorded weight 100" in errors[0]["message"]
    assert "change[0], from course 2" in errors[0]["message"]
    record = json.loads((tmp_path / "o" / "patients" / "P-1" / "pharmacy.json").read_text())
    assert [c["weight_kg"] for c in record["courses"]] == [50.0, 100.0, 100.0]
    assert [c["rounded_g"] for c in record["courses"]] == [100.0, 200.0, 200.0]
    bare = json.loads((tmp_path / "o" / "patients" / "P-3" / "pharmacy.json").read_text())
    assert [c["rounded_g"] for c in bare["courses"]] == [140.0] * 3  # 2 g/kg x 70 kg


def test_folder_of_prescriptions(tmp_path):
    """A folder of TOML files is a roster too; the nurse comes from [care]."""
    folder = tmp_path / "rx"
    folder.mkdir()
    for name in ("rx-time-is-muscle-active.toml", "rx-proderm-delayed.toml"):
        shutil.copy(ROSTER.parent / name, folder / name)
    result = run_roster(folder, tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "o" / "nurses").iterdir()) == [
        "Jansen.ics", "unassigned.ics"]


def test_summary_is_printed(tmp_path):
    """Without --quiet the summary table names the counts and warnings by rule."""
    result = CliRunner().invoke(cli, ["roster", str(ROSTER), "-o", str(tmp_path / "o"),
                                      "--today", TODAY, "--jobs", "1"])
    assert "planned" in result.stdout and "Warnings by rule" in result.stdout
    assert os.path.exists(tmp_path / "o" / "errors.csv")
