"""The limits check the plan that will be given, course by course, after every change: each
example a new user hit, as a test, with the numbers worked out by hand in its docstring."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.input import limits_file
from ivig_schedule.render.records import to_csv, to_json
from ivig_schedule.render.sheet import to_html
from ivig_schedule.render.table import to_table
from ivig_schedule.views.views import plan_view

from ..helpers import SAMPLES, ics

TODAY = dt.date(2026, 11, 30)
"""A date no later than the system date, so that changes may be recorded on it."""


def rx(regimen: str = "2g-q4w", weight: object = 80, *, days: int | None = 4,
       start: str = "2027-01-11", extra: str = "", arm: str | None = None,
       product: str | None = "octagam-10", indication: str | None = None) -> str:
    """A prescription's text."""
    lines = ["[patient]", 'id = "T-1"', f"weight_kg = {json.dumps(weight)}",
             'timezone = "Europe/Amsterdam"', "", "[order]", f'regimen = "{regimen}"',
             f'start = "{start}"']
    if product:
        lines.append(f'product = "{product}"')
    if days:
        lines.append(f"days_per_course = {days}")
    if indication:
        lines.append(f'indication = "{indication}"')
    if arm:
        lines += ["", "[trial]", f'arm = "{arm}"']
    return "\n".join(lines) + "\n" + extra


def change(kind: str, on: str = "2026-11-20", **fields: object) -> str:
    body = [f"{k} = {json.dumps(v) if not isinstance(v, bool) else str(v).lower()}"
            for k, v in fields.items()]
    return "\n".join(["", "[[change]]", f"on = {on}", f'kind = "{kind}"', 'reason = "test"',
                      *body]) + "\n"


def assess(text: str, **options: object) -> jobs.Outcome:
    return jobs.run(jobs.Request(text=text, today=TODAY, **options), revisions=True)


def breach(out: jobs.Outcome, rule: str):
    assert out.decision is not None, out.error
    return next((b for b in out.decision.breaches if b.rule.id == rule), None)


def cli_run(*args: str):
    return CliRunner().invoke(cli, list(args))


# --- 1. a recorded dose is measured like a regimen's ----------------------------------------


def test_a_recorded_dose_of_4_g_per_kg_is_refused_like_the_same_regimen():
    """dose 4 g/kg from course 1 on 2g-q4w at 80 kg (320 g a course) is refused by
    dose.course_max (4 > 2 g/kg) in plan, check and explain alike (exit 3)."""
    text = rx(extra=change("dose", dose_g_per_kg=4, from_course=1))
    out = assess(text)
    assert out.exit_code == jobs.EXIT_REFUSED
    found = breach(out, "dose.course_max")
    assert found is not None and (found.value, found.severity, found.count) == (D(4), "hard", 3)


def test_plan_check_and_explain_refuse_the_recorded_dose(tmp_path):
    """The three commands agree (exit 3) and explain marks dose.course_max [hard], not [ok]."""
    path = tmp_path / "rx.toml"
    path.write_text(rx(extra=change("dose", dose_g_per_kg=4, from_course=1)))
    common = ("--today", TODAY.isoformat())
    results = [cli_run(command, str(path), *common) for command in ("plan", "check", "explain")]
    assert [r.exit_code for r in results] == [3, 3, 3]
    assert "[hard] dose.course_max" in results[2].stdout


def test_change_command_refuses_a_dose_of_4_g_per_kg_and_writes_nothing(tmp_path):
    """change dose --dose 4 --from-course 2 exits 3 naming the rule; the file is unchanged."""
    path = tmp_path / "rx.toml"
    text = rx(start="2026-09-07")
    path.write_text(text)
    result = cli_run("change", str(path), "dose", "--dose", "4", "--from-course", "2",
                     "--reason", "x", "--today", TODAY.isoformat())
    assert result.exit_code == 3
    assert "dose.course_max" in result.stderr
    assert path.read_text() == text


# --- 2. every weight a change records, each course at its own weight -------------------------


