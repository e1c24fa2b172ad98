"""The trial pharmacy's use cases: import a randomisation list, assign a number, break the code
in an emergency, move stock, dispense what was given, label a bag, export the records.

Each takes what the command line gathered (texts, paths, who, the time) and returns a value or
raises the project's errors; the store (`pharmacy.store`) does every write in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import frozen

from ivig_schedule.input import tomltext
from ivig_schedule.jobs.core import Request, run
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.plan import Plan, ProductContents
from ivig_schedule.pharmacy import randomisation
from ivig_schedule.pharmacy.store import JOURNAL_FIELDS, Store, open_store

_TRIAL_HEADER = re.compile(r"^\[trial\][ \t]*(#.*)?$", re.MULTILINE)


def import_list(store_path: Path, trial: str, text: str, *, field: str | None,
                maps: Sequence[str], strata: Sequence[str], prefix: str | None, by: str,
                at: str, source: str) -> int:
    """Read an allocation table and add it to the store for `trial` (all or nothing)."""
    from ivig_schedule.input import catalog

    regimen = catalog.regimens().get(trial)
    if regimen is None or not regimen.blinded:
        blinded = [r.id for r in catalog.regimens().values() if r.blinded]
        raise PrescriptionError("--trial", trial, "must be a blinded regimen: " + ", ".join(blinded))
    rows = randomisation.read_list(text, field=field, coded=randomisation.parse_map(maps),
                                   strata=strata, prefix=prefix or trial.upper())
    store = open_store(store_path)
    try:
        return store.import_list(trial, rows, at=at, by=by, source=source)
    finally:
        store.close()


def _identity(text: str) -> tuple[str, str]:
    """A prescription's patient id and regimen id, read before it can be planned (it has no
    treatment number yet)."""
    data = tomltext.loads(text)
    patient, order = data.get("patient") or {}, data.get("order") or {}
    pid, regimen = patient.get("id"), order.get("regimen")
    if not isinstance(pid, str) or not pid:
        raise PrescriptionError("patient.id", pid, "is required to assign a treatment number")
    if not isinstance(regimen, str) or not regimen:
        raise PrescriptionError("order.regimen", regimen, "must name the trial's regimen")
    return pid, regimen


def with_treatment_number(text: str, number: str) -> str:
    """The prescription text with ``treatment_number`` written into its [trial] table (added
    when there is none); every other line is kept as it is."""
    line = f'treatment_number = "{number}"'
    match = _TRIAL_HEADER.search(text)
    if match is None:
        return text.rstrip("\n") + f"\n\n[trial]\n{line}\n"
    return text[:match.end()] + "\n" + line + text[match.end():]


def assign(text: str, store_path: Path, *, stratum: str, by: str, at: str) -> tuple[str, str]:
    """The next free treatment number in `stratum` for the prescription's patient, and the
    prescription text with it written in (unchanged when it already has that number)."""
    data = tomltext.loads(text)
    trial_table = data.get("trial") or {}
    if "arm" in trial_table:
        raise PrescriptionError("trial.arm", trial_table["arm"],
                                "is written in the prescription: remove it before assigning a "
                                "treatment number (the arm stays in the store)")
    pid, regimen = _identity(text)
    store = open_store(store_path, create=False)
    try:
        number = store.assign(regimen, pid, stratum, at=at, by=by)
    finally:
        store.close()
    if trial_table.get("treatment_number") == number:
        return number, text
    if "treatment_number" in trial_table:
        raise PrescriptionError("trial.treatment_number", trial_table["treatment_number"],
                                f"differs from the number the store holds for {pid} ({number})")
    return number, with_treatment_number(text, number)


def plan_of(text: str, store_path: Path, today: dt.date) -> Plan:
    """The prescription's plan with its arm resolved from the store (pharmacy use only)."""
    outcome = run(Request(text=text, store=store_path, today=today))
    return outcome.checked_plan()


def unblind(text: str, store_path: Path, *, by: str, reason: str, at: str) -> tuple[str, str]:
    """The arm, for the one who asks, with a log entry (who, when, why, which subject); and the
    prescription's ``[[change]] kind = "unblinding"`` (without the arm) to append."""
    data = tomltext.loads(text)
    number = (data.get("trial") or {}).get("treatment_number")
    if not isinstance(number, str):
        raise PrescriptionError("trial.treatment_number", number,
                                "is required: only a listed treatment number can be unblinded "
                                "here (an arm written in the prescription is not blinded)")
    pid, regimen = _identity(text)
    store = open_store(store_path, create=False)
    try:
        arm = store.unblind(regimen, number, pid, at=at, by=by, reason=reason)
    finally:
        store.close()
    from ivig_schedule.input import change_text

    fields = {"on": dt.date.fromisoformat(at[:10]), "kind": "unblinding", "reason": reason,
              "by": by}
    return arm, change_text.append_hashed(text, fields)


@frozen
class Dispensed:
    """What `dispense_given` recorded: new movements, ones already recorded, placebo days."""

    recorded: int
    already: int
    placebo_days: int


