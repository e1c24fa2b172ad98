"""One pipeline: plan, check and explain agree on every prescription, as a pharmacist runs them."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.input.limits_file import built_in_limits

from ..helpers import SAMPLES, to_toml

BUILT_IN_TEXT = (SAMPLES.parent / "ivig_schedule" / "input" / "catalog" / "limits.toml").read_text()
BUILT_IN_RULES = tomllib.loads(BUILT_IN_TEXT)["rule"]
LOCAL_PRODUCT = {
    "id": "local-x", "concentration_mg_per_ml": 100, "vials_g": [2.5, 5, 10, 20],
    "titration": [1, 2, 4], "step_minutes": 30, "max_rate": 4, "source": "ward protocol",
}


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@st.composite
def prescriptions(draw) -> dict:
    """A plausible prescription, sometimes with a broken local product."""
    regimen = draw(st.sampled_from(["2g-q4w", "loading-2g-then-1g-q3w", "proderm", "might",
                                    "lim-2021"]))
    data: dict = {
        "patient": {"id": "AG-1", "weight_kg": draw(st.sampled_from(
            [1.5, 45, 72.5, 95.5, 121, 151, 280, 310])), "timezone": "Europe/Amsterdam"},
        "order": {"regimen": regimen, "start": draw(st.sampled_from(
            ["2026-12-01", "2027-03-01"]))},
    }
    if draw(st.booleans()):
        data["order"]["days_per_course"] = draw(st.integers(min_value=1, max_value=5))
    if regimen in ("proderm", "might"):
        data["trial"] = {"arm": draw(st.sampled_from(["active", "placebo"]))}
    product = draw(st.sampled_from(["catalog", "octagam-10", "kiovig", "local", "broken"]))
    if product == "octagam-10" or (product == "catalog" and regimen in ("2g-q4w", "might",
                                                                       "loading-2g-then-1g-q3w")):
        data["order"]["product"] = "octagam-10"
    elif product == "kiovig":
        data["order"]["product"] = "kiovig"
    elif product in ("local", "broken"):
        table = dict(LOCAL_PRODUCT)
        if product == "broken":
            del table[draw(st.sampled_from(["vials_g", "titration", "max_rate", "source"]))]
        data["product"] = table
    return data


@st.composite
def limits_files(draw) -> str:
    """The built-in rules, or a pharmacy's file with some rules dropped or a bound moved."""
    rules = [dict(r) for r in BUILT_IN_RULES]
    if draw(st.booleans()):
        keep = draw(st.lists(st.sampled_from(range(len(rules))), min_size=1, unique=True))
        rules = [rules[i] for i in sorted(keep)]
    if draw(st.booleans()):
        rule = draw(st.sampled_from(rules))
        for key in ("upper_soft", "upper_hard"):
            if isinstance(rule.get(key), int | float):
                rule[key] = rule[key] * draw(st.sampled_from([0.5, 2]))
    lines = ['name = "Pharmacy"', 'version = "7"']
    for rule in rules:
        lines.append("[[rule]]")
        lines.extend(f"{k} = {json.dumps(v)}" for k, v in rule.items() if k != "scope")
    return "\n".join(lines) + "\n"


def named(output: str) -> set[str]:
    """Rule ids and field paths an output names (``error: FIELD:`` / ``rule RULE`` / ``refuse:``)."""
    found = set(re.findall(r"error: ([^ :]+):", output))
    found |= set(re.findall(r"refused by rule ([^ :]+):", output))
    found |= set(re.findall(r"refuse: ([^ :]+):", output))
    return found


@pytest.mark.slow
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(prescriptions(), limits_files(), st.booleans())
def test_plan_check_and_explain_agree(tmp_path, data, limits, strict):
    """Same exit code, and what plan names (field or rule) check names too; explain agrees."""
    rx = tmp_path / "rx.toml"
    rx.write_text(to_toml(data))
    limits_path = tmp_path / "limits.toml"
    limits_path.write_text(limits)
    common = ["--limits", str(limits_path), "--today", "2027-01-15"] + (["--strict"] if strict
                                                                         else [])
    planned = run("plan", str(rx), "-f", "json", *common)
    checked = run("check", str(rx), *common)
    explained = run("explain", str(rx), "-f", "json", *common)
    assert planned.exit_code in (0, 1, 3), planned.output
    event(f"exit {planned.exit_code}")
    assert planned.exit_code == checked.exit_code == explained.exit_code, (
        planned.output, checked.output, explained.output)
    assert "internal error" not in planned.output + checked.output + explained.output
    if planned.exit_code == 0:
        assert checked.output.strip().endswith("ok: the prescription would plan")
        assert json.loads(planned.stdout)["format"] == "ivig-schedule/plan@1"
    else:
        said = named(planned.stderr)
        assert said, planned.stderr
        assert said <= named(checked.output), (planned.stderr, checked.output)
        assert said <= named(explained.stderr), (planned.stderr, explained.stderr)