def test_might_weight_change_to_160_kg_is_refused_by_eligibility_and_asks_about_pounds():
    """MIGHT at 80 kg, 160 kg from course 2: 160 > 120 kg is excluded (hard), and 160 > 150 kg
    asks "was this pounds?" (soft); 2 days a course is 160 g a day = 1 g/kg of 160 kg, within
    dose.day_max (the old check divided by 80 kg and refused it as 2 g/kg)."""
    out = assess(rx("might", days=2, product="gamunex-c", arm="active",
                    extra=change("weight", weight_kg=160, from_course=2)))
    assert out.exit_code == jobs.EXIT_REFUSED
    assert out.refusal is not None and out.refusal.rule == "eligibility.max_weight"
    assert "change[0] (from course 2)" in str(out.refusal)
    pounds = breach(out, "weight.range")
    assert pounds is not None and pounds.severity == "soft" and pounds.value == D(160)
    assert breach(out, "dose.day_max") is None


def test_day_dose_is_per_kg_of_its_own_course():
    """80 → 40 kg from course 2 with 4 g/kg from course 2, 2 days: course 2 is 160 g, 80 g a
    day = 2 g/kg of 40 kg, above dose.day_max's hard 1.1 (the old check divided by 80 kg: 1)."""
    out = assess(rx(days=2, extra=change("weight", weight_kg=40, from_course=2)
                    + change("dose", dose_g_per_kg=4, from_course=2)))
    found = breach(out, "dose.day_max")
    assert found is not None
    assert (found.value, found.severity, found.where) == (D(2), "hard", "course 2 day 1")


def test_heavier_weight_is_not_divided_by_the_old_one():
    """60 → 90 kg from course 2, 2 days: 90 g a day = 1 g/kg of 90 kg, within dose.day_max (the
    old check refused it as 90 g ÷ 60 kg = 1.5 g/kg)."""
    out = assess(rx(weight=60, days=2, extra=change("weight", weight_kg=90, from_course=2)))
    assert out.exit_code == jobs.EXIT_OK, out.error
    assert breach(out, "dose.day_max") is None
    assert [c.rounded_g for c in out.plan.courses] == [D(120), D(180), D(180)]


# --- 3. each course's own cap in every output ------------------------------------------------


def test_every_output_shows_each_courses_own_cap_after_a_weight_change():
    """80 → 40 kg from course 2: course 1's cap is 4 × 80 × 0.6 = 192 mL/h, courses 2-3's
    4 × 40 × 0.6 = 96 mL/h, in JSON, CSV, the calendar, the sheet and the table."""
    out = assess(rx(extra=change("weight", weight_kg=40, from_course=2)))
    view = plan_view(out.plan, "pharmacy")
    data = json.loads(to_json(view))
    assert [c["cap_ml_per_h"] for c in data["courses"]] == [192.0, 96.0, 96.0]
    caps = [row["cap_ml_per_h"] for row in csv.DictReader(io.StringIO(to_csv(view)))]
    assert caps == ["192.0"] * 4 + ["96.0"] * 8
    calendar = ics(view).decode().replace("\r\n ", "")
    assert calendar.count("Never above 96 mL/h") == 8
    assert calendar.count("Never above 192 mL/h") == 4
    sheet = re.sub(r"<[^>]+>", "", to_html(view, course=2))  # its text, as printed
    assert "never above 96 mL/h" in sheet and "192" not in sheet
    table = to_table(view, width=120)
    assert "each course has its own rate ceiling" in table
    assert "cap 96 mL/h" in table and "cap 192 mL/h" in table
    steps = [s.rate_ml_per_h for d in out.plan.courses[1].days for s in d.steps]
    assert max(steps) == D("96.0")


# --- 4. courses too close together -----------------------------------------------------------


def test_delaying_one_course_into_the_next_is_refused():
    """Course 2 of 2g-q4w (day 28) delayed 24 days without its followers starts on day 52,
    4 days before course 3 (day 56): 4 days between two 2 g/kg courses is below the hard 14."""
    out = assess(rx(extra=change("delay", course=2, days=24, shift_following=False)))
    assert out.exit_code == jobs.EXIT_REFUSED
    interval = breach(out, "schedule.interval")
    assert interval is not None
    assert (interval.value, interval.where, interval.severity) == (D(4), "courses 2-3", "hard")
    short = breach(out, "schedule.interval_short")
    assert short is not None and short.value == D(24)  # 28 days scheduled, 4 given


