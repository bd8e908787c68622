"""Run native code that a hostile model can crash in a forked child, so a crash costs the child.

onnx's C++ shape inference trusts the graph it is handed: some of its inference functions
read an input's type without checking there is one (an ai.onnx.ml DictVectorizer whose
input nothing declares dies of SIGSEGV), and no screening before the call can know every such
case in every onnx version. The work runs in a child forked from this process (the pages are
shared until written); its result comes back as bytes through a pipe, and a child that dies
by a signal becomes a ModelError. A run over many models keeps one child for all of them
(:func:`reusing_child`) rather than forking one per model. Where the OS cannot fork
(Windows), or a process limit refuses it, the work runs in this process.
"""

from __future__ import annotations

import contextlib
import faulthandler
import functools
import os
import signal
import struct
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, NoReturn

import onnx

from edgegate.errors import ModelError

Job = Callable[[onnx.ModelProto], bytes]
"""Work a child does on a model: its result as bytes; a ModelError when the model is refused."""

_FAILED = b"-"
_DONE = b"+"
_LAST = {b"*": _DONE, b"!": _FAILED}
"""Done and failed, from a child that exits after this reply (see :func:`retire`)."""
_AS_LAST = {plain: last for last, plain in _LAST.items()}
_REQUEST = struct.Struct(">IQ")  # the job's number among those the child knows, the model's size
_REPLY = struct.Struct(">cQ")  # done or failed, the size of the result or message that follows

ONE_SHOT_JOBS = 2
"""Within :func:`reusing_child`, the first jobs still get a child of their own, which exits as
it replies: while a child lives, each page this process writes is copied first, and a run of
one large model would pay that (0.1 s on a 10,000-node graph) for nothing. One model can need
two jobs: onnx's function inliner, then its shape inference."""


@dataclass(frozen=True)
class Forked:
    """What a forked child left: the bytes it wrote, and the signal that killed it, if any."""

    output: bytes
    signal: str | None = None


def forked(work: Callable[[], bytes]) -> Forked | None:
    """Run ``work()`` in a forked child and collect what it wrote; None when the OS cannot fork
    (no fork, or a process limit refused it), for the caller to run the work itself. A child
    whose work raises writes nothing."""
    child, reader, _ = _fork()
    if child is None:
        return None
    if child == 0:
        _exit_after(functools.partial(_write, work, reader))
    with os.fdopen(reader, "rb") as pipe:
        output = pipe.read()
    _, status = os.waitpid(child, 0)
    return Forked(output, _ended(status))


def _ended(status: int) -> str | None:
    """The name of the signal that ended a child, from its wait status; None when it exited."""
    return _signal_name(os.WTERMSIG(status)) if os.WIFSIGNALED(status) else None


