"""Run one hostile case of edgegate in a sandbox and classify what happened.

A :class:`Case` is a command line plus the files it needs (bytes, FIFOs, directories,
symlinks, sparse files), an environment and the report files it asks for. It runs in a fresh
directory (its cwd; under ``base``, e.g. pytest's tmp_path, or a new temporary directory) in
a child process that:

* refuses to start when the case could write outside its directory (:func:`check_safe`: a
  generated ``baseline --out /etc/passwd`` once overwrote the real file);
* where the kernel allows it (root, a mount namespace), sees the whole filesystem read-only
  except its own directory, so a case that slipped past the check still cannot write;
* runs under an address-space limit (``RLIMIT_AS``, 3 GB by default: numpy and onnx need about
  1 GB to import), a file-size limit (``Case.fsize``, 512 MiB by default; writes past it fail
  with EFBIG, which stands for a full disk), no core files, its own pids cgroup where one can be
  made (root ignores ``RLIMIT_NPROC``), and a wall-clock timeout that kills its process group.

The child is either forked from a process that already imported edgegate (``mode="fork"``:
a few milliseconds, calls ``edgegate.cli.main(argv)``) or a real ``python -m edgegate``
process (``mode="exec"``: slower, faithful; confirms what fork mode finds). :func:`classify`
turns the result into one of :data:`CLASSES`.
"""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import io
import json
import os
import re
import resource
import shlex
import shutil
import signal
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AS_LIMIT = int(os.environ.get("EDGEGATE_FUZZ_AS", 3_000_000_000))
FSIZE_LIMIT = 512 * 1024 * 1024
TIMEOUT = 20.0
RSS_FLAG_KB = 1_500_000
"""Peak RSS above this counts as a memory blow-up even when the case exited cleanly."""
OUTPUT_CAP = 16 * 1024 * 1024

CLASSES = (
    "ok",               # an exit code of 0..5 and clean, parseable output
    "internal-error",   # exit 70 (edgegate's last-resort handler caught an exception)
    "traceback",        # a traceback on stderr with any other exit code
    "signal",           # killed by a signal (segfault, abort, ...)
    "hang",             # still running at the timeout
    "memory",           # MemoryError / bad_alloc / the address-space limit / peak RSS too high
    "bad-exit",         # an exit code outside 0..5 (and not 70)
    "injection",        # a GitHub workflow command planted in user data reached the log live
    "partial-report",   # a report file that exists but does not parse
    "missing-report",   # a report asked for is not there after a run that reports
    "report-collision",  # two reports asked for one path and the run said nothing
    "unclean-stderr",   # stderr lines that are not 'edgegate: ...' (warnings, multi-line messages)
)

MARK = "PWNED"
"""Planted in user data by generators: a live workflow command carrying it is an injection."""


class Special:
    """A file that is not plain bytes."""


@dataclass(frozen=True)
class Fifo(Special):
    """A named pipe (nothing ever writes to it)."""


@dataclass(frozen=True)
class Dir(Special):
    """An empty directory."""


@dataclass(frozen=True)
class Symlink(Special):
    """A symbolic link to ``target`` (relative, inside the case directory)."""

    target: str


@dataclass(frozen=True)
class Sized(Special):
    """A sparse file of ``size`` bytes starting with ``head`` (big inputs without big memory)."""

    head: bytes
    size: int


FileSpec = bytes | str | Special


