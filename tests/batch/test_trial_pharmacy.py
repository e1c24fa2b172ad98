"""The trial pharmacy: the arm lives in the store's randomisation list, never in a prescription;
labels, calendars and sheets of masked roles do not depend on it; unblinding is logged; the
ledger balances per lot; the store survives concurrent writers and shows any edited entry."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import sqlite3
from decimal import Decimal as D
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivig_schedule import jobs
from ivig_schedule.cli.app import cli
from ivig_schedule.jobs import pharmacy
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.pharmacy.store import open_store
from ivig_schedule.render import label as label_render
from ivig_schedule.render.records import to_json
from ivig_schedule.render.sheet import to_html
from ivig_schedule.render.table import to_table
from ivig_schedule.views.label import label_view
from ivig_schedule.views.views import plan_view

from ..helpers import calendar

TODAY = "2027-01-01"
AT = "2026-12-06T10:00:00+00:00"
CARE = ('\n[care]\nnurse = "Lee"\nunblinding_contact = "Research pharmacy, +1 205 555 0100 '
        '(24 h)"\nlabel_storage = "Store at 2-8 °C; do not freeze"\n')


def prescription(number: int, treatment: str | None = None) -> str:
    """A MIGHT prescription for patient MG-nn, 70 kg (2 × 70 = 140 g a course)."""
    text = (f'[patient]\nid = "MG-{number:02d}"\nweight_kg = 70\ntimezone = "America/Chicago"'
            '\n\n[order]\nproduct = "octagam-10"\nregimen = "might"\nstart = 2027-01-11\n'
            + CARE)
    if treatment:
        text += f'\n[trial]\ntreatment_number = "{treatment}"\n'
    return text


def redcap_list(codes: list[str]) -> str:
    """REDCap's allocation table: the randomised field (coded) and a stratum, no numbers."""
    return "rand_group,site\n" + "".join(f"{c},1\n" for c in codes) + ""


def store_with(path: Path, codes: list[str], mapping: tuple[str, ...]) -> Path:
    pharmacy.import_list(path, "might", redcap_list(codes), field="rand_group", maps=mapping,
                         strata=["site"], prefix="M", by="A. Pharm", at=AT, source="list.csv")
    return path


TWELVE = ["1", "2", "2", "1", "1", "2", "1", "2", "2", "1", "1", "2"]


def test_a_might_roster_plans_every_patient_from_a_twelve_number_list(tmp_path):
    """12 prescriptions assigned M-001 … M-012 in list order plan in one roster (exit 0), and
    the pharmacy's JSON shows each arm as the list codes it (1 = active, 2 = placebo)."""
    store_with(tmp_path / "ivig-schedule.sqlite", TWELVE, ("1=active", "2=placebo"))
    lines = ["prescription"]
    for n in range(1, 13):
        text = prescription(n)
        number, new = pharmacy.assign(text, tmp_path / "ivig-schedule.sqlite", stratum="site=1",
                                      by="A. Pharm", at=AT)
        assert number == f"M-{n:03d}"
        (tmp_path / f"m{n}.toml").write_text(new)
        lines.append(f"m{n}.toml")
    (tmp_path / "roster.csv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["roster", str(tmp_path / "roster.csv"), "-o",
                                      str(tmp_path / "out"), "--today", TODAY, "--quiet"])
    planned = sorted(p.name for p in (tmp_path / "out" / "patients").iterdir())
    assert planned == [f"MG-{n:02d}" for n in range(1, 13)], result.output
    arms = [json.loads((tmp_path / "out" / "patients" / f"MG-{n:02d}" / "pharmacy.json")
                       .read_text())["arm"] for n in range(1, 13)]
    assert arms == ["active" if c == "1" else "placebo" for c in TWELVE]


def outputs_of(store: Path, text: str) -> dict[str, bytes]:
    """Every masked role's outputs and the course 1 day 1 bag label."""
    outcome = jobs.run(jobs.Request(text=text, store=store, today=dt.date(2027, 1, 1)),
                       revisions=True)
    plan = outcome.checked_plan()
    found: dict[str, bytes] = {}
    for role in ("nurse", "patient", "assessor"):
        view = plan_view(plan, role)
        found[f"{role}.json"] = to_json(view).encode()
        found[f"{role}.table"] = to_table(view).encode()
        found[f"{role}.ics"] = calendar(outcome, role)
        if role == "nurse":  # the sheet is for roles that see the pump programme
            found[f"{role}.sheet"] = to_html(view).encode()
    found["label.html"] = label_render.to_html(label_view(plan, 1, 1)).encode()
    found["pharmacy.json"] = to_json(plan_view(plan, "pharmacy")).encode()
    return found


