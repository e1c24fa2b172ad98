"""Dutch for the nurses and patients of the Dutch trials: every message the calendar and the
sheet use has a Dutch translation, Dutch outputs use decimal commas and Dutch weekdays, English
stays byte-identical, and masked views are the same for both arms in Dutch too."""

from __future__ import annotations

import ast
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from ivig_schedule import jobs
from ivig_schedule.jobs import outputs
from ivig_schedule.render.language import catalog, language, read_po

from ..helpers import ROOT, SAMPLES

TODAY = dt.date(2026, 12, 3)
RENDERERS = [ROOT / "ivig_schedule" / "render" / "ics" / "calendar.py",
             ROOT / "ivig_schedule" / "render" / "sheet.py",
             ROOT / "ivig_schedule" / "render" / "language.py",
             ROOT / "ivig_schedule" / "render" / "table.py"]
TEMPLATE = ROOT / "ivig_schedule" / "render" / "templates" / "sheet.html.j2"
VALUES = ("sodium chloride 0.9%", "actual", "adjusted", "ideal", "home", "ward",
          "pharmacy", "nurse", "patient", "assessor", "active", "placebo", "given", "cancelled",
          "skipped", "course", "blinded", "open-label", "loading", "maintenance",
          "insufficient-response", "the label maximum", "the at-risk maximum",
          "the order's max_rate_ml_h")
"""Words from the plan that reach people (the saline, the dosing-weight basis, locations)."""