@dataclass
class Case:
    """One run: argv after ``edgegate``, files relative to the cwd, extra env, reports asked for.

    ``reports`` maps a relative path to its kind (json, sarif, junit, markdown, text, github,
    html, comment); ``path#2`` names the same path a second time (two options asked for one
    file). ``github`` sets GITHUB_ACTIONS=true (and a step summary) so the output is read as a
    runner reads it. ``fsize`` lowers the file-size limit (a full disk).
    """

    generator: str
    argv: list[str]
    files: dict[str, FileSpec] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)
    github: bool = False
    note: str = ""
    timeout: float | None = None
    fsize: int | None = None

    def digest(self) -> str:
        """A short stable id of the case."""
        h = hashlib.sha256()
        h.update(json.dumps(self.argv).encode("utf-8", "surrogateescape"))
        for name in sorted(self.files):
            h.update(name.encode("utf-8", "surrogateescape"))
            spec = self.files[name]
            h.update(spec if isinstance(spec, bytes) else repr(spec).encode("utf-8", "surrogateescape"))
        h.update(json.dumps(self.env, sort_keys=True).encode())
        return h.hexdigest()[:16]


@dataclass
class Outcome:
    """What running a case did."""

    cls: str
    detail: str
    rc: int | None
    signal: int | None
    seconds: float
    maxrss_kb: int
    stdout: bytes
    stderr: bytes
    mode: str

    def summary(self) -> dict[str, Any]:
        return {"class": self.cls, "detail": self.detail, "rc": self.rc, "signal": self.signal,
                "seconds": round(self.seconds, 3), "maxrss_kb": self.maxrss_kb, "mode": self.mode}


# --------------------------------------------------------------------------- safety

WRITING_OPTIONS = ("--out", "--output", "--history", "--json", "--sarif", "--junit-xml",
                   "--github-summary", "--format", "--html", "--pr-comment", "--root")
"""Options whose value edgegate may write to (``--root`` for ``init``, which writes under it).
argparse accepts any unambiguous prefix (``--ou``), so prefixes count too."""
HARMLESS_WRITES = ("/dev/null", "/dev/full")
READABLE_ABSOLUTE = ("/dev/null", "/dev/full", "/dev/zero", "/proc/self/environ")


class UnsafeCase(Exception):
    """A case that could write outside its directory: it is refused, never run."""


def _writing(option: str) -> bool:
    """True when ``option`` (``--x``) is a writing option or an abbreviation argparse expands."""
    return option.startswith("--") and len(option) > 2 and any(
        name.startswith(option) for name in WRITING_OPTIONS)


def _outside(value: str, allowed: tuple[str, ...]) -> bool:
    """True when ``value`` names a path outside the case directory that ``allowed`` lacks."""
    parts = value.replace("\\", "/").split("/")
    return ".." in parts or (os.path.isabs(value) and value not in allowed) or value.startswith("~")


def check_safe(case: Case) -> None:
    """Refuse a case that names a path outside its directory where edgegate may write.

    Cases often run as root: writing options (and their abbreviations) may only name relative
    paths without ``..``, or /dev/null and /dev/full; other arguments may only name relative
    paths or the read-only devices of :data:`READABLE_ABSOLUTE`; ``--netron`` (a sidecar next
    to each model) only relative ones. The case's own files and symlinks stay inside it, and
    its environment may not redirect the step summary or outputs elsewhere.
    """
    argv = list(case.argv)
    netron = any(arg.startswith("--ne") and "--netron".startswith(arg.split("=")[0]) for arg in argv)
    for index, arg in enumerate(argv):
        option, eq, inline = arg.partition("=")
        if _writing(option):
            values = [inline] if eq else ([argv[index + 1]] if index + 1 < len(argv) else [])
            for value in values:
                target = value.partition(":")[2] if option.startswith("--f") else value
                if target and _outside(target, HARMLESS_WRITES):
                    raise UnsafeCase(f"{option} {target!r} would write outside the case directory")
        for value in (arg, inline):
            if value and _outside(value, () if netron else READABLE_ABSOLUTE):
                raise UnsafeCase(f"argument {value!r} names a path outside the case directory")
    for name, spec in case.files.items():
        if _outside(name, ()):
            raise UnsafeCase(f"file {name!r} lies outside the case directory")
        if isinstance(spec, Symlink) and _outside(spec.target, ()):
            raise UnsafeCase(f"symlink {name!r} points outside the case directory")
    for key, value in case.env.items():
        if key.startswith("GITHUB_") and "/" in value:
            raise UnsafeCase(f"environment {key} names a path")