def _signal_name(number: int) -> str:
    """``SIGSEGV`` for 11; ``signal 40`` for a number Python names no signal for (a real-time one)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def in_child(job: Job, model: onnx.ModelProto, what: str) -> bytes:
    """``job(model)``, computed in a forked child. A ModelError the job raises there is raised
    here with its message; a child that dies by a signal or ends without a result is a
    ModelError naming ``what``.

    Within :func:`reusing_child`, a kept child that knows ``job`` runs it on a copy of
    ``model`` sent as bytes; otherwise a child is forked for it and sees ``model`` itself.
    onnx's op schema registry is built here first (about 25 ms, once per process), so that
    every child inherits it rather than building its own.
    """
    _schema_registry()
    kept = _kept_child()
    if kept is not None and job in _REUSE.jobs:  # the jobs known when the kept child was forked
        return _answer(kept.ask(_REUSE.jobs.index(job), model), what)
    _stop_kept()
    known = _REUSE.jobs if _REUSE.on else ()
    jobs = known if job in known else (*known, job)
    keep = _REUSE.on and _REUSE.forked >= ONE_SHOT_JOBS
    if _REUSE.on:
        _REUSE.jobs, _REUSE.forked = jobs, _REUSE.forked + 1
    child, reader, requests = _fork(keep)
    if child is None:
        return job(model)
    if child == 0:
        _exit_after(functools.partial(_serve, jobs, job, model, reader, requests))
    started = _Child(os.getpid(), child, os.fdopen(reader, "rb"),
                     os.fdopen(requests, "wb") if requests >= 0 else None)
    reply = started.reply()
    if keep and not started.stopped:
        _REUSE.kept = started
    else:
        started.stop()
    return _answer(reply, what)


def _answer(reply: Forked, what: str) -> bytes:
    """The job's result from a child's reply; ModelError when it failed, crashed or said nothing."""
    if reply.signal is not None:
        raise ModelError(f"{what} crashed on this model ({reply.signal}): the model is malformed")
    if reply.output[:1] == _DONE:
        return reply.output[1:]
    if reply.output[:1] == _FAILED:
        raise ModelError(reply.output[1:].decode("utf-8", "replace"))
    raise ModelError(f"{what} ended without a result on this model")


def retire() -> None:
    """Called by a job in a child that recovered from running out of memory: the child replies,
    then exits rather than serving more jobs, since native code that failed an allocation can
    leave its heap in any state (a kept child under onnx 1.22 once grew to 6.7 GB after such a
    model). Outside a child it does nothing that lasts: each child starts unretired."""
    _REUSE.retired = True


@contextlib.contextmanager
def reusing_child() -> Iterator[None]:
    """Within the block, one child runs every job after the first :data:`ONE_SHOT_JOBS`, each
    sent a copy of its model as bytes, until one crashes it: forking a process that has onnx
    loaded costs about 10 ms of CPU (its page tables copied, what the child writes faulted in,
    all torn down at exit), more than onnx's shape inference of a small model. On leaving, the
    kept child is stopped."""
    outer = _REUSE.on
    _REUSE.on = True
    try:
        yield
    finally:
        if not outer:
            _stop_kept()
            _REUSE.on, _REUSE.jobs, _REUSE.forked = False, (), 0


@dataclass
class _Child:
    """A forked child: the process that forked it, its pid and the pipe ends this side uses (no
    request pipe when it runs one job only). A kept child runs the jobs :data:`_REUSE` knew
    when it was forked, by number."""

    owner: int
    pid: int
    replies: BinaryIO
    requests: BinaryIO | None
    ended: str | None = None
    stopped: bool = False

    def ask(self, number: int, model: onnx.ModelProto) -> Forked:
        """Job ``number`` run on ``model`` by this child, which is stopped when it died."""
        payload = model.SerializeToString()
        assert self.requests is not None
        with contextlib.suppress(OSError):  # it is gone: the reply finds out how it ended
            self.requests.write(_REQUEST.pack(number, len(payload)))
            self.requests.write(payload)
            self.requests.flush()
        reply = self.reply()
        if self.stopped:
            _REUSE.kept = None
        return reply

    def reply(self) -> Forked:
        """The child's next reply; when it ends first, nothing and the signal that killed it."""
        header = self.replies.read(_REPLY.size)
        if len(header) == _REPLY.size:
            status, length = _REPLY.unpack(header)
            body = self.replies.read(length)
            if len(body) == length:
                if status in _LAST:  # the child exits after this reply
                    status = _LAST[status]
                    self.stop()
                return Forked(status + body)
        self.stop()
        return Forked(b"", self.ended)

    def stop(self, idle: bool = False) -> None:
        """Close this side's pipe ends and reap the child. An ``idle`` one, waiting for a
        request, is killed: it would exit at the end of its requests, but a forked copy of
        this process may hold the request pipe open."""
        if self.stopped:
            return
        self.stopped = True
        self.close()
        if idle:
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self.ended = _ended(status)

    def close(self) -> None:
        """Close this side's pipe ends."""
        for stream in (self.requests, self.replies):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


@dataclass
class _Reuse:
    """Whether children are kept (within :func:`reusing_child`), the kept one, the jobs seen
    so far in the block, which the next child forked will know, and the children forked; in a
    child, whether a job retired it."""

    on: bool = False
    kept: _Child | None = None
    jobs: tuple[Job, ...] = ()
    forked: int = 0
    retired: bool = False


