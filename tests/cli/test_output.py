"""Writing results: a failure changes nothing, and every failure is one line naming the target."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ivig_schedule import files as output
from ivig_schedule.cli.app import cli

from ..helpers import SAMPLES

PRODERM = str(SAMPLES / "proderm.toml")


def plan_to(target, *extra: str):
    return CliRunner().invoke(cli, ["plan", PRODERM, "-f", "json", "-o", str(target), *extra])


def one_error_line(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "internal error" not in lines[0]
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_missing_folder_is_one_line(tmp_path):
    """-o into a folder that does not exist names --output and says so."""
    one_error_line(plan_to(tmp_path / "nope" / "plan.json"), "--output", "does not exist")


def test_read_only_filesystem_is_one_line(tmp_path, monkeypatch):
    """A read-only filesystem (EROFS on create) is one line with the OS reason; nothing is left."""
    real_open = os.open

    def read_only(path, flags, mode=0o777, *args, **kwargs):
        if str(path).endswith(output.SUFFIX):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    one_error_line(plan_to(tmp_path / "plan.json"), "--output", "Read-only file system")
    assert list(tmp_path.iterdir()) == []


def test_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    """ENOSPC while writing is one line; neither the target nor a temp file remains."""
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    one_error_line(plan_to(tmp_path / "plan.json"), "--output", "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_stdout_on_dev_full_is_one_line():
    """Standard output on /dev/full: exit 1 with one line naming stdout (a real process)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "ivig_schedule", "plan", PRODERM, "-f",
                                 "json", "--today", "2027-01-01"], stdout=full,
                                capture_output=False, stderr=subprocess.PIPE, text=True,
                                check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["error: stdout: No space left on device"]


@pytest.mark.parametrize("force", [False, True])
def test_fifo_is_never_replaced(tmp_path, force):
    """-o onto a FIFO is refused, even with --force, and the FIFO stays."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    one_error_line(plan_to(fifo, *(["--force"] if force else [])), "not a regular file")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_device_is_never_replaced():
    """-o /dev/null --force is refused: a device node is not a regular file."""
    one_error_line(plan_to("/dev/null", "--force"), "not a regular file")


def test_dangling_symlink_counts_as_existing(tmp_path):
    """A dangling symlink is an existing target: refused without --force, replaced with it."""
    link = tmp_path / "plan.json"
    link.symlink_to(tmp_path / "missing")
    one_error_line(plan_to(link), "already exists")
    assert plan_to(link, "--force").exit_code == 0
    assert link.is_file()


def test_new_file_follows_the_umask(tmp_path):
    """A new output file is 0666 less the umask (0644 under umask 022), not 0600."""
    old = os.umask(0o022)
    try:
        assert plan_to(tmp_path / "plan.json").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o644


def test_force_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    """--force replaces the content and keeps the replaced file's mode (0640 stays 0640)."""
    target = tmp_path / "plan.json"
    target.write_text("old")
    target.chmod(0o640)
    assert plan_to(target, "--force").exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text().startswith("{")


def test_stale_temp_file_of_a_killed_run_is_removed(tmp_path):
    """A temp file left by a process that no longer exists is removed by the next run."""
    target = tmp_path / "plan.json"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".plan.json.{dead}{output.SUFFIX}"
    stale.write_text("half a plan")
    other = tmp_path / f".other.json.{dead}{output.SUFFIX}"
    other.write_text("not ours to judge")
    assert plan_to(target).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "plan.json"]


def test_temp_file_of_a_live_run_is_kept(tmp_path):
    """A temp file whose process is still running is not touched."""
    live = tmp_path / f".plan.json.{os.getppid()}{output.SUFFIX}"
    live.write_text("another run is writing")
    assert plan_to(tmp_path / "plan.json").exit_code == 0
    assert live.exists()
