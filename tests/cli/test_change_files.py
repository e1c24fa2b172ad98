"""`change` on a file that others share: two at once both kept, written through links to the
real file with its mode, byte-order mark and line endings, a read-only file refused, and flags
checked like the TOML fields before anything is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..helpers import SAMPLES, run

TODAY = "2026-12-03"
SAMPLE = SAMPLES / "2g-q4w.toml"


def change(path: Path, *args: str):
    return run("change", str(path), *args, "--today", TODAY)


def weight(path: Path, kg: str, reason: str = "scale at the visit"):
    return change(path, "weight", "--from-course", "2", "--weight", kg, "--reason", reason)


def changes_in(path: Path) -> int:
    return path.read_text(encoding="utf-8-sig").count("[[change]]")


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(4))
def test_two_changes_at_once_are_both_recorded(tmp_path, attempt):
    """Two `change` processes started together on one file: both exit 0 and both changes are in
    the file (repeated; before the lock, one was lost every time)."""
    rx = tmp_path / "rx.toml"
    rx.write_bytes(SAMPLE.read_bytes())
    processes = [subprocess.Popen(
        [sys.executable, "-m", "ivig_schedule", "change", str(rx), "weight", "--from-course",
         course, "--weight", kg, "--reason", reason, "--today", TODAY],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for course, kg, reason in (("2", "81", "first nurse"), ("3", "82", "second nurse"))]
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    text = rx.read_text()
    assert changes_in(rx) == 2
    assert 'reason = "first nurse"' in text and 'reason = "second nurse"' in text


def test_a_symlink_is_kept_and_the_real_file_changed(tmp_path):
    """Through a symlink, the real file gets the change and the link stays a link."""
    real = tmp_path / "real.toml"
    real.write_bytes(SAMPLE.read_bytes())
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    assert weight(link, "81").exit_code == 0
    assert link.is_symlink() and link.resolve() == real
    assert changes_in(real) == 1


def test_every_hard_link_sees_the_change(tmp_path):
    """A file with two names: both show the change (it is added in place, not replaced)."""
    first = tmp_path / "a.toml"
    first.write_bytes(SAMPLE.read_bytes())
    second = tmp_path / "b.toml"
    os.link(first, second)
    assert weight(second, "81").exit_code == 0
    assert changes_in(first) == changes_in(second) == 1
    assert os.path.samefile(first, second)


def test_a_read_only_file_is_refused_and_left_as_it_is(tmp_path):
    """A 0444 prescription is not replaced: exit 1, one line, the file unchanged."""
    rx = tmp_path / "rx.toml"
    rx.write_bytes(SAMPLE.read_bytes())
    rx.chmod(0o444)
    result = weight(rx, "81")
    assert result.exit_code == 1
    assert "read-only" in result.stderr and len(result.stderr.splitlines()) == 1
    assert rx.read_bytes() == SAMPLE.read_bytes()
    assert (rx.stat().st_mode & 0o777) == 0o444


def test_mode_bom_and_crlf_are_kept(tmp_path):
    """A CRLF file with a byte-order mark and mode 0640 keeps all three; the new lines end in
    CRLF like the others, and the old bytes are unchanged."""
    rx = tmp_path / "rx.toml"
    original = b"\xef\xbb\xbf" + SAMPLE.read_bytes().replace(b"\n", b"\r\n")
    rx.write_bytes(original)
    rx.chmod(0o640)
    assert weight(rx, "81").exit_code == 0
    data = rx.read_bytes()
    assert data.startswith(original)
    added = data[len(original):]
    assert b"[[change]]\r\n" in added
    assert added.count(b"\n") == added.count(b"\r\n") > 0
    assert (rx.stat().st_mode & 0o777) == 0o640


@pytest.mark.parametrize(("args", "flag"), [
    (("weight", "--from-course", "2", "--weight", "81", "--reason", "bad\udcff"), "--reason"),
    (("weight", "--from-course", "2", "--weight", "81", "--reason", "del\x7f"), "--reason"),
    (("weight", "--from-course", "2", "--weight", "81", "--reason", "\x1b]8;;http://x\x07"),
     "--reason"),
    (("weight", "--from-course", "2", "--weight", "81", "--reason", "\u202egnp.exe"), "--reason"),
    (("dose", "--from-course", "2", "--dose", "nan", "--reason", "x"), "--dose"),
    (("response", "--week", "4", "--tis", "inf", "--reason", "x"), "--tis"),
    (("given", "--course", "1", "--day", "1", "--date", "2027-11-05", "--lot", "L\x00",
      "--reason", "x"), "--lot"),
])
def test_flags_are_checked_like_toml_fields_before_anything_is_written(tmp_path, args, flag):
    """Undecodable bytes, DEL, escape sequences, bidi overrides, nan and inf: exit 1 naming the
    flag, the file untouched (before, some were written as TOML the tool could not read)."""
    rx = tmp_path / "rx.toml"
    rx.write_bytes(SAMPLE.read_bytes())
    result = change(rx, *args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {flag}: ")
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert rx.read_bytes() == SAMPLE.read_bytes()


def test_too_many_changes_is_named_by_count(tmp_path):
    """Past the most changes a file may hold, the error gives the count, not the tables."""
    rx = tmp_path / "rx.toml"
    rx.write_text(SAMPLE.read_text() + "".join(
        f'\n[[change]]\non = 2026-11-01\nkind = "weight"\nreason = "r{i}"\n'
        f'from_course = 2\nweight_kg = 112\n' for i in range(201)))
    result = run("check", str(rx), "--today", TODAY)
    assert result.exit_code == 1
    assert 'change: must be [[change]] tables, at most 200 (got "201 tables")' in result.output
    assert "{" not in result.output