# --------------------------------------------------------------------------- materializing

def materialize(case: Case, work: Path) -> None:
    """Create the case's files under ``work`` (parents made as needed)."""
    for name, spec in case.files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, bytes):
            path.write_bytes(spec)
        elif isinstance(spec, str):
            path.write_text(spec, encoding="utf-8", errors="surrogateescape")
        elif isinstance(spec, Fifo):
            os.mkfifo(path)
        elif isinstance(spec, Dir):
            path.mkdir(exist_ok=True)
        elif isinstance(spec, Symlink):
            os.symlink(spec.target, path)
        elif isinstance(spec, Sized):
            with open(path, "wb") as out:
                out.write(spec.head)
                out.truncate(spec.size)


def base_env(case: Case, work: Path) -> dict[str, str]:
    """The child's whole environment."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "EDGEGATE_DEBUG": "1",  # an internal error then shows where it happened
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "MPLCONFIGDIR": str(work / ".mpl"),
        "GIT_CEILING_DIRECTORIES": str(work.parent),
    }
    if case.github:
        env.update({"GITHUB_ACTIONS": "true", "CI": "true",
                    "GITHUB_STEP_SUMMARY": str(work / "step-summary.md")})
    env.update(case.env)
    return env


# --------------------------------------------------------------------------- the child

_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


def _read_only_root(work: Path) -> bool:
    """In the child: a private mount namespace where / is read-only and ``work`` writable.

    Needs CAP_SYS_ADMIN; without it (an unprivileged user, who cannot clobber system files
    anyway) nothing changes and False is returned.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(_CLONE_NEWNS) != 0:
            return False
        steps = [(None, b"/", _MS_REC | _MS_PRIVATE),
                 (os.fsencode(work), os.fsencode(work), _MS_BIND | _MS_REC),
                 (None, b"/", _MS_REMOUNT | _MS_BIND | _MS_RDONLY)]
        for source, target, flags in steps:
            if libc.mount(source, target, None, flags, None) != 0:
                return False
        os.chdir(work)  # the working directory seen through the writable bind mount
        return True
    except (OSError, AttributeError):
        return False


def _limit_self(case: Case, timeout: float, cgroup: Path | None) -> None:
    """In the child: new session, resource limits, a backstop alarm."""
    os.setsid()
    fsize = case.fsize or FSIZE_LIMIT
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if cgroup is not None:
        try:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            pass
    signal.alarm(int(timeout) + 5)


def _child_main(case: Case, work: Path, out: Path, err: Path, timeout: float,
                cgroup: Path | None) -> None:
    """Body of the forked child: never returns."""
    code = 1
    try:
        os.chdir(work)
        fd_in = os.open(os.devnull, os.O_RDONLY)
        fd_out = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        fd_err = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd_in, 0)
        os.dup2(fd_out, 1)
        os.dup2(fd_err, 2)
        # fresh streams over the redirected descriptors, as a new interpreter would have
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8",
                                      errors="strict", write_through=False)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                      errors="backslashreplace", line_buffering=True)
        os.environ.clear()
        os.environ.update(base_env(case, work))
        _read_only_root(work)
        _limit_self(case, timeout, cgroup)
        from edgegate.cli import main
        try:
            code = main(list(case.argv))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            if isinstance(stop.code, str):
                print(stop.code, file=sys.stderr)
        except BaseException:  # noqa: B036 - what the interpreter would do: traceback, exit 1
            import traceback
            traceback.print_exc()
            code = 1
        try:
            sys.stdout.flush()
        except BaseException as error:  # noqa: B036 - python's exit-time flush failure
            print(f"Exception ignored while flushing sys.stdout: {error!r}", file=sys.stderr)
            code = 120
        sys.stderr.flush()
    except BaseException:  # noqa: B036
        try:
            import traceback
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:  # noqa: B036, S110
            pass
        code = 1
    os._exit(code if isinstance(code, int) and 0 <= code < 256 else 1)


