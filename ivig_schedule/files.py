"""Writing results so that a failure changes nothing.

- A file is written to a temporary file beside it and renamed over the target, so readers see
  the old file or the whole new one. The temporary name is ``.<name>.<pid>.ivig-tmp``; a run that
  was killed leaves one behind, and the next run to that target removes it when its process is
  gone.
- New files get the user's umask (0666 & ~umask); a replaced file keeps its own mode.
- A target that exists (a dangling symlink included) is replaced only with ``force``; one that is
  not a regular file (a device, a FIFO, a folder) is never replaced.
- Every operating-system failure becomes one `OutputError` line naming the target and the reason.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from ivig_schedule.model.errors import OutputError

SUFFIX = ".ivig-tmp"
OLD = "-old"
"""Marks the previous OUTDIR while a roster's new one is moved into place."""
_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)" + re.escape(SUFFIX))


def _reason(error: OSError) -> str:
    return error.strerror or os.strerror(error.errno or 0) or type(error).__name__


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def temp_path(target: Path) -> Path:
    """This process's temporary name for `target` (in the same folder, so rename is atomic)."""
    return target.with_name(f".{target.name}.{os.getpid()}{SUFFIX}")


def clean_stale(target: Path) -> None:
    """Remove temporary files or folders for `target` left by runs that were killed."""
    folder = target.parent
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            match = _TEMP.fullmatch(entry.name)
            if match is None or match["name"] not in (target.name, target.name + OLD):
                continue
            pid = int(match["pid"])
            if pid != os.getpid() and not _alive(pid):
                remove_tree(entry)


def remove_tree(path: Path) -> None:
    """Remove a file or folder, ignoring what is already gone."""
    if path.is_dir() and not path.is_symlink():
        for child in path.iterdir():
            remove_tree(child)
        with contextlib.suppress(FileNotFoundError):
            path.rmdir()
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def check_target(target: Path, label: str, *, force: bool, folder: bool = False) -> int | None:
    """Refuse a target that must not be replaced; the mode of a file being replaced, if any."""
    try:
        info = target.lstat()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise OutputError(label, _reason(e)) from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = target.stat()
        except FileNotFoundError:
            if not force:
                raise OutputError(label, "already exists (a dangling link); add --force to "
                                  "replace it") from None
            return None
    wanted = stat.S_ISDIR(info.st_mode) if folder else stat.S_ISREG(info.st_mode)
    if not wanted:
        kind = "a folder" if folder else "a regular file"
        raise OutputError(label, f"is not {kind}; it is never replaced, even with --force")
    if not force:
        raise OutputError(label, "already exists; add --force to replace it")
    return stat.S_IMODE(info.st_mode)


def refuse_inputs(target: Path, inputs: Iterable[Path | None], label: str = "--output") -> None:
    """Refuse a target that is one of the command's inputs (the same path, or the same file
    through a link): an output never replaces its input, even with --force."""
    for source in inputs:
        if source is None or str(source) == "-":
            continue
        same = target.resolve() == source.resolve()
        with contextlib.suppress(OSError):
            same = same or os.path.samefile(target, source)
        if same:
            raise OutputError(label, f"is {source}, an input of this command; an input is never "
                              "written over, even with --force")


def refuse_inside(folder: Path, inputs: Iterable[Path | None], label: str = "-o") -> None:
    """Refuse an output folder that holds (or is) one of the inputs: replacing it would delete
    them."""
    whole = folder.resolve()
    for source in inputs:
        if source is None:
            continue
        path = source.resolve()
        if path == whole or whole in path.parents:
            raise OutputError(label, f"holds {source}, an input of this command; choose an "
                              "output folder elsewhere")


def write_file(target: Path, data: bytes, *, force: bool, label: str = "--output") -> None:
    """Write `data` to `target` atomically (see the module notes)."""
    mode = check_target(target, label, force=force)
    if not target.parent.is_dir():
        raise OutputError(label, f"folder {target.parent} does not exist")
    clean_stale(target)
    temp = temp_path(target)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if mode is not None:
                os.chmod(temp, mode)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as e:
        raise OutputError(label, _reason(e)) from None


def write_stdout(data: bytes) -> None:
    """Write to standard output; a full disk or closed pipe is one `OutputError`."""
    stream = sys.stdout.buffer
    try:
        stream.write(data)
        stream.flush()
    except OSError as e:
        # Nothing more can reach stdout; stop the interpreter from failing again at exit.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
        if e.errno == errno.EPIPE:
            raise OutputError("stdout", "closed by the reader") from None
        raise OutputError("stdout", _reason(e)) from None
