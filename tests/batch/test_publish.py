"""Publishing to a real CalDAV server (Radicale, started here on 127.0.0.1 with htpasswd
logins): the collection holds the latest plan's events after a change, unchanged events are not
rewritten, events written by others are left alone, and a wrong password or an unreachable
server is one clear line with exit 1 and nothing written."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli

pytest.importorskip("radicale", reason="the test extra installs Radicale")
caldav = pytest.importorskip("caldav", reason="the test extra installs caldav")

TODAY = "2026-12-02"
USER, PASSWORD = "pharmacy", "s3cret-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path):
    """A Radicale server on a free loopback port, with one user; its URL template."""
    port = free_port()
    (tmp_path / "users").write_text(f"{USER}:{PASSWORD}\n")
    (tmp_path / "radicale.conf").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\n"
        f"htpasswd_filename = {tmp_path / 'users'}\nhtpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {tmp_path / 'dav'}\n[rights]\ntype = owner_only\n"
        "[logging]\nlevel = warning\n")
    process = subprocess.Popen([sys.executable, "-m", "radicale", "--config",
                                str(tmp_path / "radicale.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("Radicale did not start")
    yield f"http://127.0.0.1:{port}/{USER}/{{nurse}}/"
    process.terminate()
    process.wait(timeout=10)


def write_patient(folder: Path, name: str, start: str, time_of_day: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'[patient]\nid = "{name}"\nweight_kg = 70\ntimezone = "Europe/Amsterdam"\n'
                    f'[order]\nproduct = "octagam-10"\nregimen = "2g-q4w"\nstart = {start}\n'
                    f'start_time = "{time_of_day}"\ndays_per_course = 2\ncourses = 4\n'
                    '[care]\nnurse = "Ann"\n')
    return path


def roster(folder: Path, out: Path) -> None:
    result = CliRunner().invoke(cli, ["roster", str(folder), "-o", str(out), "--force",
                                      "--quiet", "--jobs", "1", "--today", TODAY])
    assert result.exit_code == 0, result.output


def publish(out: Path, template: str, password: str = PASSWORD, *extra: str):
    return CliRunner(env={"IVIG_CALDAV_PASSWORD": password}).invoke(
        cli, ["publish", str(out), "--caldav", template, "--user", USER, *extra])


def held(template: str) -> dict[str, dict]:
    """UID → {sequence, status, start (UTC), etag} as a CalDAV client reads the collection."""
    import icalendar

    url = template.replace("{nurse}", "Ann")
    client = caldav.DAVClient(url, username=USER, password=PASSWORD, require_tls=False)
    calendar = client.calendar(url=url)
    found = {}
    for item in calendar.objects(load_objects=True):
        event = next(iter(icalendar.Calendar.from_ical(item.data).walk("VEVENT")))
        start = event.decoded("DTSTART")
        found[str(event["UID"])] = {
            "sequence": int(event.get("SEQUENCE", 0)),
            "status": str(event.get("STATUS", "")),
            "start": start.astimezone(dt.UTC) if isinstance(start, dt.datetime) else start,
            "etag": item.props.get("{DAV:}getetag") if hasattr(item, "props") else None,
            "url": str(item.url)}
    return found


def ours(out: Path) -> dict[str, dict]:
    import icalendar

    data = (out / "nurses" / "Ann.ics").read_bytes()
    found = {}
    for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
        start = event.decoded("DTSTART")
        found[str(event["UID"])] = {
            "sequence": int(event.get("SEQUENCE", 0)), "status": str(event.get("STATUS", "")),
            "start": start.astimezone(dt.UTC) if isinstance(start, dt.datetime) else start}
    return found


def etags(template: str) -> dict[str, str]:
    """UID → ETag, from a PROPFIND of the collection (what the server says each one is)."""
    url = template.replace("{nurse}", "Ann")
    client = caldav.DAVClient(url, username=USER, password=PASSWORD, require_tls=False)
    body = ('<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/>'
            '</D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>')
    from ivig_schedule.batch.publish import _server_events

    response = client.report(url, body, depth=1)
    raw = response.raw if isinstance(response.raw, bytes) else str(response.raw).encode()
    return {uid: there.etag for uid, there in _server_events(raw).items()}


@pytest.mark.slow
def test_publish_change_and_publish_again(server, tmp_path):
    """Publish, record a delay and a weight change, plan the roster again and publish: the
    collection's events equal the new plan's (instants, SEQUENCE, CANCELLED), events the changes
    did not touch keep their ETag, a third run writes nothing, and an event someone else put in
    the collection is left alone."""
    folder = tmp_path / "rx"
    folder.mkdir()
    first = write_patient(folder, "PB-1", "2027-03-01", "08:00")
    second = write_patient(folder, "PB-2", "2027-03-08", "14:00")
    out = tmp_path / "out"
    roster(folder, out)
    result = publish(out, server)
    assert result.exit_code == 0, result.output
    assert "Ann: 16 created, 0 updated, 0 unchanged" in result.output
    assert {u: {k: v[k] for k in ("sequence", "status", "start")} for u, v in
            held(server).items()} == ours(out)
    before = etags(server)

    foreign_url = server.replace("{nurse}", "Ann") + "someone-else.ics"
    client = caldav.DAVClient(foreign_url, username=USER, password=PASSWORD, require_tls=False)
    client.put(foreign_url, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\n"
               "BEGIN:VEVENT\r\nUID:other@example.org\r\nDTSTAMP:20270101T000000Z\r\n"
               "DTSTART:20270301T100000Z\r\nDTEND:20270301T110000Z\r\nSUMMARY:team meeting\r\n"
               "END:VEVENT\r\nEND:VCALENDAR\r\n", {"Content-Type": "text/calendar"})

    runner = CliRunner()
    assert runner.invoke(cli, ["change", str(first), "delay", "--course", "2", "--days", "7",
                               "--reason", "fever", "--today", TODAY, "--on", TODAY]
                         ).exit_code == 0
    assert runner.invoke(cli, ["change", str(second), "skip", "--course", "4", "--reason",
                               "holiday", "--today", TODAY, "--on", TODAY]).exit_code == 0
    roster(folder, out)
    result = publish(out, server)
    assert result.exit_code == 0, result.output
    new = ours(out)
    changed = {u for u, e in new.items() if e["sequence"] > 0}
    assert len(changed) == 6 + 2  # PB-1's courses 2-4 moved (6 days), PB-2's course 4 skipped
    assert f"Ann: 0 created, {len(changed)} updated, {16 - len(changed)} unchanged" in (
        result.output)
    now = held(server)
    assert "other@example.org" in now  # never touched
    del now["other@example.org"]
    assert {u: {k: v[k] for k in ("sequence", "status", "start")} for u, v in now.items()} == new
    assert sum(1 for e in new.values() if e["status"] == "CANCELLED") == 2
    after = etags(server)
    for uid in new:
        assert (after[uid] == before[uid]) == (uid not in changed), uid
    again = publish(out, server)
    assert "Ann: 0 created, 0 updated, 16 unchanged" in again.output
    assert etags(server) == after


@pytest.mark.slow
def test_wrong_password_and_unreachable_server_write_nothing(server, tmp_path):
    """A wrong password: exit 1, one line naming the server and the reason, no collection
    made; an unreachable server the same; plain http to another machine is refused before any
    connection; --dry-run lists and writes nothing."""
    folder = tmp_path / "rx"
    folder.mkdir()
    write_patient(folder, "PB-1", "2027-03-01", "08:00")
    out = tmp_path / "out"
    roster(folder, out)
    refused = publish(out, server, "wrong")
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: {server.replace('{nurse}', 'Ann')}: the login was refused (check --user and "
        "the password)"]
    assert "wrong" not in refused.output
    dry = publish(out, server, PASSWORD, "--dry-run")
    assert dry.exit_code == 0 and "Ann: 8 would create" in dry.output
    url = server.replace("{nurse}", "Ann")
    client = caldav.DAVClient(url, username=USER, password=PASSWORD, require_tls=False)
    assert client.propfind(url, depth=0).status == 404  # the collection was never made
    port = urllib.parse.urlsplit(server).port
    gone = server.replace(f":{port}/", f":{free_port()}/")
    unreachable = publish(out, gone)
    assert unreachable.exit_code == 1
    assert "the server cannot be reached" in unreachable.stderr
    remote = publish(out, "http://dav.example.org/{nurse}/")
    assert remote.exit_code == 1 and "must be https://" in remote.stderr
    assert publish(out, server).exit_code == 0
    assert len(held(server)) == 8
    assert os.environ.get("IVIG_CALDAV_PASSWORD") is None
