"""Free text with control, escape and bidirectional characters, in every text field a
prescription holds, through every command and format: refused once at the edge with the field
named, so none reaches a terminal, a CSV or a calendar raw.

CI runs a modest number of examples; IVIG_FUZZ_EXAMPLES raises it for a long local run.
"""

from __future__ import annotations

import json
import os
import unicodedata

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivig_schedule.cli.app import cli

TODAY = "2026-12-03"
UNSAFE = ([chr(c) for c in range(0x20) if c != 0x0A] + ["\x7f"]
          + [chr(c) for c in range(0x80, 0xA0)]
          + ["\u061c", "\u200b", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202b",
             "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff"])
"""Every character that may not reach an output raw: C0 (but LF), DEL, C1, the bidirectional
marks, overrides and isolates, line and paragraph separators, zero-width ones."""


TEMPLATE = """\
[patient]
id = "HT-1"
weight_kg = 70
timezone = "Europe/Amsterdam"

[order]
product = "octagam-10"
start = 2026-09-07
days_per_course = 4

[care]
nurse = {care.nurse}
organizer = {care.organizer}

[regimen]
id = "local"
name = {regimen.name}
source = {regimen.source}
first_infusion_g = 10
first_infusion_location = {regimen.first_infusion_location}

[[regimen.phase]]
name = {phase.name}
dose_g_per_kg = 2
days = [2, 5]
weeks = [0, 4, 8]

[[regimen.visit]]
week = 4
name = {visit.name}

[[change]]
on = 2026-10-01
kind = "weight"
reason = {change.0.reason}
from_course = 2
weight_kg = 71

[[change]]
on = 2026-09-08
kind = "given"
reason = "done"
course = 1
day = 1
lot = {change.1.lot}
note = {change.1.note}
"""
PLAIN = {"care.nurse": "Ann", "care.organizer": "mailto:ward@example.invalid",
         "regimen.name": "Local", "regimen.source": "ward protocol",
         "regimen.first_infusion_location": "ward", "phase.name": "course",
         "visit.name": "assessment", "change.0.reason": "scale", "change.1.lot": "L1",
         "change.1.note": "fine"}


def prescription(field: str, text: str) -> str:
    """The prescription with `text` in one free-text field (a TOML string: every character
    written as an escape, so the file itself is clean and the parser hands over the text)."""
    values = dict(PLAIN, **{field: text})
    out = TEMPLATE
    for key, value in values.items():
        out = out.replace("{" + key + "}", json.dumps(value))
    return out


FIELDS = ["change.0.reason", "change.1.lot", "change.1.note", "regimen.name", "regimen.source",
          "regimen.first_infusion_location", "phase.name", "visit.name", "care.nurse",
          "care.organizer"]
COMMANDS = [("plan", "-f", "table"), ("plan", "-f", "json"), ("plan", "-f", "csv"),
            ("plan", "-f", "ics"), ("plan", "-f", "fhir"), ("explain",), ("check",)]


def raw_unsafe(output: str) -> list[str]:
    return sorted({c for c in output
                   if c in UNSAFE or (c != "\n" and unicodedata.category(c) in ("Cc", "Cf"))})


def test_the_base_prescription_plans_in_every_command(tmp_path):
    """Without hostile text, the prescription plans in every command (exit 0), so the refusals
    below are the text's doing."""
    rx = tmp_path / "rx.toml"
    rx.write_text(prescription("change.0.reason", "scale"), encoding="utf-8")
    for command in COMMANDS:
        result = CliRunner().invoke(cli, [command[0], str(rx), *command[1:], "--today", TODAY])
        assert result.exit_code == 0, (command, result.output)


EXAMPLES = int(os.environ.get("IVIG_FUZZ_EXAMPLES", "40"))


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), before=st.text(max_size=6),
       bad=st.sampled_from(UNSAFE), after=st.text(max_size=6),
       command=st.sampled_from(COMMANDS))
def test_hostile_text_never_reaches_an_output_raw(tmp_path, field, before, bad, after, command):
    """Whatever field holds an unsafe character and whichever command reads it: exit 1 naming
    the field, and not one unsafe character in anything written."""
    rx = tmp_path / "rx.toml"
    rx.write_text(prescription(field, before + bad + after), encoding="utf-8", newline="\n")
    result = CliRunner().invoke(cli, [command[0], str(rx), *command[1:], "--today", TODAY])
    assert result.exit_code == 1, (field, command, result.output)
    assert "internal error" not in result.output
    assert not raw_unsafe(result.output), (field, command, result.output)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(before=st.text(max_size=6), bad=st.sampled_from(UNSAFE), after=st.text(max_size=6),
       flag=st.sampled_from(["--reason", "--note", "--lot"]))
def test_hostile_flags_of_change_are_refused_before_writing(tmp_path, before, bad, after, flag):
    """`change` checks its text flags the same way: exit 1 naming the flag, the file as it was,
    and nothing unsafe printed."""
    rx = tmp_path / "rx.toml"
    text = prescription("change.0.reason", "scale")
    rx.write_text(text, encoding="utf-8", newline="\n")
    hostile = before + bad + after
    texts = {"--reason": "ok", flag: hostile}
    args = ["change", str(rx), "given", "--course", "1", "--day", "2", "--today", TODAY]
    for name, value in texts.items():
        args += [name, value]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: {flag}: ")
    assert not raw_unsafe(result.output)
    assert rx.read_text(encoding="utf-8") == text