def dispense_given(text: str, store_path: Path, *, by: str, at: str,
                   today: dt.date) -> Dispensed:
    """Record the vials of every given day (its recorded lot) as dispensed from that lot:
    refused for a lot the store does not know, a vial size it does not hold, or a lot expired
    before the day given. Recording twice records once."""
    plan = plan_of(text, store_path, today)
    rx = plan.prescription
    store = open_store(store_path, create=False)
    recorded = already = placebo = 0
    try:
        for course in plan.courses:
            product = course.product or rx.product
            for day in course.days:
                change = day.given
                if day.status != "given" or change is None:
                    continue
                if not isinstance(day.contents, ProductContents):
                    placebo += 1
                    continue
                if not change.lot:
                    raise PrescriptionError(f"{change.path}.lot", None,
                                            "is required to dispense a given day from stock")
                sizes = dict(store.lot(product.id, change.lot))
                for vial in day.contents.vials:
                    expiry = sizes.get(vial.grams)
                    if expiry is None:
                        raise PrescriptionError(
                            f"{change.path}.lot", change.lot,
                            f"the store holds no {vial.grams.normalize():f} g vials of "
                            f"{product.id} lot {change.lot}: receive it first")
                    if expiry < change.given_on:
                        raise PrescriptionError(
                            f"{change.path}.lot", change.lot,
                            f"expired on {expiry}, before the day it was given "
                            f"({change.given_on})")
                    key = (f"dispense|{rx.patient.id}|{rx.order.identity}|{course.number}|"
                           f"{day.day}|{vial.grams}")
                    if store.move("dispense", product.id, change.lot, vial.grams, vial.count,
                                  at=at, by=by, key=key, subject=rx.patient.id,
                                  trial=rx.regimen.id,
                                  reason=f"course {course.number} day {day.day}"):
                        recorded += 1
                    else:
                        already += 1
    finally:
        store.close()
    return Dispensed(recorded, already, placebo)


def parse_vials(pairs: Sequence[str]) -> list[tuple[Decimal, int]]:
    """``SIZExCOUNT`` pairs (``--vials 10x5``: five 10 g vials)."""
    found = []
    for pair in pairs:
        size, sep, count = pair.lower().partition("x")
        try:
            grams, number = Decimal(size), int(count)
        except (ArithmeticError, ValueError):
            grams, number = Decimal(0), 0
        if not sep or grams <= 0 or number <= 0 or not grams.is_finite():
            raise PrescriptionError("--vials", pair, "must be SIZExCOUNT, e.g. 10x5 (five 10 g "
                                    "vials)")
        found.append((grams, number))
    if not found:
        raise PrescriptionError("--vials", None, "is required, e.g. --vials 10x5")
    return found


def move(store_path: Path, kind: str, product: str, lot: str, vials: Sequence[str], *,
         by: str, at: str, reason: str = "", expiry: dt.date | None = None) -> int:
    """Receive, return or destroy vials of one lot; every size in one call is one transaction
    each (a refused size leaves the others recorded before it)."""
    from ivig_schedule.input import catalog

    if product not in catalog.products():
        raise PrescriptionError("--product", product,
                                "allowed: " + ", ".join(catalog.products()))
    store = open_store(store_path, create=kind == "receive")
    try:
        for grams, count in parse_vials(vials):
            store.move(kind, product, lot, grams, count, at=at, by=by, reason=reason,
                       expiry=expiry)
    finally:
        store.close()
    return len(vials)


def holdings_text(store: Store) -> str:
    """What is on hand, a line per lot and vial size, with the balance's terms."""
    lines = ["product lot vial_g expiry received dispensed returned destroyed on_hand"]
    for h in store.holdings():
        lines.append(f"{h.product} {h.lot} {h.vial_g.normalize():f} {h.expiry} {h.received} "
                     f"{h.dispensed} {h.returned} {h.destroyed} {h.on_hand}")
    return "\n".join(lines) + "\n"


def export(store_path: Path, what: str, fmt: str) -> str:
    """The journal (every logged event), the unblinding log or the ledger, as CSV or JSON,
    for the trial master file."""
    store = open_store(store_path, create=False)
    try:
        if what == "ledger":
            header: Sequence[str] = ("product", "lot", "vial_g", "expiry", "received",
                                     "dispensed", "returned", "destroyed", "on_hand")
            rows: list[list[Any]] = [[h.product, h.lot, f"{h.vial_g.normalize():f}",
                                      h.expiry.isoformat(), h.received, h.dispensed,
                                      h.returned, h.destroyed, h.on_hand]
                                     for h in store.holdings()]
        else:
            header = JOURNAL_FIELDS
            entries = store.journal("unblind" if what == "unblinding" else None)
            rows = [[getattr(e, name) for name in JOURNAL_FIELDS] for e in entries]
        broken = store.verify()
    finally:
        store.close()
    if fmt == "json":
        return json.dumps({"format": "ivig-schedule/store-export@1", "what": what,
                           "chain_intact": broken is None,
                           "first_edited_entry": None if broken is None else broken.seq,
                           "rows": [dict(zip(header, row, strict=True)) for row in rows]},
                          ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