def _exec_child(case: Case, work: Path, out: Path, err: Path, timeout: float,
                cgroup: Path | None) -> None:
    """Body of the exec child: ``python -m edgegate ARGV`` under the same limits."""
    try:
        os.chdir(work)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        env = base_env(case, work)
        _read_only_root(work)
        _limit_self(case, timeout, cgroup)
        argv = [sys.executable, "-m", "edgegate", *case.argv]
        os.execve(argv[0], argv, env)
    except BaseException as error:  # noqa: B036
        os.write(2, f"exec failed: {error!r}\n".encode())
    finally:
        os._exit(127)


_PRELOADED = [False]


def _preload() -> None:
    """Import everything a command may import, once, before forking."""
    import importlib

    import edgegate.cli as cli
    for module, _ in cli.COMMANDS.values():
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001, S112 - plot needs matplotlib; fine without
            continue


# --------------------------------------------------------------------------- pids cgroup

PIDS_CGROUP = Path("/sys/fs/cgroup/pids/edgegate-fuzz")
CASE_PIDS_MAX = 100


def _case_cgroup() -> Path | None:
    """A pids cgroup of its own for one case, or None where cgroups cannot be made."""
    try:
        PIDS_CGROUP.mkdir(exist_ok=True)
        folder = PIDS_CGROUP / f"case-{os.getpid()}-{time.monotonic_ns()}"
        folder.mkdir()
        (folder / "pids.max").write_text(str(CASE_PIDS_MAX))
        return folder
    except OSError:
        return None


def _empty_cgroup(folder: Path | None, patience: float = 10.0) -> None:
    """SIGKILL what is left in the case's own cgroup (pool workers outlive their leader's
    process group kill), wait until it is empty, remove it."""
    if folder is None:
        return
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
        except OSError:
            break
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    try:
        folder.rmdir()
    except OSError:
        pass


# --------------------------------------------------------------------------- running

def start(case: Case, mode: str = "fork", timeout: float | None = None,
          base: Path | None = None) -> dict[str, Any]:
    """Start ``case`` in a new directory under ``base`` (default: a new temporary directory);
    return a handle for :func:`finish` or :func:`poll`. UnsafeCase before anything runs if the
    case could write outside its directory."""
    check_safe(case)
    timeout = case.timeout or timeout or TIMEOUT
    folder = Path(tempfile.mkdtemp(prefix="case-", dir=base))
    work = folder / "work"
    work.mkdir()
    materialize(case, work)
    before = {}
    for rel in case.reports:
        path = work / rel.split("#")[0]
        if path.is_file():
            before[rel.split("#")[0]] = path.read_bytes()
    out, err = folder / "stdout", folder / "stderr"
    cgroup = _case_cgroup()
    began = time.monotonic()
    if mode == "fork" and not _PRELOADED[0]:
        _preload()
        _PRELOADED[0] = True
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        (_child_main if mode == "fork" else _exec_child)(case, work, out, err, timeout, cgroup)
    return {"case": case, "pid": pid, "base": folder, "work": work, "out": out, "err": err,
            "began": began, "timeout": timeout, "mode": mode, "cgroup": cgroup, "before": before}


def _outcome(handle: dict[str, Any], status: int, usage: Any, timed_out: bool, keep: bool) -> Outcome:
    seconds = time.monotonic() - handle["began"]
    try:
        os.killpg(handle["pid"], signal.SIGKILL)  # whatever the case left in its own group
    except (ProcessLookupError, PermissionError):
        pass
    _empty_cgroup(handle.get("cgroup"))
    rc = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    stdout, stderr = _read(handle["out"]), _read(handle["err"])
    cls, detail = classify(handle["case"], rc, sig, timed_out, stdout, stderr, usage.ru_maxrss,
                           handle["work"], handle.get("before", {}))
    outcome = Outcome(cls, detail, rc, sig, seconds, usage.ru_maxrss, stdout, stderr, handle["mode"])
    if keep:
        outcome.detail += f" [kept {handle['base']}]"
    else:
        shutil.rmtree(handle["base"], ignore_errors=True)
    return outcome


