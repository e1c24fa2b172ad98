"""The trial pharmacy's store: one SQLite file next to the roster, shared by the staff.

It holds what must never be in a prescription and must survive concurrent use:

- the randomisation list (treatment number → arm, stratum, the subject it was assigned to);
- the journal: every import, assignment, unblinding and stock movement, each with who (`by`),
  when and why, chained by hash (each entry's hash covers the previous entry's), so that an
  edited entry is found (`verify`);
- the lots received (product, lot, vial size, expiry).

Every write is one ``BEGIN IMMEDIATE`` transaction in WAL mode: writers queue (a busy timeout),
readers never block, and a failed write changes nothing. The schema has a version; `open_store`
migrates an older file forward in a transaction.

The clock is the caller's: every write takes `at` (the command line passes the time it runs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import frozen

from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.pharmacy import STORE_NAME

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 60.0
"""How long a writer waits for another one to finish before giving up (seconds)."""
DEFAULT_NAME = STORE_NAME
JOURNAL_FIELDS = ("seq", "at", "by", "kind", "trial", "subject", "product", "lot", "vial_g",
                  "vials", "reason", "detail", "key", "prev", "hash")
KINDS = ("import", "assign", "unblind", "receive", "dispense", "return", "destroy")
MOVES = {"receive": 1, "dispense": -1, "return": -1, "destroy": -1}
"""Each stock movement's sign on the lot's balance: received − dispensed − returned − destroyed."""

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE allocation (trial TEXT NOT NULL, number TEXT NOT NULL, arm TEXT NOT NULL,"
        " stratum TEXT NOT NULL DEFAULT '', subject TEXT, PRIMARY KEY (trial, number))",
        "CREATE UNIQUE INDEX allocation_subject ON allocation (trial, subject)"
        " WHERE subject IS NOT NULL",
        "CREATE TABLE lot (product TEXT NOT NULL, lot TEXT NOT NULL, vial_g TEXT NOT NULL,"
        " expiry TEXT NOT NULL, PRIMARY KEY (product, lot, vial_g))",
        "CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,"
        " by TEXT NOT NULL, kind TEXT NOT NULL, trial TEXT NOT NULL DEFAULT '',"
        " subject TEXT NOT NULL DEFAULT '', product TEXT NOT NULL DEFAULT '',"
        " lot TEXT NOT NULL DEFAULT '', vial_g TEXT NOT NULL DEFAULT '',"
        " vials INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',"
        " detail TEXT NOT NULL DEFAULT '', key TEXT UNIQUE, prev TEXT NOT NULL,"
        " hash TEXT NOT NULL)",
    ),
}
"""Schema version → the statements that bring the previous version to it."""


@frozen
class Entry:
    """One journal entry (an import, assignment, unblinding or stock movement)."""

    seq: int
    at: str
    by: str
    kind: str
    trial: str
    subject: str
    product: str
    lot: str
    vial_g: str
    vials: int
    reason: str
    detail: str
    key: str | None
    prev: str
    hash: str


@frozen
class Holding:
    """What is on hand of one lot and vial size, with its movements."""

    product: str
    lot: str
    vial_g: Decimal
    expiry: dt.date
    received: int
    dispensed: int
    returned: int
    destroyed: int

    @property
    def on_hand(self) -> int:
        """received − dispensed − returned − destroyed, in vials."""
        return self.received - self.dispensed - self.returned - self.destroyed


def _digest(prev: str, row: Sequence[Any]) -> str:
    """The entry's hash: SHA-256 over the previous entry's hash and this entry's fields."""
    body = json.dumps([prev, *[str(v) if v is not None else None for v in row]],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class Store:
    """An open store (use `open_store`)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it, or (on any error) none of it."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- journal ------------------------------------------------------------------------

    def append(self, db: sqlite3.Connection, *, at: str, by: str, kind: str, trial: str = "",
               subject: str = "", product: str = "", lot: str = "", vial_g: str = "",
               vials: int = 0, reason: str = "", detail: str = "",
               key: str | None = None) -> bool:
        """Append one entry inside a transaction; False when `key` is already recorded (the
        same movement recorded twice is recorded once)."""
        if not by.strip():
            raise PrescriptionError("--by", by, "is required: who does this (a name or initials)")
        if key is not None and db.execute("SELECT 1 FROM journal WHERE key = ?",
                                          (key,)).fetchone():
            return False
        last = db.execute("SELECT hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        prev = last[0] if last else ""
        row = (at, by, kind, trial, subject, product, lot, vial_g, vials, reason, detail, key)
        db.execute("INSERT INTO journal (at, by, kind, trial, subject, product, lot, vial_g,"
                   " vials, reason, detail, key, prev, hash) VALUES"
                   " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (*row, prev, _digest(prev, row)))
        return True

    def journal(self, kind: str | None = None) -> tuple[Entry, ...]:
        """Every entry in order (of one kind, when given)."""
        query = "SELECT " + ", ".join(JOURNAL_FIELDS) + " FROM journal"
        rows = (self._db.execute(query + " WHERE kind = ? ORDER BY seq", (kind,)) if kind
                else self._db.execute(query + " ORDER BY seq"))
        return tuple(Entry(*row) for row in rows)

    def verify(self) -> Entry | None:
        """The first entry whose hash no longer matches its content or its predecessor (an
        edit, a deletion or an insertion after the fact); None when the chain holds."""
        prev = ""
        for entry in self.journal():
            row = (entry.at, entry.by, entry.kind, entry.trial, entry.subject, entry.product,
                   entry.lot, entry.vial_g, entry.vials, entry.reason, entry.detail, entry.key)
            if entry.prev != prev or entry.hash != _digest(prev, row):
                return entry
            prev = entry.hash
        return None

    # --- randomisation ------------------------------------------------------------------

    def import_list(self, trial: str, rows: Sequence[tuple[str, str, str]], *, at: str,
                    by: str, source: str) -> int:
        """Add a randomisation list (number, arm, stratum) for `trial`, all or nothing: a
        number already in the store is an error naming it."""
        with self.transaction() as db:
            for number, arm, stratum in rows:
                try:
                    db.execute("INSERT INTO allocation (trial, number, arm, stratum)"
                               " VALUES (?, ?, ?, ?)", (trial, number, arm, stratum))
                except sqlite3.IntegrityError:
                    raise PrescriptionError(
                        "treatment_number", number,
                        f"is already in the store's list for {trial}; each number is listed "
                        "once") from None
            self.append(db, at=at, by=by, kind="import", trial=trial,
                        detail=f"{len(rows)} treatment numbers from {source}")
        return len(rows)

    def numbers(self, trial: str) -> tuple[tuple[str, str, str | None], ...]:
        """The trial's treatment numbers with stratum and subject (never the arm)."""
        return tuple(self._db.execute(
            "SELECT number, stratum, subject FROM allocation WHERE trial = ? ORDER BY rowid",
            (trial,)))

    def arm(self, trial: str, number: str, subject: str) -> str:
        """The arm behind a treatment number, for the patient it was assigned to (or the first
        time a prescription names it: it is assigned then)."""
        with self.transaction() as db:
            row = db.execute("SELECT arm, subject FROM allocation WHERE trial = ? AND number = ?",
                             (trial, number)).fetchone()
            if row is None:
                raise PrescriptionError(
                    "trial.treatment_number", number,
                    f"is not in the randomisation list of {trial} in {self.path}; run "
                    "`ivig-schedule randomise import` first, or check the number")
            arm, holder = row
            if holder is not None and holder != subject:
                raise PrescriptionError(
                    "trial.treatment_number", number,
                    f"is assigned to another patient ({holder}); each number is used once")
            if holder is None:
                try:
                    db.execute("UPDATE allocation SET subject = ? WHERE trial = ? AND number = ?",
                               (subject, trial, number))
                except sqlite3.IntegrityError:
                    raise PrescriptionError(
                        "trial.treatment_number", number,
                        f"patient {subject} already has another treatment number in "
                        f"{trial}") from None
        return str(arm)

    def assign(self, trial: str, subject: str, stratum: str, *, at: str, by: str) -> str:
        """The next free treatment number in `stratum` for `subject` (the same number when
        the subject already has one)."""
        with self.transaction() as db:
            held = db.execute("SELECT number FROM allocation WHERE trial = ? AND subject = ?",
                              (trial, subject)).fetchone()
            if held is not None:
                return str(held[0])
            free = db.execute("SELECT number FROM allocation WHERE trial = ? AND stratum = ?"
                              " AND subject IS NULL ORDER BY rowid LIMIT 1",
                              (trial, stratum)).fetchone()
            if free is None:
                raise PrescriptionError(
                    "--stratum", stratum or "(none)",
                    f"has no free treatment number left in {trial}'s list")
            db.execute("UPDATE allocation SET subject = ? WHERE trial = ? AND number = ?",
                       (subject, trial, free[0]))
            self.append(db, at=at, by=by, kind="assign", trial=trial, subject=subject,
                        detail=f"treatment number {free[0]}" + (f", stratum {stratum}"
                                                                 if stratum else ""))
        return str(free[0])

    def unblind(self, trial: str, number: str, subject: str, *, at: str, by: str,
                reason: str) -> str:
        """The arm, for the one who asks, with an entry in the log (who, when, why, which
        subject; never the arm)."""
        if not reason.strip():
            raise PrescriptionError("--reason", reason, "is required: why the code is broken")
        arm = self.arm(trial, number, subject)
        with self.transaction() as db:
            self.append(db, at=at, by=by, kind="unblind", trial=trial, subject=subject,
                        reason=reason, detail=f"treatment number {number}")
        return arm

    # --- stock --------------------------------------------------------------------------

    def lot(self, product: str, lot: str) -> tuple[tuple[Decimal, dt.date], ...]:
        """The vial sizes and expiry recorded for a lot."""
        return tuple((Decimal(size), dt.date.fromisoformat(expiry)) for size, expiry in
                     self._db.execute("SELECT vial_g, expiry FROM lot WHERE product = ? AND"
                                      " lot = ?", (product, lot)))

    def move(self, kind: str, product: str, lot: str, vial_g: Decimal, vials: int, *, at: str,
             by: str, reason: str = "", expiry: dt.date | None = None, key: str | None = None,
             subject: str = "", trial: str = "") -> bool:
        """Record one stock movement (receive needs the expiry); refuses to take out more
        than is on hand, or from a lot the store does not know."""
        size = format(vial_g.normalize(), "f")
        with self.transaction() as db:
            known = db.execute("SELECT expiry FROM lot WHERE product = ? AND lot = ? AND"
                               " vial_g = ?", (product, lot, size)).fetchone()
            if kind == "receive":
                if expiry is None:
                    raise PrescriptionError("--expiry", None, "is required to receive a lot")
                if known is not None and known[0] != expiry.isoformat():
                    raise PrescriptionError("--expiry", expiry.isoformat(),
                                            f"lot {lot} is recorded with expiry {known[0]}")
                if known is None:
                    db.execute("INSERT INTO lot VALUES (?, ?, ?, ?)",
                               (product, lot, size, expiry.isoformat()))
            else:
                if known is None:
                    raise PrescriptionError("lot", lot, f"is not in the store for {product} "
                                            f"({size} g vials): receive it first")
                on_hand = self._balance(db, product, lot, size)
                if vials > on_hand:
                    raise PrescriptionError("--vials", vials,
                                            f"lot {lot} has {on_hand} × {size} g on hand")
            return self.append(db, at=at, by=by, kind=kind, product=product, lot=lot,
                               vial_g=size, vials=vials, reason=reason, key=key,
                               subject=subject, trial=trial)

    @staticmethod
    def _balance(db: sqlite3.Connection, product: str, lot: str, size: str) -> int:
        total = 0
        for kind, vials in db.execute("SELECT kind, vials FROM journal WHERE product = ? AND"
                                      " lot = ? AND vial_g = ?", (product, lot, size)):
            total += MOVES.get(kind, 0) * vials
        return total

    def holdings(self) -> tuple[Holding, ...]:
        """Every lot and vial size with its movements and what is on hand."""
        found = []
        for product, lot, size, expiry in self._db.execute(
                "SELECT product, lot, vial_g, expiry FROM lot ORDER BY product, expiry, lot,"
                " CAST(vial_g AS REAL)"):
            sums = dict.fromkeys(MOVES, 0)
            for kind, vials in self._db.execute(
                    "SELECT kind, vials FROM journal WHERE product = ? AND lot = ? AND"
                    " vial_g = ?", (product, lot, size)):
                sums[kind] = sums.get(kind, 0) + vials
            found.append(Holding(product, lot, Decimal(size), dt.date.fromisoformat(expiry),
                                 sums["receive"], sums["dispense"], sums["return"],
                                 sums["destroy"]))
        return tuple(found)


def _schema_version(db: sqlite3.Connection) -> int:
    has_meta = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND"
                          " name = 'meta'").fetchone()
    if not has_meta:
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def open_store(path: Path, *, create: bool = True) -> Store:
    """Open (or create) the store at `path`, migrated to `SCHEMA_VERSION`."""
    if not create and not path.exists():
        raise PrescriptionError("--store", str(path),
                                "no pharmacy store there: run `ivig-schedule randomise import` "
                                "or `ivig-schedule stock receive` to create it")
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = ON")
        version = _schema_version(db)
        if version > SCHEMA_VERSION:
            raise PrescriptionError("--store", str(path),
                                    f"was written by a newer ivig-schedule (schema {version}); "
                                    "upgrade")
        if version < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")
            try:
                if _schema_version(db) == 0:  # another process may have just created it
                    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY,"
                               " value TEXT NOT NULL)")
                current = _schema_version(db)
                for step in range(current + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS[step]:
                        db.execute(statement)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                           (str(SCHEMA_VERSION),))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
    except sqlite3.DatabaseError as e:
        raise PrescriptionError("--store", str(path), f"is not a readable store ({e})") from None
    return Store(db, path)