@pytest.mark.parametrize(("days", "expected"), [(7, None), (8, "soft"), (15, "hard")])
def test_interval_rules_at_their_bounds(days, expected):
    """A lone delay of 7 days shortens the next interval by 7 (within the soft 7); 8 warns;
    15 leaves 13 days, below the hard 14."""
    out = assess(rx(extra=change("delay", course=2, days=days, shift_following=False)))
    worst = breach(out, "schedule.interval") or breach(out, "schedule.interval_short")
    assert (worst.severity if worst else None) == expected


def test_overlapping_courses_stay_refused_even_with_the_interval_relaxed(tmp_path):
    """A pharmacy that drops schedule.interval from its own limits file still cannot plan two
    courses that overlap: delaying course 2 by 25 days puts its day 4 on course 3's day 1."""
    rules = [r for r in limits_file.built_in_limits().rules if r.id != "schedule.interval"]
    limits = limits_file.Limits("local", "1", "local.toml", tuple(rules))
    out = assess(rx(extra=change("delay", course=2, days=25, shift_following=False)),
                 limits=limits)
    assert out.refusal is not None and out.refusal.rule == "schedule.overlap"


# --- 5. indication ---------------------------------------------------------------------------


def test_another_indication_on_a_trial_regimen_is_refused():
    """ProDERM names dermatomyositis; --indication itp (Octagam's 12 mg/kg/min ladder, 576 mL/h
    at 80 kg) is refused by indication.trial."""
    result = cli_run("plan", str(SAMPLES / "proderm.toml"), "--indication", "itp", "--today",
                     "2027-01-01")
    assert result.exit_code == 3
    assert "indication.trial" in result.stderr
    assert "order indication itp, regimen proderm: dermatomyositis" in result.stderr


def test_another_indication_on_a_generic_regimen_warns_naming_both_and_the_ladder():
    """2g-q4w names dermatomyositis; an order for itp plans on the itp ladder with a soft
    warning naming both indications and the ladder used."""
    out = assess(rx(indication="itp"))
    assert out.exit_code == jobs.EXIT_OK
    warning = next(w for w in out.plan.warnings if w.code == "indication.differs")
    assert "order indication itp, regimen 2g-q4w: dermatomyositis" in warning.message
    assert "octagam-10's ladder for itp" in warning.message
    assert out.plan.ladder.indication == "itp"


def test_a_local_limits_file_may_relax_the_trial_indication_rule():
    """Without indication.trial the ProDERM order for itp plans, with the soft warning."""
    rules = [r for r in limits_file.built_in_limits().rules if r.id != "indication.trial"]
    limits = limits_file.Limits("local", "1", "local.toml", tuple(rules))
    text = (SAMPLES / "proderm.toml").read_text().replace(
        'days_per_course = 4', 'days_per_course = 4\nindication = "itp"')
    out = jobs.run(jobs.Request(text=text, limits=limits, today=dt.date(2027, 1, 1)))
    assert out.exit_code == jobs.EXIT_OK
    assert "indication.differs" in [w.code for w in out.plan.warnings]


def test_regimen_notes_never_claim_a_ladder():
    """The ladder the plan uses is said from the trail; ProDERM's note no longer names one."""
    out = assess(rx("proderm", arm="active", product=None, indication="itp"))
    note = next(w for w in out.plan.warnings if w.code == "regimen.notes")
    assert "dermatomyositis label ladder is used" not in note.message
    assert out.plan.ladder_reason.startswith("octagam-10's ladder for itp")


# --- 6. label caps read as written -----------------------------------------------------------


