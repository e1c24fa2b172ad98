"""Publishing a roster's calendars to a CalDAV server (RFC 4791), as a sync.

Each nurse's calendar (``nurses/<nurse>.ics``; with ``patients``, each patient's own
``patients/<id>/patient.ics``) goes to one collection, made from a URL template holding
``{nurse}`` (the file's name without ``.ics``, or the patient's id). The collection is created
when missing (MKCALENDAR). Every event is one resource, ``<uid>.ics``, holding the event and the
VTIMEZONE its times name (a resource has no METHOD, RFC 4791 4.1).

A sync, not a copy:
- an event the server lacks is created (``If-None-Match: *``);
- an event whose content differs (another ``X-IVIG-SCHEDULE-HASH``) and whose SEQUENCE is not
  lower than the server's is replaced with ``If-Match`` on the ETag the server gave, so a change
  made meanwhile is never overwritten; a cancelled event is replaced by its cancelled version;
- an unchanged event is not written (a second run makes no write);
- a resource this tool did not write (no ``X-IVIG-SCHEDULE-HASH``) is never touched.

Every write is counted as it happens, so a failure half way says what was and was not written,
and running again finishes the job. Credentials are given by the caller (from a file or the
environment, never the command line) and never printed. TLS certificates are verified (a CA file
may be given); plain ``http://`` is refused except to this machine (127.0.0.1, ::1, localhost).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import attrs
from attrs import frozen

from ivig_schedule.model.errors import IvigScheduleError, PrescriptionError

X_HASH = "X-IVIG-SCHEDULE-HASH"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_QUERY = ('<?xml version="1.0" encoding="utf-8"?>'
          '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
          "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
          '<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>')
_DAV, _CALDAV = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"


class PublishError(IvigScheduleError):
    """The server could not be reached, refused the login, or refused a write.

    Attributes:
        server: The URL asked.
        reason: Why, in one line.
        done: What was written before it stopped (one line per collection).
    """

    def __init__(self, server: str, reason: str, done: tuple[str, ...] = ()) -> None:
        self.server, self.reason, self.done = server, reason, done
        super().__init__(f"{server}: {reason}")


@frozen
class Event:
    """One VEVENT of our file: its UID, SEQUENCE and content hash, and its text with the
    VTIMEZONE it needs, as a calendar object resource."""

    uid: str
    sequence: int
    hash: str
    resource: str


@frozen
class Result:
    """What one collection's sync did (or, dry, would do)."""

    name: str
    url: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    foreign: int = 0
    later_on_server: int = 0

    def line(self, dry: bool) -> str:
        verbs = ("would create", "would update") if dry else ("created", "updated")
        text = (f"{self.name}: {self.created} {verbs[0]}, {self.updated} {verbs[1]}, "
                f"{self.unchanged} unchanged")
        if self.foreign:
            text += f", {self.foreign} not written by ivig-schedule left alone"
        if self.later_on_server:
            text += (f", {self.later_on_server} left alone because the server has a later "
                     "version (a higher SEQUENCE)")
        return text + f" ({self.url})"


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "").split("\n")


def _property(lines: list[str], name: str) -> str | None:
    for line in lines:
        key, _, value = line.partition(":")
        if key.split(";")[0].upper() == name:
            return value
    return None


def _blocks(text: str, name: str) -> Iterator[str]:
    pattern = re.compile(rf"BEGIN:{name}\r?\n.*?END:{name}\r?\n", re.S)
    yield from (m.group(0) for m in pattern.finditer(text))


def events_of(data: bytes) -> tuple[Event, ...]:
    """Our calendar file as resources: each VEVENT with the VTIMEZONE its TZID names."""
    text = data.decode("utf-8")
    zones = {(_property(_unfold(z), "TZID") or ""): z for z in _blocks(text, "VTIMEZONE")}
    prodid = _property(_unfold(text.split("BEGIN:", 2)[1] if "BEGIN:" in text else ""),
                       "PRODID") or "-//ivig-schedule//EN"
    found = []
    for block in _blocks(text, "VEVENT"):
        lines = _unfold(block)
        uid = _property(lines, "UID")
        if uid is None:
            continue
        tzids = set(re.findall(r";TZID=([^:;]+)", block))
        body = "".join(zones[z] for z in sorted(tzids) if z in zones)
        resource = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
                    f"PRODID:{prodid}\r\n{body}{block}END:VCALENDAR\r\n")
        found.append(Event(uid, int(_property(lines, "SEQUENCE") or 0),
                           _property(lines, X_HASH) or "", resource))
    return tuple(found)


@frozen
class OnServer:
    href: str
    etag: str
    sequence: int
    hash: str | None


def _server_events(body: bytes) -> dict[str, OnServer]:
    """UID → what the server holds, from a calendar-query multistatus."""
    found = {}
    for response in ElementTree.fromstring(body).iter(f"{_DAV}response"):
        href = response.findtext(f"{_DAV}href") or ""
        etag = response.findtext(f".//{_DAV}getetag") or ""
        data = response.findtext(f".//{_CALDAV}calendar-data") or ""
        for block in _blocks(data.replace("\r\n", "\n").replace("\n", "\r\n"), "VEVENT"):
            lines = _unfold(block)
            uid = _property(lines, "UID")
            if uid is not None:
                found[uid] = OnServer(href, etag, int(_property(lines, "SEQUENCE") or 0),
                                      _property(lines, X_HASH))
    return found


