"""Writing results so that a failure changes nothing.

- A file is written to a temporary file beside it and renamed over the target, so readers see
  the old file or the whole new one. The temporary name is ``.<name>.<pid>.ivig-tmp``; a run that
  was killed leaves one behind, and the next run to that target removes it when its process is
  gone.
- New files get the user's umask (0666 & ~umask); a replaced file keeps its own mode.
- A target that exists (a dangling symlink included) is replaced only with ``force``; one that is
  not a regular file (a device, a FIFO, a folder) is never replaced.
- Every operating-system failure becomes one `OutputError` line naming the target and the reason.
- A file several people may change (a prescription) is changed under an exclusive lock (a lock
  file beside it, ``.<name>.lock``, held with ``fcntl``); it is read again under the lock, and
  written through any symlink to the real file: replaced atomically when it has one name, or
  added to in place when it has hard links (so every name sees the change), keeping its mode,
  byte-order mark and line endings. A read-only file is refused.
- A roster's OUTDIR is locked the same way for the whole run, and swapped with the new folder in
  one atomic exchange where the system has one (Linux ``renameat2``); elsewhere, in two renames
  that the next run completes if it finds them interrupted. At no point are both lost.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
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


LOCK = ".lock"


@contextlib.contextmanager
def locked(path: Path, label: str, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on `path` (a lock file beside it) for the block: a second writer
    waits (`wait`) or is refused with one line.

    The lock file is removed when the block ends, while it is still held; a waiter that then
    gets the lock on the removed file sees that the name now points elsewhere (or nowhere) and
    locks again, so two writers never both hold it.
    """
    lock = path.with_name(f".{path.name}{LOCK}")
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:
            raise OutputError(label, f"cannot be locked: {_reason(e)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise OutputError(label, "is being written by another run (its lock is held); try "
                              "again when that run has finished") from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def real_file(path: Path, label: str) -> Path:
    """The file `path` names, through any symlinks; refused when it is not a regular file one
    may write."""
    try:
        real = path.resolve(strict=True)
        info = real.stat()
    except OSError as e:
        raise OutputError(label, _reason(e)) from None
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(label, "is not a regular file")
    if not info.st_mode & 0o222 or not os.access(real, os.W_OK):
        raise OutputError(label, "is read-only; it is never replaced (make it writable to "
                          "record a change)")
    return real


def rewrite(real: Path, old: bytes, new: bytes, label: str) -> None:
    """Replace the content `old` of the real file `real` by `new`: atomically when the file has
    one name (its mode kept), or, when it has hard links and `new` only adds to `old`, by adding
    the rest in place with one write, so every name sees the change."""
    try:
        links = real.stat().st_nlink
    except OSError as e:
        raise OutputError(label, _reason(e)) from None
    if links > 1 and new.startswith(old):
        try:
            fd = os.open(real, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, new[len(old):])
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise OutputError(label, _reason(e)) from None
        return
    write_file(real, new, force=True, label=label)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where the
    system cannot."""
    import ctypes  # only here: a roster's swap is the one user, and it costs start-up time

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return False
    done = call(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if done != 0:
        code = ctypes.get_errno()
        if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            return False
        raise OSError(code, os.strerror(code))
    return True


STEP: Callable[[str], None] = lambda name: None  # noqa: E731 - a hook the swap tests replace
"""Called at each step of `swap_in` (the tests stop the process there)."""


def aside(target: Path) -> Path:
    """Where the previous folder waits while the new one is moved into place."""
    return target.with_name(f".{target.name}{OLD}.{os.getpid()}{SUFFIX}")


def recover(target: Path) -> None:
    """Finish a swap that a killed run left half done: a previous folder set aside with no
    folder in its place is put back."""
    if target.exists() or target.is_symlink():
        return
    with contextlib.suppress(OSError):
        for entry in sorted(target.parent.iterdir()):
            match = _TEMP.fullmatch(entry.name)
            if match and match["name"] == target.name + OLD and not _alive(int(match["pid"])):
                os.replace(entry, target)
                return


def swap_in(new: Path, target: Path, label: str) -> None:
    """Put the finished folder `new` in `target`'s place; the previous one (if any) is removed
    only once the new one stands. Interrupted at any step, one of them is in place or set aside
    (and `recover` puts it back)."""
    try:
        STEP("start")
        if target.exists() or target.is_symlink():
            if _exchange(new, target):
                STEP("exchanged")
                remove_tree(new)
                return
            old = aside(target)
            os.replace(target, old)
            STEP("aside")
            os.replace(new, target)
            STEP("moved")
            remove_tree(old)
            return
        os.replace(new, target)
    except OSError as e:
        recover(target)
        raise OutputError(label, _reason(e)) from None