def test_gamunex_at_risk_stays_below_8_mg_per_kg_min():
    """Gamunex-C's label: at renal risk "less than 8 mg IG/kg/min". CIDP ladder 2, 4, 8 at 80 kg:
    8 × 80 × 0.6 = 384.0 mL/h exactly, so the last step is one increment lower, 383.9 mL/h, and no
    warning says the label has no limit."""
    out = assess(rx("loading-2g-then-1g-q3w", product="gamunex-c", days=None).replace(
        'timezone = "Europe/Amsterdam"', 'timezone = "Europe/Amsterdam"\nrisk_factors = ["renal"]'))
    assert out.exit_code == jobs.EXIT_OK, out.error
    cap = out.plan.courses[0].cap
    assert (cap.binding, cap.exclusive, cap.cap_ml_per_h) == ("at-risk", True, D("383.9"))
    assert max(s.rate_ml_per_h for c in out.plan.courses for d in c.days for s in d.steps) \
        == D("383.9")
    assert "rate.no_at_risk_cap" not in [w.code for w in out.plan.warnings]


@pytest.mark.parametrize(("product", "label_mg", "label_ml", "expected", "exclusive"), [
    # (id, the label's mg/kg/min figure, its mL/kg/min figure, the cap used, "less than")
    ("octagam-10", "3.3", "0.03", "3.0", False),   # "not to exceed 3.3 mg/kg/min (0.03 mL/kg/min)"
    ("octagam-5", "3.3", "0.07", "3.3", True),     # "less than 0.07 mL/kg/min [3.3 mg/kg/min]"
    ("gamunex-c", "8", "0.08", "8", True),          # "less than 8 mg IG/kg/min (0.08 mL/kg/min)"
    ("panzyga", "3.3", "0.033", "3.3", False),      # "Do not exceed 3.3 mg/kg/min (0.033 ...)"
])
def test_at_risk_caps_take_the_lower_figure_as_written(product, label_mg, label_ml, expected,
                                                       exclusive):
    """The at-risk cap of each product whose label quotes one, from the facts sheet by hand: the
    lower of its two figures (mL/kg/min × the concentration), exclusive where it says less."""
    from ivig_schedule.input import catalog

    entry = catalog.products()[product]
    from_ml = D(label_ml) * entry.concentration_mg_per_ml
    assert entry.at_risk_max_rate == min(D(label_mg), from_ml) == D(expected)
    assert entry.at_risk_exclusive is exclusive


def test_no_warning_claims_the_label_gives_no_limit():
    """Privigen has no numeric at-risk cap in the facts; its warning says the catalog holds none
    and never that the label gives none."""
    out = assess(rx(product="privigen", indication=None).replace(
        'timezone = "Europe/Amsterdam"', 'timezone = "Europe/Amsterdam"\nrisk_factors = ["renal"]'))
    warning = next(w for w in out.plan.warnings if w.code == "rate.no_at_risk_cap")
    assert "the label gives no" not in warning.message
    assert "Privigen 10%" in warning.message


# --- 7. history that cannot be made up -------------------------------------------------------


PAST = "2026-03-30"


def test_a_given_day_never_moves_when_a_day_is_closed_later():
    """Course 1 day 1 given on 2026-03-30; 2026-03-31 closed afterwards: the course keeps
    2026-03-30 … 2026-04-02 (it would otherwise move to 2026-04-01), and day 2 on the closed date
    is a soft warning."""
    given = change("given", on=PAST, course=1, day=1)
    text = rx(start=PAST, extra=given).replace(
        'days_per_course = 4', 'days_per_course = 4\nclosed_dates = [2026-03-31]')
    out = assess(text)
    days = [d.date for d in out.plan.courses[0].days]
    assert days == [dt.date(2026, 3, 30) + dt.timedelta(days=i) for i in range(4)]
    assert out.plan.courses[0].days[0].status == "given"
    kept = breach(out, "schedule.closed_day_kept")
    assert kept is not None and "2026-03-31" in kept.describe()
    unfrozen = assess(rx(start=PAST).replace(
        'days_per_course = 4', 'days_per_course = 4\nclosed_dates = [2026-03-31]'))
    assert unfrozen.plan.courses[0].days[0].date == dt.date(2026, 4, 1)


def test_the_same_day_cannot_be_given_twice():
    """A second given for course 1 day 1 is an input error naming its day."""
    given = change("given", on=PAST, course=1, day=1)
    out = assess(rx(start=PAST, extra=given + given))
    assert out.exit_code == jobs.EXIT_BAD_INPUT
    assert out.errors[0].field == "change[1].day"
    assert "already given in change[0]" in str(out.errors[0])


