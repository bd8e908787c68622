"""The one gate every file edgegate reads or writes goes through (models have their own, in
``edgegate.model.load``, which reads by offset).

Reading: the path must be a regular file (a FIFO would block ``open`` forever, ``/dev/zero``
never ends, a directory is not a file) of at most a size cap, checked with ``stat`` before
opening and again on the open descriptor (opened non-blocking, so a FIFO swapped in between
cannot block either), and UTF-8 text. Writing: a report, baseline or policy is written to a
temporary file in the same directory and renamed over the target, so a full disk or a crash
leaves the old file or none, never half of one; a character device (``/dev/null``,
``/dev/stdout``) is written directly, a directory or a FIFO is refused. Appending (a history,
the job summary) needs a regular file or none. Every failure is one error naming the file.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from edgegate.errors import EdgegateError, UsageError

_REASONS = {
    errno.ENOENT: "no such file",
    errno.ENOTDIR: "no such file (a parent is not a directory)",
    errno.EISDIR: "is a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "symlink loop",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENXIO: "a FIFO with no reader",
}


def reason(error: OSError) -> str:
    """A short lower-case reason for an OSError."""
    return _REASONS.get(error.errno or 0) or (error.strerror or str(error)).lower()


def _size(size: int) -> str:
    """``1 MiB``, ``64 MiB``, ``512 KiB`` for a power-of-two cap."""
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"


def file_kind(mode: int) -> str:
    """What a non-regular file is, for messages."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def is_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a regular file (a name the OS refuses, too long or holding a NUL,
    is not one: no exception)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_dir(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a directory (never an exception, as :func:`is_file`)."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_text(path: str | os.PathLike[str], what: str, limit: int,
              error: type[EdgegateError] = UsageError, missing: str | None = None) -> str:
    """The UTF-8 text of the regular file ``path``, at most ``limit`` bytes; ``error`` (naming
    the file) when it is missing (``missing`` when given), not a regular file, too big,
    unreadable or not UTF-8. ``what`` names the file's role in messages (``policy``)."""
    shown = os.fspath(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"cannot read {what}: {file_kind(info.st_mode)}, not a file", shown)
        if info.st_size > limit:
            raise error(f"cannot read {what}: {info.st_size} bytes, more than the {_size(limit)}"
                        f" a {what} may have", shown)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise error(f"cannot read {what}: not a regular file", shown)
            with os.fdopen(descriptor, "rb", closefd=False) as stream:
                data = stream.read(limit + 1)
        finally:
            os.close(descriptor)
    except OSError as failure:
        if failure.errno == errno.ENOENT and missing is not None:
            raise error(missing, shown) from None
        raise error(f"cannot read {what}: {reason(failure)}", shown) from None
    except ValueError:
        raise error(f"cannot read {what}: the file name holds a NUL byte", shown) from None
    if len(data) > limit:
        raise error(f"cannot read {what}: more than the {_size(limit)} a {what} may have", shown)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise error(f"cannot read {what}: not UTF-8 text (byte {failure.start})", shown) from None


def write_text(path: str | os.PathLike[str], text: str, what: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` all at once: a temporary file in
    the target's directory renamed over it, or straight to a character device; UsageError
    naming ``what`` (the option) and the path when it cannot be written."""
    shown = os.fspath(path)
    data = text.encode("utf-8", "surrogateescape")
    try:
        target = Path(os.path.realpath(path))
        try:
            mode = os.stat(target).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISCHR(mode):
            with open(target, "wb") as stream:
                stream.write(data)
            return
        if mode is not None and not stat.S_ISREG(mode):
            raise UsageError(f"{what}: cannot write '{shown}': {file_kind(mode)}, not a file")
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(target, data, None if mode is None else stat.S_IMODE(mode))
    except OSError as failure:
        raise UsageError(f"{what}: cannot write '{shown}': {reason(failure)}") from None
    except ValueError:
        raise UsageError(f"{what}: cannot write '{shown}': the name holds a NUL byte") from None


def _replace(target: Path, data: bytes, mode: int | None) -> None:
    """Write ``data`` to a temporary file next to ``target`` and rename it over ``target``
    (the temporary file is removed when anything fails)."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=".tmp",
                                             dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
        os.chmod(temporary, mode if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _umask() -> int:
    """The process's umask (read by setting it and back)."""
    current = os.umask(0)
    os.umask(current)
    return current


def append_text(path: str | os.PathLike[str], text: str, what: str) -> int:
    """Append ``text`` to the regular file ``path`` (created when missing); return the file's
    size before. UsageError naming ``what`` when it is not a regular file or cannot be written."""
    shown = os.fspath(path)
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags, 0o666)
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise UsageError(f"{what}: cannot append to '{shown}': {file_kind(info.st_mode)},"
                                 " not a file")
            with os.fdopen(descriptor, "ab", closefd=False) as stream:
                stream.write(text.encode("utf-8", "surrogateescape"))
        finally:
            os.close(descriptor)
        return info.st_size
    except OSError as failure:
        raise UsageError(f"{what}: cannot append to '{shown}': {reason(failure)}") from None
    except ValueError:
        raise UsageError(f"{what}: cannot append to '{shown}': the name holds a NUL byte") from None


def read_tail(path: str | os.PathLike[str], size: int) -> bytes:
    """The last ``size`` bytes (at most) of the regular file ``path``; b"" when it is missing,
    empty or not a regular file, or cannot be read."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return b""
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return b""
        return os.pread(descriptor, min(size, info.st_size), max(0, info.st_size - size))
    except OSError:
        return b""
    finally:
        os.close(descriptor)


def size_of(path: str | os.PathLike[str]) -> int | None:
    """The size of the regular file ``path``, or None when it is missing or not one."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None
