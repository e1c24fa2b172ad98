"""The week's worklist across patients: the same plans as each patient's own files, totals that
add up, a masked nurse's list the same for both arms, nurse clashes naming both patients, and
bad prescriptions listed without stopping the others."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from decimal import Decimal

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli

from ..helpers import SAMPLES

ROSTER = SAMPLES / "roster" / "roster.csv"
TODAY = "2026-12-02"
WEEK = ("--from", "2027-03-01", "--to", "2027-03-07")


def due(*args: str):
    return CliRunner().invoke(cli, ["due", *args, "--today", TODAY])


@pytest.fixture(scope="module")
def roster_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("due") / "out"
    result = CliRunner().invoke(cli, ["roster", str(ROSTER), "-o", str(out), "--today", TODAY,
                                      "--quiet", "--jobs", "1"])
    assert result.exit_code == 1, result.output
    return out


def own_days(out, view: str, start: dt.date, end: dt.date):
    """Each patient's own JSON: its infusion days in the range, with their contents."""
    for folder in sorted((out / "patients").iterdir()):
        record = json.loads((folder / f"{view}.json").read_text())
        for course in record["courses"]:
            for day in course["days"]:
                if start <= dt.date.fromisoformat(day["date"]) <= end:
                    yield record["patient"]["id"], course, day


@pytest.mark.slow
def test_pharmacy_totals_equal_the_patients_own_json(roster_out):
    """The week's vials and grams by size, and saline bags and mL, equal the sum over those
    days in each patient's pharmacy JSON from the roster; every infusion day is listed once."""
    result = due(str(ROSTER), *WEEK, "-f", "json")
    assert result.exit_code == 1  # the roster's two bad rows
    data = json.loads(result.stdout)
    assert data["format"] == "ivig-schedule/due@1"
    start, end = dt.date(2027, 3, 1), dt.date(2027, 3, 7)
    vials: Counter[str] = Counter()
    grams: Counter[str] = Counter()
    bags, saline_ml, listed = 0, Decimal(0), set()
    for patient, course, day in own_days(roster_out, "pharmacy", start, end):
        listed.add((patient, course["number"], day["day"]))
        if day["status"] in ("cancelled", "skipped", "given"):
            continue
        contents = day["contents"]
        if contents["kind"] == "placebo":
            bags += 1
            saline_ml += Decimal(str(contents["ml"]))
            continue
        for vial in contents["vials"]:
            size = f"{Decimal(str(vial['grams'])).normalize():f}"
            vials[size] += vial["count"]
            grams[size] += vial["count"] * Decimal(str(vial["grams"]))
    got = {(e["patient_id"], e["course"], e["day"]) for e in data["entries"] if e["course"]}
    assert got == listed and len(listed) > 10
    products = [t for t in data["totals"] if t["kind"] == "product"]
    by_size = Counter()
    grams_by_size: Counter[str] = Counter()
    for total in products:
        size = total["item"].rsplit(" g vial", 1)[0].split()[-1]
        by_size[size] += total["vials"]
        grams_by_size[size] += Decimal(str(total["grams"]))
    assert by_size == vials
    assert grams_by_size == grams
    saline = [t for t in data["totals"] if t["kind"] == "saline"]
    assert sum(t["bags"] for t in saline) == bags
    assert sum(Decimal(str(t["volume_ml"])) for t in saline) == saline_ml
    day_sum = Counter()
    for day in data["days"]:
        for total in day["totals"]:
            day_sum[total["item"]] += total["vials"] + total["bags"]
    assert day_sum == Counter({t["item"]: t["vials"] + t["bags"] for t in data["totals"]})


def test_bad_rows_are_listed_and_the_others_planned():
    """The roster's two bad rows are errors on stderr naming the row and field (exit 1); every
    other patient is in the list."""
    result = due(str(ROSTER), *WEEK)
    assert result.exit_code == 1
    assert "roster.csv:20 R-19: patient.weight_kg" in result.stderr
    assert "roster.csv:21 R-20: order.regimen" in result.stderr
    assert "R-01" in result.stdout and "R-03" in result.stdout


def test_clashes_name_both_patients_the_nurse_and_the_times():
    """Jansen visits R-01 08:45-12:12 and R-02 from 09:45 on 2 March: a clash naming both, in
    due and in the roster's errors.csv."""
    result = due(str(ROSTER), *WEEK, "-f", "json")
    clashes = json.loads(result.stdout)["clashes"]
    jansen = [c for c in clashes if c["nurse"] == "Jansen"]
    assert any({c["first"], c["second"]} == {"R-01", "R-02"} for c in jansen)
    assert any("R-01 08:45-12:12 and R-02 09:45-" in c["message"] and "2027-03-02" in c["message"]
               for c in jansen)