def check_url(template: str) -> None:
    """Refuse a template without {nurse}, or plain http to another machine."""
    if "{nurse}" not in template:
        raise PrescriptionError("--caldav", template, "must hold {nurse}, e.g. "
                                "https://dav.example.org/pharmacy/{nurse}/")
    parts = urllib.parse.urlsplit(template.replace("{nurse}", "x"))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PrescriptionError("--caldav", template, "must be an https:// URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise PrescriptionError("--caldav", template, "must be https:// (plain http sends the "
                                "password unencrypted; it is allowed to this machine only)")


def collections(outdir: Path, patients: bool) -> list[tuple[str, Path]]:
    """(name for {nurse}, calendar file) of each collection to publish, in name order."""
    if not (outdir / "nurses").is_dir():
        raise PrescriptionError("OUTDIR", str(outdir), "must be a roster's output folder "
                                "(with nurses/ in it)")
    found = [(p.stem, p) for p in sorted((outdir / "nurses").glob("*.ics"))]
    if patients:
        found += [(p.name, p / "patient.ics") for p in sorted((outdir / "patients").iterdir())
                  if (p / "patient.ics").is_file()]
    return found


def publish(outdir: Path, template: str, client_for: Callable[[str], Any], *,
            patients: bool = False, dry_run: bool = False,
            report: Callable[[str], None] = lambda line: None) -> tuple[Result, ...]:
    """Sync every collection (see the module notes). `client_for(url)` gives a logged-in
    ``caldav.DAVClient``; `report` receives one line per collection as it finishes."""
    check_url(template)
    results: list[Result] = []
    for name, path in collections(outdir, patients):
        url = template.replace("{nurse}", urllib.parse.quote(name, safe=""))
        if not url.endswith("/"):
            url += "/"
        try:
            result = _sync(client_for(url), name, url, events_of(path.read_bytes()), dry_run)
        except _Partial as partial:
            wrote = partial.result.created or partial.result.updated
            done = (*(r.line(dry_run) for r in results),
                    *((partial.result.line(dry_run),) if wrote else ()))
            raise PublishError(url, partial.reason, done) from None
        results.append(result)
        report(result.line(dry_run))
    return tuple(results)


class _Partial(Exception):
    def __init__(self, result: Result, reason: str) -> None:
        super().__init__(reason)
        self.result, self.reason = result, reason


def _reason(error: Exception) -> str:
    name = type(error).__name__
    if "Authorization" in name:
        return "the login was refused (check --user and the password)"
    text = str(error).split("\n")[0]
    if "Connection" in name or "Max retries" in text or "timed out" in text.lower():
        return "the server cannot be reached"
    return f"{name}: {text[:120]}"


def _sync(client: Any, name: str, url: str, ours: tuple[Event, ...], dry: bool) -> Result:
    result = Result(name, url)
    try:
        response = client.report(url, _QUERY, depth=1)
        status = response.status
        if status == 404:
            if not dry:
                made = client.mkcalendar(url)
                if made.status not in (200, 201):
                    raise _Partial(result, f"cannot create the collection (HTTP {made.status})")
            held: dict[str, OnServer] = {}
        elif status in (200, 207):
            held = _server_events(response.raw if isinstance(response.raw, bytes)
                                  else str(response.raw).encode("utf-8"))
        else:
            raise _Partial(result, f"the server answered HTTP {status} to the calendar query")
    except _Partial:
        raise
    except Exception as e:  # the caldav library's errors (login, connection, protocol)
        if "NotFound" in type(e).__name__:
            if not dry:
                client.mkcalendar(url)
            held = {}
        else:
            raise _Partial(result, _reason(e)) from None
    for event in ours:
        there = held.get(event.uid)
        if there is not None and there.hash is None:
            result = attrs.evolve(result, foreign=result.foreign + 1)
            continue
        if there is not None and there.hash == event.hash and there.sequence == event.sequence:
            result = attrs.evolve(result, unchanged=result.unchanged + 1)
            continue
        if there is not None and there.sequence > event.sequence:
            result = attrs.evolve(result, later_on_server=result.later_on_server + 1)
            continue
        if not dry:
            target = (urllib.parse.urljoin(url, there.href) if there is not None
                      else url + urllib.parse.quote(event.uid.split("@")[0], safe="") + ".ics")
            headers = {"Content-Type": "text/calendar; charset=utf-8"}
            headers.update({"If-Match": there.etag} if there is not None
                           else {"If-None-Match": "*"})
            try:
                written = client.put(target, event.resource, headers)
            except Exception as e:
                raise _Partial(result, _reason(e)) from None
            if written.status not in (200, 201, 204):
                why = ("changed on the server meanwhile; run again" if written.status == 412
                       else f"refused with HTTP {written.status}")
                raise _Partial(result, f"event {event.uid}: {why}")
        field = "updated" if there is not None else "created"
        result = attrs.evolve(result, **{field: getattr(result, field) + 1})
    return result