def test_masked_outputs_and_labels_do_not_depend_on_the_arm(tmp_path):
    """The same prescription (M-001) against two stores whose lists code it active and placebo:
    every nurse, patient and assessor output and the bag label are byte-identical; only the
    pharmacy's differs (it sees the arm)."""
    text = prescription(1, "M-001")
    active = store_with(tmp_path / "a.sqlite", ["1"], ("1=active",))
    placebo = store_with(tmp_path / "p.sqlite", ["1"], ("1=placebo",))
    one, other = outputs_of(active, text), outputs_of(placebo, text)
    for name in one:
        if name != "pharmacy.json":
            assert one[name] == other[name], name
    assert one["pharmacy.json"] != other["pharmacy.json"]
    label = one["label.html"].decode()
    for particular in ("NCT06599697", "M-001", "MG-01", "course 1 · day 1",
                       "or placebo (sodium chloride 0.9%)", "For clinical trial use only",
                       "Store at 2-8 °C", "+1 205 555 0100", "01/2027", "700 mL"):
        assert particular in label, particular


def test_unblinding_logs_one_line_and_changes_no_masked_output(tmp_path):
    """`unblind` shows the arm, writes one log entry (who, when, why, which subject, no arm),
    and records an unblinding change; the masked outputs after it stay identical across arms."""
    text = prescription(1, "M-001")
    stores = {arm: store_with(tmp_path / f"{arm}.sqlite", ["1"], (f"1={arm}",))
              for arm in ("active", "placebo")}
    after = {}
    for arm, store in stores.items():
        shown, new = pharmacy.unblind(text, store, by="Dr Ortiz", reason="anaphylaxis",
                                      at=AT)
        assert shown == arm
        log = pharmacy.export(store, "unblinding", "json")
        rows = json.loads(log)["rows"]
        assert [(r["by"], r["subject"], r["reason"], r["at"]) for r in rows] == [
            ("Dr Ortiz", "MG-01", "anaphylaxis", AT)]
        assert arm not in log
        assert "active" not in new.split("[[change]]")[-1]
        assert "placebo" not in new.split("[[change]]")[-1]
        after[arm] = outputs_of(store, new)
    for name in after["active"]:
        if name != "pharmacy.json":
            assert after["active"][name] == after["placebo"][name], name
    nurse = json.loads(after["active"]["nurse.json"])
    assert [c["kind"] for c in nurse["changes"]] == ["unblinding"]


@pytest.mark.parametrize(("text", "field"), [
    (prescription(1, "M-001") + 'arm = "active"\n', "trial.arm"),
    (prescription(1, "M-099"), "trial.treatment_number"),
])
def test_bad_trial_fields_are_input_errors(tmp_path, text, field):
    """Both arm and number, or a number not in the list: exit 1 naming the field."""
    store = store_with(tmp_path / "s.sqlite", ["1"], ("1=active",))
    outcome = jobs.run(jobs.Request(text=text, store=store, today=dt.date(2027, 1, 1)))
    assert outcome.exit_code == 1
    assert outcome.errors[0].field == field


def test_a_number_is_used_by_one_patient_only(tmp_path):
    """M-001 taken by MG-01 cannot be named by MG-02."""
    store = store_with(tmp_path / "s.sqlite", ["1", "2"], ("1=active", "2=placebo"))
    first = jobs.run(jobs.Request(text=prescription(1, "M-001"), store=store))
    assert first.exit_code == 0, first.error
    second = jobs.run(jobs.Request(text=prescription(2, "M-001"), store=store))
    assert second.exit_code == 1 and "assigned to another patient" in str(second.error)


def test_a_list_with_a_duplicate_number_is_refused_whole(tmp_path):
    """treatment_number,arm with M-1 twice: an error naming row 2, and nothing imported."""
    with pytest.raises(PrescriptionError) as caught:
        pharmacy.import_list(tmp_path / "s.sqlite", "might",
                             "treatment_number,arm\nM-1,active\nM-1,placebo\n", field=None,
                             maps=(), strata=(), prefix=None, by="A", at=AT, source="l.csv")
    assert "row 2.treatment_number" in str(caught.value)
    store = open_store(tmp_path / "s.sqlite")
    assert store.numbers("might") == ()
    store.close()


