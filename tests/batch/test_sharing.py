"""A roster shared by several people: one run at a time into an OUTDIR, a swap that a kill at
any step cannot lose, rows that a stray CR or a foreign path spoil alone, and CSV cells a
spreadsheet cannot run."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ivig_schedule.render.csvcells import FORMULA_STARTS

from ..helpers import run_roster, tree

TODAY = "2026-12-02"
HEADER = "id,weight,timezone,product,regimen,start,days_per_course,nurse"
SMALL = (f"{HEADER}\n"
         "S-1,70,UTC,octagam-10,2g-q4w,2027-03-01,4,Ann\n"
         "S-2,64,UTC,privigen,2g-q4w,2027-03-02,2,Ann\n")


def roster_process(source: Path, out: Path, *, delay: float = 0.0, kill_at: str | None = None,
                   exchange: bool = True, force: bool = True) -> subprocess.Popen[bytes]:
    """A roster run in its own process: each row slowed by `delay` seconds, the process killed
    (SIGKILL) at the swap step `kill_at`, and the atomic exchange turned off when asked."""
    code = (
        "import os, signal, sys, time\n"
        "from ivig_schedule import files\n"
        "from ivig_schedule.jobs import rows\n"
        "plan = rows.plan_row\n"
        f"def slow(row, limits, today):\n    time.sleep({delay})\n"
        "    return plan(row, limits, today)\n"
        "rows.plan_row = slow\n"
        f"kill_at = {kill_at!r}\n"
        "def step(name):\n"
        "    if name == kill_at:\n        os.kill(os.getpid(), signal.SIGKILL)\n"
        "files.STEP = step\n"
        + ("" if exchange else "files._exchange = lambda a, b: False\n") +
        "from ivig_schedule.cli.app import main\n"
        "sys.argv = ['ivig-schedule', 'roster', sys.argv[1], '-o', sys.argv[2], '--jobs', '1',\n"
        f"            '--quiet', '--today', '{TODAY}'] + {['--force'] if force else []!r}\n"
        "main()\n")
    return subprocess.Popen([sys.executable, "-c", code, str(source), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_a_second_roster_into_the_same_outdir_is_refused_while_the_first_runs(tmp_path, attempt):
    """Two rosters into one new OUTDIR at once: the second is refused with a clear line, the
    first's output stands whole (repeated: the race must never go the other way)."""
    source = tmp_path / "r.csv"
    source.write_text(SMALL)
    out = tmp_path / "out"
    first = roster_process(source, out, delay=0.6, force=False)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(
            p.name.endswith(".ivig-tmp") for p in tmp_path.iterdir()):
        time.sleep(0.02)
    second = run_roster(source, out)
    _, first_err = first.communicate(timeout=60)
    assert first.returncode == 0, first_err
    assert second.exit_code == 1
    assert "being written by another run" in second.stderr
    alone = tmp_path / "alone"
    assert run_roster(source, alone).exit_code == 0
    assert tree(out) == tree(alone)
    again = run_roster(source, out)
    assert again.exit_code == 1 and "add --force" in again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone", "out", "r.csv"]


@pytest.mark.slow
@pytest.mark.parametrize(("kill_at", "exchange"), [
    ("start", True), ("exchanged", True), ("start", False), ("aside", False), ("moved", False)])
def test_a_kill_at_any_step_of_the_swap_loses_neither_folder(tmp_path, kill_at, exchange):
    """SIGKILL at each step of putting the new OUTDIR in place (with the atomic exchange and
    with the two-rename fallback): OUTDIR is whole, old or new, and the next run finishes
    cleanly with nothing left over."""
    old_source, new_source = tmp_path / "old.csv", tmp_path / "new.csv"
    old_source.write_text(SMALL)
    new_source.write_text(SMALL.replace("70,UTC", "75,UTC"))
    out, reference = tmp_path / "out", tmp_path / "reference"
    assert run_roster(old_source, out).exit_code == 0
    assert run_roster(new_source, reference).exit_code == 0
    old, new = tree(out), tree(reference)
    assert old != new
    process = roster_process(new_source, out, kill_at=kill_at, exchange=exchange)
    process.communicate(timeout=60)
    assert process.returncode == -9
    standing = out if out.exists() else None
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".ivig-tmp")]
    if standing is None:  # killed between the two renames: both wait beside it
        assert kill_at == "aside"
        trees = [tree(p) for p in leftovers]
        assert len(trees) == 2 and old in trees and new in trees
    else:
        assert tree(out) in (old, new)
    assert run_roster(new_source, out, "--force").exit_code == 0
    assert tree(out) == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv", "old.csv", "out",
                                                           "reference"]