def test_a_response_cannot_be_recorded_before_its_week():
    """Lim 2021 from 2026-09-07: week 4 starts 2026-10-05; a week-4 response recorded on
    2026-10-01 is refused naming its date."""
    text = rx("lim-2021", product=None, days=None, start="2026-09-07",
              extra=change("response", on="2026-10-01", week=4, tis=35))
    out = assess(text)
    assert out.exit_code == jobs.EXIT_BAD_INPUT
    assert out.errors[0].field == "change[0].on"
    assert "from 2026-10-05" in str(out.errors[0])


def test_a_given_date_after_its_recording_is_refused():
    """date = 2026-04-02 with on = 2026-03-30: a day cannot be given after it was recorded."""
    out = assess(rx(start=PAST, extra=change("given", on=PAST, course=1, day=1,
                                            date="2026-04-02")))
    assert out.errors[0].field == "change[0].date"


def test_a_lot_expired_before_the_day_it_was_given_is_refused():
    """Course 1 day 1 given on 2026-03-30 from a lot that expired on 2026-03-29: an input error
    naming both dates; an expiry on the day itself is still in date."""
    expired = assess(rx(start=PAST, extra=change("given", on=PAST, course=1, day=1, lot="L-9",
                                                 expiry="2026-03-29")))
    assert expired.exit_code == jobs.EXIT_BAD_INPUT
    assert expired.errors[0].field == "change[0].expiry"
    assert "2026-03-29" in str(expired.errors[0]) and "2026-03-30" in str(expired.errors[0])
    on_the_day = assess(rx(start=PAST, extra=change("given", on=PAST, course=1, day=1,
                                                    lot="L-9", expiry=PAST)))
    assert on_the_day.exit_code == jobs.EXIT_OK, on_the_day.error


def test_change_given_with_an_expired_lot_writes_nothing(tmp_path):
    """``change given --expiry`` before the day's planned date (2026-03-31, day 2) exits 1,
    names --expiry and both dates, and leaves the file as it was."""
    path = tmp_path / "rx.toml"
    text = rx(start=PAST)
    path.write_text(text)
    result = cli_run("change", str(path), "given", "--course", "1", "--day", "2", "--lot", "A1",
                     "--expiry", "2026-03-30", "--reason", "infused", "--today", "2026-04-03")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --expiry:")
    assert "2026-03-30" in result.stderr and "2026-03-31" in result.stderr
    assert path.read_text() == text


def test_change_records_today_and_refuses_a_future_today(tmp_path):
    """--today later than the system date is refused: change records the date it is run on."""
    path = tmp_path / "rx.toml"
    path.write_text(rx(start=PAST))
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    result = cli_run("change", str(path), "given", "--course", "1", "--day", "1", "--reason",
                     "x", "--today", future)
    assert result.exit_code == 1
    assert "--today: must not be after the system date" in result.stderr


def test_change_given_for_a_day_still_to_come_is_refused(tmp_path):
    """Course 1 day 1 planned for 2027-01-11 cannot be recorded as given on 2026-11-30."""
    path = tmp_path / "rx.toml"
    text = rx()
    path.write_text(text)
    result = cli_run("change", str(path), "given", "--course", "1", "--day", "1", "--reason",
                     "x", "--today", TODAY.isoformat())
    assert result.exit_code == 1
    assert "--day: course 1 day 1 is planned for 2027-01-11, after today (2026-11-30)" \
        in result.stderr
    assert path.read_text() == text


def test_change_given_writes_the_planned_date(tmp_path):
    """A given recorded later than its day is dated by the plan: on = today, date = the day."""
    path = tmp_path / "rx.toml"
    path.write_text(rx(start=PAST))
    result = cli_run("change", str(path), "given", "--course", "1", "--day", "2", "--lot", "A1",
                     "--reason", "infused", "--today", "2026-04-03")
    assert result.exit_code == 0, result.output
    written, hash_line = path.read_text().rstrip("\n").rsplit("\n", 1)
    assert written.endswith('on = 2026-04-03\nkind = "given"\nreason = "infused"\n'
                            'course = 1\nday = 2\nlot = "A1"\ndate = 2026-03-31')
    assert re.fullmatch(r'hash = "[0-9a-f]{64}"', hash_line)  # the history's hash chain