def given(course: int, day: int, date: str, lot: str) -> str:
    return (f'\n[[change]]\non = {date}\nkind = "given"\nreason = "given"\ncourse = {course}\n'
            f'day = {day}\nlot = "{lot}"\n')


def test_the_ledger_balances_per_lot(tmp_path):
    """Receive 20 × 30 g and 20 × 10 g of lot L1; course 1 (140 g over 2 days: 70 g = 2 × 30 g
    + 1 × 10 g a day) given from L1; return 1 × 30 g, destroy 1 × 10 g. On hand: 30 g: 20 − 4
    − 1 = 15; 10 g: 20 − 2 − 1 = 17. Dispensing twice records once."""
    store = store_with(tmp_path / "s.sqlite", ["1"], ("1=active",))
    for vials in ("30x20", "10x20"):
        pharmacy.move(store, "receive", "octagam-10", "L1", [vials], by="A", at=AT,
                      expiry=dt.date(2028, 1, 31))
    text = prescription(1, "M-001") + given(1, 1, "2027-01-11", "L1") + \
        given(1, 2, "2027-01-12", "L1")
    plan = pharmacy.plan_of(text, store, dt.date(2027, 1, 13))
    assert [(v.grams, v.count) for v in plan.courses[0].days[0].contents.vials] == [
        (D(30), 2), (D(10), 1)]
    first = pharmacy.dispense_given(text, store, by="A", at=AT, today=dt.date(2027, 1, 13))
    again = pharmacy.dispense_given(text, store, by="A", at=AT, today=dt.date(2027, 1, 13))
    assert (first.recorded, again.recorded, again.already) == (4, 0, 4)
    pharmacy.move(store, "return", "octagam-10", "L1", ["30x1"], by="A", at=AT, reason="spare")
    pharmacy.move(store, "destroy", "octagam-10", "L1", ["10x1"], by="A", at=AT,
                  reason="dropped")
    opened = open_store(store)
    holdings = {h.vial_g: h for h in opened.holdings()}
    opened.close()
    for size, expected in ((D(30), (20, 4, 1, 0, 15)), (D(10), (20, 2, 0, 1, 17))):
        h = holdings[size]
        assert (h.received, h.dispensed, h.returned, h.destroyed, h.on_hand) == expected
        assert h.on_hand == h.received - h.dispensed - h.returned - h.destroyed


@pytest.mark.parametrize(("lot", "expiry", "says"), [
    ("L9", None, "receive it first"),
    ("L2", dt.date(2027, 1, 10), "expired on 2027-01-10"),
])
def test_an_unknown_or_expired_lot_is_not_dispensed(tmp_path, lot, expiry, says):
    """A given day's lot the store does not know, or one that expired before the day given."""
    store = store_with(tmp_path / "s.sqlite", ["1"], ("1=active",))
    pharmacy.move(store, "receive", "octagam-10", "L2", ["30x20", "10x20"], by="A", at=AT,
                  expiry=expiry or dt.date(2028, 1, 1))
    text = prescription(1, "M-001") + given(1, 1, "2027-01-11", lot)
    with pytest.raises(PrescriptionError) as caught:
        pharmacy.dispense_given(text, store, by="A", at=AT, today=dt.date(2027, 1, 12))
    assert says in str(caught.value)


def _writer(args: tuple[str, int]) -> None:
    path, worker = args
    for i in range(10):
        pharmacy.move(Path(path), "receive", "octagam-10", f"W{worker}-{i}", ["10x1"],
                      by=f"worker {worker}", at=AT, expiry=dt.date(2028, 1, 1))


def test_twenty_concurrent_writers_lose_nothing(tmp_path):
    """20 processes × 10 receipts at once: 200 journal entries, 200 lots, the chain intact."""
    path = tmp_path / "s.sqlite"
    open_store(path).close()
    with multiprocessing.get_context("spawn").Pool(20) as pool:
        pool.map(_writer, [(str(path), w) for w in range(20)])
    store = open_store(path)
    assert len(store.journal("receive")) == 200
    assert len(store.holdings()) == 200
    assert store.verify() is None
    store.close()


def test_an_edited_entry_breaks_the_chain_where_it_was_edited(tmp_path):
    """Changing who recorded entry 2 makes `verify` (and the export) name entry 2."""
    path = store_with(tmp_path / "s.sqlite", ["1"], ("1=active",))
    for lot in ("A", "B", "C"):
        pharmacy.move(path, "receive", "octagam-10", lot, ["10x1"], by="A", at=AT,
                      expiry=dt.date(2028, 1, 1))
    raw = sqlite3.connect(path)
    raw.execute("UPDATE journal SET by = 'someone else' WHERE seq = 2")
    raw.commit()
    raw.close()
    report = json.loads(pharmacy.export(path, "journal", "json"))
    assert (report["chain_intact"], report["first_edited_entry"]) == (False, 2)