_REUSE = _Reuse()


def _kept_child() -> _Child | None:
    """The kept child, when this process forked it. One inherited by a forked copy of this
    process (a worker of a process pool) is not that copy's to use: its pipe ends are closed
    there and it is forgotten."""
    kept = _REUSE.kept
    if kept is not None and kept.owner != os.getpid():
        kept.close()
        _REUSE.kept = kept = None
    return kept


def _stop_kept() -> None:
    """Stop the kept child, if any."""
    kept, _REUSE.kept = _kept_child(), None
    if kept is not None:
        kept.stop(idle=True)


@functools.cache
def _schema_registry() -> None:
    """Build onnx's op schema registry in this process (its first lookup builds all of it)."""
    onnx.defs.get_schema("Identity")


def _fork(keep: bool = False) -> tuple[int | None, int, int]:
    """(the child's pid, or 0 in the child, or None when forking is not possible; the reply
    pipe's end this side uses (read end in the parent, write end in the child); with ``keep``,
    the request pipe's end this side uses (write end in the parent, read end in the child),
    else -1)."""
    if not hasattr(os, "fork"):
        return None, -1, -1
    sys.stdout.flush()
    sys.stderr.flush()
    pipes = [os.pipe(), os.pipe() if keep else (-1, -1)]
    (reply_reader, reply_writer), (request_reader, request_writer) = pipes
    try:
        with warnings.catch_warnings():  # 3.12+ warns about forking with threads alive
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
    except OSError:
        _close(reply_reader, reply_writer, request_reader, request_writer)
        return None, -1, -1
    if child == 0:
        _close(reply_reader, request_writer)
        return 0, reply_writer, request_reader
    _close(reply_writer, request_reader)
    return child, reply_reader, request_writer


def _close(*ends: int) -> None:
    """Close the pipe ends that are open (not -1)."""
    for end in ends:
        if end >= 0:
            os.close(end)


def _exit_after(action: Callable[[], None]) -> NoReturn:
    """In the child: run ``action``, then exit at once, without running this process's exit
    handlers or flushing buffers it inherited, whatever ``action`` raised."""
    faulthandler.disable()  # a crash of the work is reported by the parent, in one line
    try:
        action()
    finally:
        os._exit(0)


def _write(work: Callable[[], bytes], writer: int) -> None:
    """In the child: write the work's result; work that raises writes nothing."""
    payload = work()
    with os.fdopen(writer, "wb") as pipe:
        pipe.write(payload)


def _serve(jobs: Sequence[Job], job: Job, model: onnx.ModelProto, writer: int, requests: int) -> None:
    """In the child: reply to ``job(model)``, then (kept, ``requests`` open) to each request
    until they end or a job retires the child. A job raising anything but a ModelError ends the
    replies."""
    _REUSE.retired = False
    with os.fdopen(writer, "wb") as replies:
        _reply(replies, job, model)
        if requests >= 0 and not _REUSE.retired:
            with os.fdopen(requests, "rb") as incoming:
                for number, given in _requests(incoming):
                    _reply(replies, jobs[number], given)
                    if _REUSE.retired:
                        return


def _requests(incoming: BinaryIO) -> Iterator[tuple[int, onnx.ModelProto]]:
    """(job number, model) for each request read from ``incoming``, until it ends."""
    while len(header := incoming.read(_REQUEST.size)) == _REQUEST.size:
        number, length = _REQUEST.unpack(header)
        model = onnx.ModelProto()
        model.ParseFromString(incoming.read(length))
        yield number, model


def _reply(replies: BinaryIO, job: Job, model: onnx.ModelProto) -> None:
    """Write ``job(model)`` marked done, or its ModelError's message marked failed, framed; marked
    as the last reply when the job retired the child."""
    try:
        body = _DONE + job(model)
    except ModelError as error:
        body = _FAILED + error.message.encode("utf-8", "replace")
    status = _AS_LAST[body[:1]] if _REUSE.retired else body[:1]
    replies.write(_REPLY.pack(status, len(body) - 1))
    replies.write(memoryview(body)[1:])
    replies.flush()
