"""A roster's cells as people and spreadsheets write them: names in any script, hostile control
characters, and Windows-1252 files."""

from __future__ import annotations

import csv
from pathlib import Path

from ..helpers import run_roster

HEADER = "id,weight,timezone,product,regimen,start,nurse\n"


def row(pid: str, nurse: str) -> str:
    return f"{pid},70,Europe/Amsterdam,octagam-10,2g-q4w,2027-01-11,{nurse}\n"


def test_nurse_names_with_accents_are_planned(tmp_path):
    """Renée and José are nurses like Jansen: their rows plan and their calendars are named."""
    roster = tmp_path / "r.csv"
    roster.write_text(HEADER + row("A-1", "Renée") + row("A-2", "José Núñez"), encoding="utf-8")
    result = run_roster(roster, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out" / "nurses").iterdir()) == [
        "José Núñez.ics", "Renée.ics"]


def test_a_hostile_nurse_cell_is_escaped_in_errors_csv(tmp_path):
    """ESC, BEL, CR and U+202E in a nurse cell refuse that row, and errors.csv writes them as
    \\u escapes: no raw control character reaches the file."""
    roster = tmp_path / "r.csv"
    hostile = "Ann\x1b[31m\x07\u202e"
    roster.write_text(HEADER + row("A-1", "Jansen") + row("A-2", f'"{hostile}\rX"'),
                      encoding="utf-8", newline="")
    result = run_roster(roster, tmp_path / "out")
    assert result.exit_code == 1
    raw = (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8")
    for char in ("\x1b", "\x07", "\u202e", "\r"):
        assert char not in raw
    errors = list(csv.DictReader(raw.splitlines()))
    assert [(e["patient_id"], e["field_or_rule"]) for e in errors] == [("A-2", "nurse")]
    assert "\\u001b" in errors[0]["message"] and "\\u202e" in errors[0]["message"]


def test_a_windows_1252_roster_plans_with_its_declared_encoding(tmp_path):
    """Excel's Windows-1252 "Renée" (byte E9) is refused as UTF-8 with a message naming
    --encoding; with --encoding cp1252 every row plans."""
    roster = tmp_path / "r.csv"
    roster.write_bytes((HEADER + row("A-1", "Renée") + row("A-2", "Jansen")).encode("cp1252"))
    refused = run_roster(roster, tmp_path / "out")
    assert refused.exit_code == 1 and "--encoding" in refused.output
    planned = run_roster(roster, tmp_path / "out2", "--encoding", "cp1252")
    assert planned.exit_code == 0, planned.output
    assert sorted(p.name for p in (Path(tmp_path) / "out2" / "patients").iterdir()) == [
        "A-1", "A-2"]