@pytest.mark.slow
def test_roster_errors_csv_lists_the_clashes(roster_out):
    """The roster reports the same clashes in errors.csv as warnings (row 0, nurse.clash)."""
    rows = list(csv.DictReader((roster_out / "errors.csv").open(newline="")))
    clashes = [r for r in rows if r["field_or_rule"] == "nurse.clash"]
    assert clashes and all(r["row"] == "0" for r in clashes)
    assert any("R-01" in r["message"] and "R-02" in r["message"] for r in clashes)


def test_travel_time_and_nurse_filter(tmp_path):
    """Two patients of one nurse, 20 minutes apart: a clash with the default 30 min travel, none
    with travel_minutes = 15 on both; --nurse keeps only hers, and a nurse who visits no one
    is an error."""
    def rx(name: str, time: str, travel: str = "") -> None:
        (tmp_path / f"{name}.toml").write_text(
            f'[patient]\nid = "{name}"\nweight_kg = 70\ntimezone = "UTC"\n'
            f'[order]\nproduct = "octagam-10"\nregimen = "2g-q4w"\nstart = 2027-03-01\n'
            f'start_time = "{time}"\ndays_per_course = 4\ncourses = 1\n'
            f'[care]\nnurse = "Ann"\n{travel}')
    rx("T-1", "08:00")
    result = json.loads(due(str(tmp_path / "T-1.toml"), *WEEK, "-f", "json").stdout)
    leave = dt.datetime.fromisoformat(result["entries"][0]["leave"])
    second = (leave + dt.timedelta(minutes=35)).strftime("%H:%M")  # arrives 15 min before
    rx("T-2", second)
    close = json.loads(due(str(tmp_path), *WEEK, "-f", "json").stdout)
    assert [c["gap_minutes"] for c in close["clashes"]][:1] == [20]
    rx("T-1", "08:00", "travel_minutes = 15\n")
    rx("T-2", second, "travel_minutes = 15\n")
    relaxed = json.loads(due(str(tmp_path), *WEEK, "-f", "json").stdout)
    assert relaxed["clashes"] == []
    mine = json.loads(due(str(tmp_path), *WEEK, "--nurse", "Ann", "-f", "json").stdout)
    assert {e["nurse"] for e in mine["entries"]} == {"Ann"} and mine["entries"]
    assert due(str(tmp_path), *WEEK, "--nurse", "Bob", "-f", "json").exit_code == 1


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_masked_nurse_list_is_the_same_for_both_arms(tmp_path, fmt):
    """A ProDERM patient in the nurse view: the worklist reads "study medication" and is
    byte-identical whichever arm the patient is on."""
    text = (SAMPLES / "proderm.toml").read_text()
    outputs = []
    for arm in ("active", "placebo"):
        path = tmp_path / arm / "rx.toml"
        path.parent.mkdir()
        path.write_text(text.replace('arm = "placebo"', f'arm = "{arm}"')
                        .replace('arm = "active"', f'arm = "{arm}"'))
        result = due(str(path), "--view", "nurse", "--from", "2027-01-11", "--to", "2027-03-31",
                     "-f", fmt)
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout.replace(str(tmp_path / arm), "X"))
    assert outputs[0] == outputs[1]
    assert "study medication" in outputs[0]
    assert "sodium chloride" not in outputs[0] and "octagam" not in outputs[0].lower()


def test_csv_cells_cannot_run_and_dates_are_checked(tmp_path):
    """The CSV quotes formula-like text; --to before --from is a usage error (exit 2)."""
    result = due(str(ROSTER), *WEEK, "-f", "csv")
    cells = [c for row in csv.reader(io.StringIO(result.stdout)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    bad = due(str(ROSTER), "--from", "2027-03-07", "--to", "2027-03-01")
    assert bad.exit_code == 2


def test_a_nurse_name_that_matches_no_one_is_an_error_not_a_free_week():
    """--nurse jansen (for Jansen): exit 1 with one line suggesting Jansen and listing the
    nurses, instead of an empty list a nurse would read as a week without visits."""
    result = due(str(ROSTER), *WEEK, "--view", "nurse", "--nurse", "jansen")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        'error: --nurse: did you mean Jansen? allowed: Bakker, Jansen, de Vries (got "jansen")']
    assert result.stdout == ""


def test_totals_sort_vial_sizes_as_numbers():
    """Gamunex-C's 1, 2.5, 10 and 40 g vials are listed 1, 2.5, 10, 40 (as text 10 came before
    2.5), products before saline."""
    from ivig_schedule.views.worklist import _by_size

    sums = {("product", f"gamunex-c {size} g vial"): [Decimal(2), Decimal(0),
                                                      Decimal(size) * 2, Decimal(0)]
            for size in ("10", "2.5", "40", "1")}
    sums[("saline", "sodium chloride 0.9% bag")] = [Decimal(0), Decimal(1), Decimal(0),
                                                    Decimal(400)]
    order = [item for (_, item), _ in sorted(sums.items(), key=_by_size)]
    assert order == ["gamunex-c 1 g vial", "gamunex-c 2.5 g vial", "gamunex-c 10 g vial",
                     "gamunex-c 40 g vial", "sodium chloride 0.9% bag"]