# --- 8. rule h judges every count it can plan ------------------------------------------------


SLOW = """[patient]
id = "RH-1"
weight_kg = 99.5
timezone = "Europe/Amsterdam"
[order]
start = "2027-03-01"
[product]
id = "slow"
concentration_mg_per_ml = 50
vials_g = [1, 5, 10]
titration = [0.5]
step_minutes = 30
max_rate = 0.5
source = "test protocol"
[regimen]
id = "loading"
source = "test"
first_infusion_g = 10
[[regimen.phase]]
name = "loading"
dose_g_per_kg = 2
days = [2, 5]
weeks = [0]
"""


def test_rule_h_skips_counts_whose_days_cannot_fit_and_judges_the_others():
    """0.5 mg/kg/min × 99.5 kg × 60 ÷ 50 mg/mL = 59.7 mL/h; 199 g with a 10 g first infusion.
    2 days: day 2 is 189 g = 3780 mL, 63 h 19 min; 3 days: 94.5 g, 31 h 50 min: neither fits a
    day, so they are skipped. 4 and 5 days both run longer than 6 h (soft); on the tie the most
    days: 10 + 48 + 47 + 47 + 47 g (day 2: 960 mL ÷ 59.7 × 60 = 964.8 → 965 min)."""
    out = assess(SLOW)
    assert out.exit_code == jobs.EXIT_OK, out.error
    course = out.plan.courses[0]
    assert [d.grams for d in course.days] == [D(10), D(48), D(47), D(47), D(47)]
    assert course.days[1].infusion_minutes == 965
    assert "infusion.max_hours" in [w.code for w in out.plan.warnings]


def test_rule_h_names_every_count_when_none_can_be_planned():
    """With only 2-3 days allowed neither fits a day: one error naming both counts."""
    out = assess(SLOW.replace("days = [2, 5]", "days = [2, 3]"))
    assert out.exit_code == jobs.EXIT_BAD_INPUT
    message = str(out.errors[0])
    assert message.startswith("order.days_per_course: no day count can be planned for course 1")
    assert "2 days: course 1 day 2 would infuse for 63 h 19 min" in message
    assert "3 days: course 1 day 2 would infuse for 31 h 50 min" in message


def test_engine_raises_no_safety_refusal_of_its_own():
    """A first infusion larger than the course (30 g on the ward at 14 kg: 28 g) is computed and
    refused by dose.first_infusion, a rule in limits.toml."""
    text = (SAMPLES / "time-is-muscle.toml").read_text().replace("weight_kg = 70",
                                                                  "weight_kg = 14")
    out = jobs.run(jobs.Request(text=text, today=dt.date(2027, 1, 1)))
    assert out.plan is not None and out.plan.courses[0].first_infusion_exceeds
    assert "dose.first_infusion" in [b.rule.id for b in out.decision.refusals]


# --- 9. first exposure -----------------------------------------------------------------------


@pytest.mark.parametrize(("sample", "course"), [("proderm", 5), ("might", 4)])
@pytest.mark.parametrize("arm", ["active", "placebo"])
def test_first_open_label_course_gets_the_first_infusion_observation(sample, course, arm):
    """After a blinded phase the first open-label course may be a placebo patient's first IVIg:
    its day 1 gets 60 minutes' observation in both arms (day 2 keeps 30), and the plan says so."""
    text = (SAMPLES / f"{sample}.toml").read_text()
    out = jobs.run(jobs.Request(text=text, overrides={"arm": arm}, today=dt.date(2027, 1, 1)))
    days = out.plan.courses[course - 1].days
    assert days[0].leave - days[0].end == dt.timedelta(minutes=60)
    assert days[1].leave - days[1].end == dt.timedelta(minutes=30)
    slow = [w for w in out.plan.warnings if w.code == "infusion.slow_start"]
    assert [w for w in slow if f"course {course} day 1" in w.message]
