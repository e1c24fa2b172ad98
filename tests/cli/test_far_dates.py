"""Dates near the end of the calendar: every plan `check` accepts is written in every format,
and every plan it refuses is refused by every format, with the same line."""

from __future__ import annotations

import pytest

from ..helpers import SAMPLES, run

TODAY = "2026-12-03"
FORMATS = ("table", "json", "csv", "ics", "fhir")
FLAGS = ("--patient-id", "X-1", "--weight", "70", "--product", "octagam-10", "--regimen",
         "2g-q4w", "--timezone", "Europe/Amsterdam", "--days", "2", "--today", TODAY)


@pytest.mark.parametrize("start", ["9997-10-01", "9997-12-01", "9997-12-30", "9998-06-01",
                                   "9998-12-01", "9999-11-20", "9999-12-28"])
@pytest.mark.parametrize("source", ["flags", "proderm", "lim-2021"])
def test_check_and_every_format_agree_near_the_end_of_time(tmp_path, start, source):
    """`check`'s verdict is every format's: exit 0 in all of them, or exit 1 in all with the
    same error line; never an internal error."""
    if source == "flags":
        args: tuple[str, ...] = (*FLAGS, "--start", start)
    else:
        rx = tmp_path / "rx.toml"
        rx.write_text("\n".join(f"start = {start}" if line.startswith("start = ") else line
                                for line in (SAMPLES / f"{source}.toml").read_text()
                                .splitlines()) + "\n")
        args = (str(rx), "--today", TODAY)
    verdict = run("check", *args)
    assert verdict.exit_code in (0, 1)
    results = [run("plan", *args, "-f", fmt) for fmt in FORMATS]
    assert {r.exit_code for r in results} == {verdict.exit_code}, [r.output[-200:] for r in results]
    for result in results:
        assert "internal error" not in result.output
    if verdict.exit_code == 1:
        assert len({r.stderr for r in results}) == 1
        assert "the last date every output format can write" in results[0].stderr