def poll(handle: dict[str, Any], keep: bool = False) -> Outcome | None:
    """The case's outcome if it has ended (or was killed at its timeout just now), else None."""
    done, status, usage = os.wait4(handle["pid"], os.WNOHANG)
    timed_out = False
    if not done:
        if time.monotonic() - handle["began"] <= handle["timeout"]:
            return None
        try:
            os.killpg(handle["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status, usage = os.wait4(handle["pid"], 0)
        timed_out = True
    return _outcome(handle, status, usage, timed_out, keep)


def finish(handle: dict[str, Any], keep: bool = False) -> Outcome:
    """Wait for a started case (killing it at its timeout) and classify it."""
    delay = 0.001
    while True:
        outcome = poll(handle, keep)
        if outcome is not None:
            return outcome
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def run(case: Case, mode: str = "fork", timeout: float | None = None,
        base: Path | None = None) -> Outcome:
    """Run one case to completion."""
    return finish(start(case, mode, timeout, base))


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read(OUTPUT_CAP)
    except OSError:
        return b""


# --------------------------------------------------------------------------- classifying

_EXC_LINE = re.compile(rb"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|error)):?\s?(.*)$")
_FRAME = re.compile(rb'File "([^"]+)", line (\d+), in (\S+)')
_INTERNAL = re.compile(rb"edgegate: internal error: ([\w.]+): ?(.*)")


def where(stderr: bytes) -> str:
    """``ExcType at file:function`` from a traceback: the deepest edgegate frame (and the
    innermost foreign one), the exception type from the internal-error or last exception line."""
    exc = b""
    internal = _INTERNAL.search(stderr)
    if internal:
        exc = internal.group(1)
    else:
        for line in reversed(stderr.splitlines()):
            match = _EXC_LINE.match(line.strip())
            if match:
                exc = match.group(1)
                break
    last = stderr.rfind(b"Traceback (most recent call last)")
    frames = _FRAME.findall(stderr[last:] if last >= 0 else stderr)
    ours = [f for f in frames if b"/edgegate/" in f[0]]
    frame = (ours or frames or [None])[-1]
    loc = ""
    if frame is not None:
        path = frame[0].decode(errors="replace")
        short = path.split("/edgegate/", 1)[-1] if "/edgegate/" in path else path.rsplit("/", 2)[-1]
        loc = f"{short}:{frame[2].decode(errors='replace')}"
        if ours and frames[-1] != frame:
            inner = frames[-1]
            loc += f" -> {'/'.join(inner[0].decode(errors='replace').split('/')[-2:])}:" \
                   f"{inner[2].decode(errors='replace')}"
    return f"{exc.decode(errors='replace') or '?'} at {loc or '?'}"


def live_commands(text: str) -> list[str]:
    """Lines a GitHub runner would act on: ``::cmd`` after leading blanks, ``##[`` anywhere,
    outside ``::stop-commands::TOKEN`` ... ``::TOKEN::`` blocks. Lines end at LF or CR, as
    the runner's reader ends them."""
    live = []
    token = None
    for line in re.split(r"\r\n|\r|\n", text):
        stripped = line.lstrip()
        if token is not None:
            if stripped.lower() == f"::{token}::".lower():
                token = None
            continue
        if stripped.startswith("::stop-commands::"):
            token = stripped[len("::stop-commands::"):].strip()
            continue
        if stripped.startswith("::") or "##[" in line:
            live.append(line)
    return live


def injected(stdout: bytes, stderr: bytes) -> str | None:
    """The first live workflow command whose command part carries :data:`MARK`."""
    for stream in (stdout, stderr):
        for line in live_commands(stream.decode("utf-8", "replace")):
            stripped = line.lstrip()
            if stripped.startswith("::") and "::" in stripped[2:]:
                # the runner reads ::NAME PROPERTIES::DATA: planted text in a property value or
                # the data of edgegate's own annotation is data; as the command's name it is live
                name = stripped[2:].split("::", 1)[0].split(" ", 1)[0]
                if MARK in name or (name.lower() in ("add-mask", "set-output", "set-env", "add-path")
                                    and MARK in stripped):
                    return line[:200]
                continue
            tail = line[line.index("##["):] if "##[" in line else ""
            if MARK in tail:
                return line[:200]
    return None


def report_problem(path: Path, kind: str) -> str | None:
    """Why the report file at ``path`` is not a complete report of ``kind``, or None."""
    data = path.read_bytes()
    try:
        if kind in ("json", "sarif"):
            json.loads(data.decode("utf-8"))
        elif kind == "junit":
            ET.fromstring(data)
        elif kind == "html":
            if not data.rstrip().endswith(b"</html>"):
                return "does not end with </html> (cut short?)"
        elif kind in ("text", "markdown", "github", "comment"):
            data.decode("utf-8")
            if data and not data.endswith(b"\n"):
                return "does not end with a newline (cut short?)"
    except Exception as error:  # noqa: BLE001
        return f"{type(error).__name__}: {str(error)[:120]}"
    return None


_STDERR_OK = (b"edgegate: ", b"usage: edgegate", b"       ", b"                ")
_PROGRESS = re.compile(rb"\[[#.]+\] \d+/\d+ ")
"""``target measure``'s progress lines (one per step when standard error is not a terminal)."""
_MEMORY = (b"MemoryError", b"bad_alloc", b"Unable to allocate", b"Cannot allocate memory",
           b"out of memory")


def classify(case: Case, rc: int | None, sig: int | None, timed_out: bool, stdout: bytes,
             stderr: bytes, maxrss_kb: int, work: Path,
             before: dict[str, bytes] | None = None) -> tuple[str, str]:
    """One class of :data:`CLASSES` and a short detail naming where. ``before`` holds the
    report paths that existed before the run (an input the command line also names as a
    report) with their bytes: unchanged ones are not judged as reports."""
    before = before or {}
    if timed_out:
        return "hang", f"killed after timeout; peak RSS {maxrss_kb // 1024} MiB"
    if any(word in stderr for word in _MEMORY):
        return "memory", where(stderr)
    if sig is not None:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        tail = where(stderr) if b"Traceback" in stderr else stderr[-200:].decode(errors="replace").strip()
        return "signal", f"{name}; {tail}"
    if maxrss_kb > RSS_FLAG_KB:
        return "memory", f"peak RSS {maxrss_kb // 1024} MiB with exit {rc}"
    if rc == 70:
        return "internal-error", where(stderr)
    if b"Traceback (most recent call last)" in stderr:
        return "traceback", f"exit {rc}: {where(stderr)}"
    if rc is None or rc not in (0, 1, 2, 3, 4, 5):
        return "bad-exit", f"exit {rc}: {stderr[-200:].decode(errors='replace').strip()}"
    if case.github or any(MARK in arg for arg in case.argv) or any(
            MARK in (spec if isinstance(spec, str) else spec.decode("utf-8", "replace"))
            for spec in case.files.values() if isinstance(spec, (bytes, str)) and len(spec) < 1 << 20):
        found = injected(stdout, stderr)
        if found is not None:
            return "injection", found
    paths: dict[str, list[str]] = {}
    for rel, kind in case.reports.items():
        paths.setdefault(os.path.normpath(rel.split("#")[0]), []).append(kind)
    collided = [p for p, kinds in paths.items() if len(kinds) > 1 and not p.startswith("/dev/")]
    if rc in (0, 1, 3, 5) and collided:
        return "report-collision", f"{collided[0]} asked for as {', '.join(paths[collided[0]])};" \
                                   f" exit {rc}, no error"
    for rel, kind in case.reports.items():
        rel = rel.split("#")[0]
        if rel.startswith("/dev/"):
            continue
        path = work / rel
        if rel in before and path.is_file() and path.read_bytes() == before[rel]:
            if rc in (0, 1, 3, 5):
                return "missing-report", f"{rel} ({kind}) not written (the file is as it was); exit {rc}"
            continue
        if path.is_file():
            problem = report_problem(path, kind)
            if problem:
                return "partial-report", f"{rel} ({kind}): {problem}; exit {rc}"
        elif rc in (0, 1, 3, 5) and not case.fsize:
            return "missing-report", f"{rel} ({kind}) not written; exit {rc}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    odd = [line for line in lines if not line.startswith(_STDERR_OK) and not _PROGRESS.match(line)]
    if odd:
        return "unclean-stderr", odd[0][:160].decode("utf-8", "backslashreplace")
    return "ok", f"exit {rc}"


# --------------------------------------------------------------------------- saving

def command_line(case: Case) -> str:
    """A shell line that reruns the case in its directory, with the same limits."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(case.env.items()))
    gh = "GITHUB_ACTIONS=true CI=true GITHUB_STEP_SUMMARY=step-summary.md " if case.github else ""
    argv = " ".join(shlex.quote(a) for a in case.argv)
    return (f"{gh}{env + ' ' if env else ''}EDGEGATE_DEBUG=1 prlimit --as={AS_LIMIT} "
            f"--fsize={case.fsize or FSIZE_LIMIT} timeout -s KILL {int(case.timeout or TIMEOUT)} "
            f"python -m edgegate {argv}")


def save_failure(case: Case, outcome: Outcome, folder: Path) -> Path:
    """Write the case's files, its command line and outcome under ``folder/<class>/<id>/``."""
    target = folder / outcome.cls / f"{case.generator}-{case.digest()}"
    if target.exists():
        return target
    files = target / "files"
    files.mkdir(parents=True)
    specials = []
    for name, spec in case.files.items():
        path = files / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, bytes):
            path.write_bytes(spec)
        elif isinstance(spec, str):
            path.write_text(spec, encoding="utf-8", errors="surrogateescape")
        elif isinstance(spec, Sized):
            with open(path, "wb") as out:
                out.write(spec.head)
                out.truncate(spec.size)
        elif isinstance(spec, Fifo):
            specials.append(f"mkfifo {shlex.quote(name)}")
        elif isinstance(spec, Dir):
            specials.append(f"mkdir -p {shlex.quote(name)}")
        elif isinstance(spec, Symlink):
            specials.append(f"ln -s {shlex.quote(spec.target)} {shlex.quote(name)}")
    script = "\n".join(["#!/bin/sh", "# rerun this case: sh run.sh (from this folder)",
                        'cd "$(dirname "$0")/files" || exit 1', *specials, command_line(case), ""])
    (target / "run.sh").write_text(script, encoding="utf-8", errors="surrogateescape")
    meta = {"generator": case.generator, "note": case.note, "argv": case.argv, "env": case.env,
            "github": case.github, "reports": case.reports, "fsize": case.fsize, **outcome.summary()}
    (target / "outcome.json").write_text(json.dumps(meta, indent=2, ensure_ascii=True) + "\n")
    (target / "stdout").write_bytes(outcome.stdout[:200_000])
    (target / "stderr").write_bytes(outcome.stderr[:200_000])
    return target


def signature(case: Case, outcome: Outcome) -> str:
    """What makes two failures the same bug: class and where (generator-independent)."""
    detail = re.sub(r"\d+", "N", outcome.detail)
    detail = re.sub(r"'[^']*'", "'…'", detail)
    if " at " not in detail:
        return f"{outcome.cls}|{case.generator}|{case.note.split(':')[0]}|{detail[:60]}"
    return f"{outcome.cls}|{detail[:160]}"


def replace(case: Case, **changes: Any) -> Case:
    """A copy of ``case`` with ``changes``."""
    return dataclasses.replace(case, **changes)