def messages() -> set[str]:
    """Every literal message the renderers translate: t._("...") in Python, _("...") in the
    sheet's template."""
    found = set()
    for path in RENDERERS:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "_" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    found.update(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', TEMPLATE.read_text()))
    return found


def test_every_message_has_a_dutch_translation():
    """No message falls back to English in Dutch (more than eighty of them)."""
    used = messages() | set(VALUES)
    assert len(used) > 80
    missing = sorted(m for m in used if m not in catalog("nl"))
    assert not missing, missing
    unused = sorted(set(catalog("nl")) - used)
    assert not unused, unused


def test_placeholders_survive_translation():
    """Each Dutch message keeps exactly the English message's {placeholders}."""
    for english, dutch in catalog("nl").items():
        assert sorted(re.findall(r"\{\w+\}", english)) == sorted(
            re.findall(r"\{\w+\}", dutch)), english


def test_catalog_reader():
    """Continuation lines, escapes and untranslated entries, read as gettext writes them."""
    text = ('msgid ""\nmsgstr "Language: nl\\n"\n\nmsgid "a \\"b\\""\nmsgstr ""\n"c"\n"d"\n\n'
            'msgid "untranslated"\nmsgstr ""\n')
    assert read_po(text) == {'a "b"': "cd"}


def test_dutch_numbers_and_weekdays():
    """CLDR's decimal comma and weekday names; the ISMP rules stay (no trailing zero)."""
    dutch = language("nl")
    assert dutch.number(Decimal("57.30")) == "57,3"
    assert dutch.number(Decimal("0.5")) == "0,5"
    assert dutch.number(Decimal("400.0")) == "400"
    assert dutch.weekday(dt.date(2027, 1, 11)) == "maandag"
    assert language("en").number(Decimal("57.30")) == "57.3"


def _request(name: str, arm: str | None = None) -> jobs.Request:
    text = (SAMPLES / f"{name}.toml").read_text()
    if arm is not None:
        text = re.sub(r'^arm = "\w+"', f'arm = "{arm}"', text, flags=re.M)
    return jobs.Request(text=text, today=TODAY)


def _people_text(data: bytes) -> str:
    """What people read, without the warnings (rule texts stay English) and markup: a
    calendar's SUMMARY, DESCRIPTION and LOCATION, or a sheet's text."""
    text = data.decode("utf-8").replace("\r\n ", "")
    if text.startswith("BEGIN:VCALENDAR"):
        text = "\n".join(line.split(":", 1)[1] for line in text.split("\r\n")
                         if line.startswith(("SUMMARY", "DESCRIPTION", "LOCATION")))
    text = text.replace("\\n", "\n").replace("\\,", ",")
    text = re.sub(r"<style.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", "\n", text)
    return "\n".join(line for line in text.splitlines()
                     if "Waarschuwing" not in line and "[" not in line)


@pytest.mark.parametrize("name", sorted(p.stem for p in SAMPLES.glob("*.toml")))
def test_every_sample_in_dutch(name):
    """The nurse's calendar and sheet of each sample in Dutch: Dutch words, decimal commas where
    a number has decimals, no decimal point in what people read outside the rule texts."""
    request = _request(name)
    calendar = outputs.plan(request, "ics", "nurse", lang="nl")
    sheet = outputs.sheet(request, "nurse", lang="nl")
    assert calendar.data is not None and sheet.data is not None, calendar.failure
    ics, html = _people_text(calendar.data), _people_text(sheet.data)
    assert "Pompprogramma" in ics and "Pump programme" not in ics
    assert "Vitale functies" in html and "Vital signs" not in html
    assert '<html lang="nl">' in sheet.data.decode()
    assert re.search(r"(maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag) \d{4}-",
                     html)
    for text in (ics, html):
        points = re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", text)
        assert not points, points[:5]
    if name in ("might", "2g-q4w"):  # rates with decimals: written with a comma
        assert re.search(r"\d,\d mL/h", ics) and re.search(r"\d,\d", html)


@pytest.mark.parametrize("fmt", ["ics", "sheet"])
def test_masked_dutch_outputs_are_the_same_for_both_arms(fmt):
    """ProDERM masks the nurse: her Dutch calendar and sheet are byte-identical for both arms."""
    made = []
    for arm in ("active", "placebo"):
        request = _request("proderm", arm)
        written = (outputs.plan(request, "ics", "nurse", lang="nl") if fmt == "ics"
                   else outputs.sheet(request, "nurse", lang="nl"))
        assert written.data is not None
        made.append(written.data)
    assert made[0] == made[1]


def test_care_language_is_the_default_and_english_is_unchanged(tmp_path):
    """[care] language = "nl" makes the calendar Dutch without --lang; --lang en overrides it;
    English output is the same bytes as before languages existed (the golden files)."""
    text = (SAMPLES / "time-is-muscle.toml").read_text()
    assert "[care]" not in text
    dutch = jobs.Request(text=text + '\n[care]\nlanguage = "nl"\n', today=TODAY)
    assert "Pompprogramma" in outputs.plan(dutch, "ics", "nurse").data.decode()  # type: ignore[union-attr]
    english = outputs.plan(dutch, "ics", "nurse", lang="en").data
    plain = outputs.plan(jobs.Request(text=text, today=TODAY), "ics", "nurse").data
    assert english is not None and b"Pump programme" in english
    assert plain == english == Path(SAMPLES / "time-is-muscle.nurse.ics").read_bytes()


def test_plan_lang_nl_prints_the_table_in_dutch_with_decimal_commas():
    """`plan --lang nl`: Dutch words and decimal commas. 112 kg, 175 cm, adjusted: 87.08 kg;
    cap 3 mg/kg/min × 87.079 kg × 60 ÷ 100 = 156.7 mL/h; step 1 is 1 × 87.079 × 0.6 = 52.2 mL/h
    for 30 min, VTBI 26.1 mL; day 1 is 44 g = 1 × 30 g + 1 × 10 g + 2 × 2 g (worked by hand)."""
    from click.testing import CliRunner

    from ivig_schedule.cli.app import cli

    result = CliRunner().invoke(cli, ["plan", str(SAMPLES / "2g-q4w.toml"), "--lang", "nl",
                                      "--today", "2027-01-01"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    for expected in ("Patiënt Q4-0112 · 112 kg · doseergewicht 87,08 kg (aangepast)",
                     "weergave apotheek",
                     "geen snelheid boven 156,7 mL/h (het maximum bij verhoogd risico)",
                     "Kuur·dag", "Wanneer, waar", "52,2 × 30 (26,1)",
                     "1 × 30 g + 1 × 10 g + 2 × 2 g", "totaal 3 h 19 min", "thuis",
                     "Alleen beslisondersteuning"):
        assert expected in text, expected
    for english in ("Course·day", "When, where", "dosing weight", "times in", "total "):
        assert english not in text, english


def test_a_dutch_nurse_sheet_names_its_view_heading_and_phase_in_dutch():
    """The Dutch ProDERM nurse sheet: "weergave verpleegkundige", "Waarschuwingen" and the
    open-label phase's name; never "nurse view", "Warnings" or "ONTBLIND"."""
    from ivig_schedule import jobs
    from ivig_schedule.render.sheet import to_html
    from ivig_schedule.views.views import plan_view

    text = (SAMPLES / "proderm.toml").read_text()
    plan = jobs.run(jobs.Request(text=text, overrides={"arm": "active"})).checked_plan()
    html = to_html(plan_view(plan, "nurse"), lang="nl")
    assert "weergave verpleegkundige" in html and "Waarschuwingen" in html
    assert "nurse view" not in html and ">Warnings<" not in html and "ONTBLIND" not in html
    pharmacy = to_html(plan_view(plan, "pharmacy"), lang="nl")
    assert "ONGEBLINDEERD" in pharmacy and "weergave apotheek" in pharmacy


def test_calendar_moves_and_given_days_read_naturally_in_dutch_and_english():
    """A course delayed by 1 day reads "1 dag later verschoven" (never "+1 dagen") and one by 8
    days "8 dagen later verschoven"; a given day names no field path ("change[0]")."""
    from ivig_schedule import jobs
    from ivig_schedule.jobs import outputs

    from ..helpers import calendar

    text = ('[patient]\nid = "N-1"\nweight_kg = 80\ntimezone = "Europe/Amsterdam"\n[order]\n'
            'product = "octagam-10"\nregimen = "2g-q4w"\nstart = 2026-06-01\n'
            'days_per_course = 2\ncourses = 3\n'
            '\n[[change]]\non = 2026-06-01\nkind = "given"\nreason = "r"\ncourse = 1\nday = 1\n'
            '\n[[change]]\non = 2026-06-01\nkind = "delay"\nreason = "r"\ncourse = 2\ndays = 1\n'
            'shift_following = false\n'
            '\n[[change]]\non = 2026-06-01\nkind = "delay"\nreason = "r"\ncourse = 3\ndays = 8\n')
    request = jobs.Request(text=text)
    english = calendar(jobs.run(request, revisions=True)).decode().replace("\r\n ", "")
    written = outputs.plan(request, "ics", "nurse", lang="nl").data or b""
    nl = written.decode().replace("\r\n ", "")
    assert "Moved 1 day later (scheduled in week 4)" in english
    assert "Moved 8 days later (scheduled in week 8)" in english
    assert "1 dag later verschoven (gepland in week 4)" in nl and "+1 dagen" not in nl
    assert "8 dagen later verschoven" in nl
    assert "Given on 2026-06-01 (change 1 of the recorded history)" in english
    assert "change[" not in english and "change[" not in nl


def test_the_tables_history_counts_changes_from_one_as_people_do():
    """The nurse's terminal table lists a recorded history as "change 1", "change 2" (in Dutch
    "wijziging 1"), never as the TOML field path "change[0]"."""
    text = ('[patient]\nid = "N-2"\nweight_kg = 80\ntimezone = "Europe/Amsterdam"\n[order]\n'
            'product = "octagam-10"\nregimen = "2g-q4w"\nstart = 2026-06-01\n'
            'days_per_course = 2\ncourses = 3\n'
            '\n[[change]]\non = 2026-06-01\nkind = "given"\nreason = "r"\ncourse = 1\nday = 1\n'
            '\n[[change]]\non = 2026-06-01\nkind = "delay"\nreason = "r"\ncourse = 2\ndays = 1\n')
    request = jobs.Request(text=text)
    english = (outputs.plan(request, "table", "nurse").data or b"").decode()
    dutch = (outputs.plan(request, "table", "nurse", lang="nl").data or b"").decode()
    assert "  change 1 2026-06-01 given" in english and "  change 2 2026-06-01 delay" in english
    assert "  wijziging 1 2026-06-01 given" in dutch
    assert "change[" not in english and "change[" not in dutch