def test_local_product_without_vials_fails_alike_everywhere(tmp_path):
    """The reported bug: check passed a local product without vials_g that plan crashed on."""
    table = {k: v for k, v in LOCAL_PRODUCT.items() if k != "vials_g"}
    rx = tmp_path / "rx.toml"
    rx.write_text(to_toml({"patient": {"weight_kg": 70, "timezone": "UTC"},
                           "order": {"regimen": "2g-q4w", "start": "2027-03-01"},
                           "product": table}))
    for command in ("check", "plan", "explain"):
        result = run(command, str(rx), "--today", "2027-01-01")
        assert result.exit_code == 1, (command, result.output)
        assert "error: product.vials_g: is required in a local [product] table" in result.output
        assert "internal error" not in result.output


def test_unverified_product_under_custom_limits_fails_alike(tmp_path):
    """The other reported split: kiovig with a limits file lacking data.product_unverified."""
    limits = tmp_path / "limits.toml"
    limits.write_text('name = "L"\nversion = "1"\n[[rule]]\nid = "w"\nquantity = "weight_kg"\n'
                      'unit = "kg"\nupper_hard = 500\nmessage = "m"\nsource = "s"\n')
    sample = str(SAMPLES / "2g-q4w.toml")
    for command in ("check", "plan", "explain"):
        result = run(command, sample, "--product", "kiovig", "--limits", str(limits))
        assert result.exit_code == 1, (command, result.output)
        assert "order.product: has unconfirmed titration" in result.output


def test_check_lists_every_error_of_one_section(tmp_path):
    """Three bad fields in [patient] and two in [order] give five error lines, not two."""
    rx = tmp_path / "rx.toml"
    rx.write_text('[patient]\nweight_kg = -5\nsex = "x"\ntimezone = "Mars/Base"\n'
                  '[order]\nregimen = "2g-q4w"\nproduct = "octagam-10"\nstart = "soon"\n'
                  'rounding = "up"\n')
    result = run("check", str(rx))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert [e.split(":")[1] for e in errors] == [
        " patient.weight_kg", " patient.sex", " patient.timezone", " order.start",
        " order.rounding"]
    planned = run("plan", str(rx))
    assert planned.stderr.strip() == (
        errors[0] + "; and 4 more: run `ivig-schedule check`")


def test_outcome_is_a_value_and_never_exits():
    """jobs.run returns errors as values: a bad prescription gives an Outcome with exit code 1."""
    outcome = jobs.run(jobs.Request(text="[patient]\nweight_kg = -1\n"))
    assert outcome.exit_code == jobs.EXIT_BAD_INPUT
    assert [e.field for e in outcome.errors] == ["patient.weight_kg", "order"]
    assert outcome.plan is None


def test_soft_breach_under_strict_names_accept_not_limits_file():
    """--strict refusing a soft breach tells the pharmacist to --accept it, not to edit limits."""
    outcome = jobs.run(jobs.Request(text=(SAMPLES / "proderm.toml").read_text(),
                                    overrides={"weight": "155"}, strict=True,
                                    limits=built_in_limits()))
    assert outcome.exit_code == jobs.EXIT_REFUSED
    message = str(outcome.error)
    assert "--accept weight.range --reason TEXT" in message
    assert "--limits" not in message


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_json_arrive_and_leave_match_the_calendar(path):
    """arrive and leave in the JSON are the times every renderer reads (setup and observation)."""
    import datetime as dt

    data = json.loads(path.with_suffix(".pharmacy.json").read_text())
    first, blinded_before, exposed = True, False, False
    for course in data["courses"]:
        # The plan's first infusion, and the first open-label course after a blinded phase (a
        # placebo patient's first immunoglobulin), get 60 minutes' observation.
        exposure = blinded_before and not course["blinded"] and not exposed
        exposed = exposed or exposure
        blinded_before = blinded_before or course["blinded"]
        for day in course["days"]:
            start, end = (dt.datetime.fromisoformat(day[k]) for k in ("start", "end"))
            arrive, leave = (dt.datetime.fromisoformat(day[k]) for k in ("arrive", "leave"))
            assert start - arrive == dt.timedelta(minutes=15)
            long = first or (exposure and day["day"] == 1)
            assert leave - end == dt.timedelta(minutes=60 if long else 30)
            first = False