def test_a_trials_change_says_who_recorded_it(tmp_path):
    """`change` on a trial prescription without --by (and no [care] user) is refused (exit 1,
    naming --by) and writes nothing; with --by the [[change]] carries it, and JSON shows it."""
    store = store_with(tmp_path / "ivig-schedule.sqlite", ["1"], ("1=active",))
    rx = tmp_path / "m1.toml"
    rx.write_text(prescription(1, "M-001"))
    before = rx.read_bytes()
    args = ["change", str(rx), "delay", "--course", "2", "--days", "7", "--reason", "fever",
            "--on", "2026-12-01", "--today", "2026-12-02"]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 1 and "--by" in refused.output
    assert rx.read_bytes() == before
    done = CliRunner().invoke(cli, [*args, "--by", "A. Pharm"])
    assert done.exit_code == 0, done.output
    assert 'by = "A. Pharm"' in rx.read_text()
    plan = pharmacy.plan_of(rx.read_text(), store, dt.date(2026, 12, 2))
    record = json.loads(to_json(plan_view(plan, "nurse")))
    assert [(c["kind"], c["by"]) for c in record["changes"]] == [("delay", "A. Pharm")]


def test_the_pdf_label_is_byte_identical_across_arms(tmp_path):
    """The PDF bag label of M-001 from a store coding it active and one coding it placebo."""
    from ..helpers import needs_pdf

    needs_pdf()
    text = prescription(1, "M-001")
    pdfs = []
    for arm in ("active", "placebo"):
        store = store_with(tmp_path / f"{arm}.sqlite", ["1"], (f"1={arm}",))
        plan = pharmacy.plan_of(text, store, dt.date(2027, 1, 1))
        pdfs.append(label_render.to_pdf(label_view(plan, 1, 1)))
    assert pdfs[0].startswith(b"%PDF") and pdfs[0] == pdfs[1]


def test_check_names_the_first_edited_change(tmp_path):
    """Three changes recorded with `change` carry chained hashes; editing change[1]'s days by
    hand makes `check` name change[1] (history.edited), and the untouched file names none."""
    rx = tmp_path / "rx.toml"
    rx.write_text('[patient]\nid = "H-1"\nweight_kg = 70\ntimezone = "Europe/Amsterdam"\n'
                  '\n[order]\nproduct = "octagam-10"\nregimen = "2g-q4w"\nstart = 2027-01-11\n'
                  'courses = 4\n')
    for course, days in ((2, 7), (3, 5), (4, 3)):
        done = CliRunner().invoke(cli, ["change", str(rx), "delay", "--course", str(course),
                                        "--days", str(days), "--reason", "r", "--on",
                                        "2026-12-01", "--today", "2026-12-02"])
        assert done.exit_code == 0, done.output
    text = rx.read_text()
    assert text.count("hash = ") == 3
    clean = CliRunner().invoke(cli, ["check", str(rx), "--today", "2026-12-02"])
    assert "history.edited" not in clean.output
    rx.write_text(text.replace("days = 5", "days = 6"))
    edited = CliRunner().invoke(cli, ["check", str(rx), "--today", "2026-12-02"])
    assert "history.edited" in edited.output and "change[1]" in edited.output


def test_stock_commands_take_the_store_where_a_user_puts_it(tmp_path):
    """`stock receive … --store FILE` (after the subcommand) records 4 × 30 g of lot L1, and
    `stock --store FILE` lists 4 on hand; "--vials 30" without a count is one clear error."""
    store = str(tmp_path / "s.sqlite")
    args = ["stock", "receive", "--product", "octagam-10", "--lot", "L1", "--expiry",
            "2028-01-01", "--by", "A", "--store", store]
    bad = CliRunner().invoke(cli, [*args, "--vials", "30"])
    assert bad.exit_code == 1 and "--vials: must be SIZExCOUNT" in bad.output
    done = CliRunner().invoke(cli, [*args, "--vials", "30x4"])
    assert done.exit_code == 0, done.output
    listed = CliRunner().invoke(cli, ["stock", "--store", store])
    assert "octagam-10 L1 30 2028-01-01 4 0 0 0 4" in listed.output