def test_an_outdir_that_appears_during_the_run_is_not_replaced_without_force(tmp_path,
                                                                            monkeypatch):
    """An OUTDIR created by someone else while the roster runs is refused at the swap, not
    replaced; its content is kept."""
    from ivig_schedule.jobs import rows

    source = tmp_path / "r.csv"
    source.write_text(SMALL)
    out = tmp_path / "out"
    plan = rows.plan_row

    def appearing(row, limits, today):
        out.mkdir(exist_ok=True)
        (out / "theirs.txt").write_text("someone else's work")
        return plan(row, limits, today)

    monkeypatch.setattr(rows, "plan_row", appearing)
    result = run_roster(source, out, "--jobs", "1")
    assert result.exit_code == 1
    assert "already exists; add --force" in result.stderr
    assert [p.name for p in out.iterdir()] == ["theirs.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "r.csv"]


def test_a_carriage_return_inside_a_row_is_that_rows_error(tmp_path):
    """A CR alone in a record spoils that row only (the others are planned); a header with one
    is an error for the whole roster, on one line, never an internal error."""
    source = tmp_path / "r.csv"
    source.write_bytes((f"{HEADER}\n"
                        "S-1,70,UTC,octagam-10,2g-q4w,2027-03-01,4,Ann\n"
                        "S-2,64,UTC,privigen,2g-q4w,\r2027-03-02,2,Ann\n"
                        "S-3,60,UTC,privigen,2g-q4w,2027-03-02,2,Ann\r\n").encode())
    result = run_roster(source, tmp_path / "out")
    assert result.exit_code == 1, result.output
    errors = [e for e in csv.DictReader((tmp_path / "out" / "errors.csv").open(newline=""))
              if e["field_or_rule"] != "nurse.clash"]  # S-1 and S-3 share a nurse and a time
    assert [(e["row"], e["field_or_rule"]) for e in errors] == [("3", "(row)")]
    assert "carriage return" in errors[0]["message"]
    assert sorted(p.name for p in (tmp_path / "out" / "patients").iterdir()) == ["S-1", "S-3"]
    whole = tmp_path / "cr.csv"
    whole.write_bytes(f"{HEADER}\rS-1,70,UTC,octagam-10,2g-q4w,2027-03-01,4,Ann\r".encode())
    result = run_roster(whole, tmp_path / "out2")
    assert result.exit_code == 1
    assert "carriage return" in result.stderr
    assert "internal error" not in result.stderr + result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out2").exists()


def test_the_prescription_column_names_only_files_inside_the_rosters_folder(tmp_path):
    """`prescription` cells that leave the roster's folder (an absolute path, ``..``, a link
    pointing out) are that row's error, and nothing of the file they name is copied."""
    folder = tmp_path / "roster"
    folder.mkdir()
    secret = tmp_path / "secret.toml"
    secret.write_text("top secret line\n")
    (folder / "out-link.toml").symlink_to(secret)
    (folder / "broken.toml").write_text("this is not toml at all\n")
    source = folder / "r.csv"
    source.write_text("id,prescription\n"
                      f"P-1,{secret}\nP-2,../secret.toml\nP-3,out-link.toml\nP-4,broken.toml\n")
    result = run_roster(source, tmp_path / "out")
    assert result.exit_code == 1
    text = (tmp_path / "out" / "errors.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    assert [(r["row"], r["field_or_rule"]) for r in rows[:3]] == [
        ("2", "prescription"), ("3", "prescription"), ("4", "prescription")]
    assert all("inside the roster's folder" in r["message"] for r in rows[:3])
    assert rows[3]["row"] == "5" and "not valid TOML at line 1" in rows[3]["message"]
    assert "secret line" not in text and "not toml at all" not in text


def test_no_csv_cell_can_run_as_a_formula(tmp_path):
    """Ids, keys and locations that start like a formula reach errors.csv, dispensing.csv and
    the plan CSV quoted as text; numbers stay numbers."""
    folder = tmp_path / "roster"
    folder.mkdir()
    (folder / "keyed.toml").write_text(
        '[patient]\nid = "K-1"\nweight_kg = 70\ntimezone = "UTC"\n'
        '[order]\nproduct = "octagam-10"\nregimen = "2g-q4w"\nstart = 2027-03-01\n'
        'days_per_course = 4\n"=HYPERLINK(\\"http://evil\\",\\"x\\")" = 1\n')
    (folder / "located.toml").write_text(
        '[patient]\nid = "L-1"\nweight_kg = 70\ntimezone = "UTC"\n'
        '[order]\nproduct = "octagam-10"\nstart = 2027-03-01\n'
        '[regimen]\nid = "-local"\nsource = "+ward"\n'
        'first_infusion_g = 10\nfirst_infusion_location = "=cmd|\' /C calc\'!A0"\n'
        '[[regimen.phase]]\nname = "@c"\ndose_g_per_kg = 2\ndays = [4, 4]\nweeks = [0]\n')
    source = folder / "r.csv"
    source.write_text(f"{HEADER},prescription\n"
                      "=2+3,70,UTC,octagam-10,2g-q4w,2027-03-01,4,Ann,\n"
                      "@SUM(1),70,UTC,octagam-10,2g-q4w,2027-03-01,4,Ann,\n"
                      ",,,,,,,,keyed.toml\n"
                      ",,,,,,,,located.toml\n")
    out = tmp_path / "out"
    result = run_roster(source, out)
    assert result.exit_code == 1, result.output
    errors = list(csv.reader((out / "errors.csv").open(newline="")))
    assert len(errors) == 4  # the header and three bad rows
    cells = [c for name in ("errors.csv", "dispensing.csv", "dispensing-weekly.csv")
             for r in csv.reader((out / name).open(newline="")) for c in r]
    cells += [c for r in csv.reader((out / "patients" / "L-1" / "nurse.csv").open(newline=""))
              for c in r]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert "'=2+3" in {e[1] for e in errors}
    assert any(c.startswith("'=cmd") for c in cells)
    dispensing = list(csv.DictReader((out / "dispensing.csv").open(newline="")))
    assert all(float(d["grams"]) > 0 for d in dispensing if d["kind"] == "product")
