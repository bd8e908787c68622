"""Run native code that a hostile model can crash in a forked child, so a crash costs the child.

onnx's C++ shape inference trusts the graph it is handed: some of its inference functions
read an input's type without checking there is one (an ai.onnx.ml DictVectorizer whose
input nothing declares dies of SIGSEGV), and no screening before the call can know every such
case in every onnx version. The work runs in a child forked from this process (cheap: the
pages are shared until written); its result comes back as bytes through a pipe, and a child
that dies by a signal becomes a ModelError. Where the OS cannot fork (Windows), or a process
limit refuses it, the work runs in this process, as it did before.
"""

from __future__ import annotations

import faulthandler
import functools
import os
import signal
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import onnx

from edgegate.errors import ModelError

_FAILED = b"-"
_DONE = b"+"


@dataclass(frozen=True)
class Forked:
    """What a forked child left: the bytes it wrote, and the signal that killed it, if any."""

    output: bytes
    signal: str | None = None


def forked(work: Callable[[], bytes]) -> Forked | None:
    """Run ``work()`` in a forked child and collect what it wrote; None when the OS cannot fork
    (no fork, or a process limit refused it), for the caller to run the work itself. A child
    whose work raises writes nothing."""
    child, reader = _fork()
    if child is None:
        return None
    if child == 0:
        _serve(work, reader)
    with os.fdopen(reader, "rb") as pipe:
        output = pipe.read()
    _, status = os.waitpid(child, 0)
    return Forked(output, _signal_name(os.WTERMSIG(status)) if os.WIFSIGNALED(status) else None)


def _signal_name(number: int) -> str:
    """``SIGSEGV`` for 11; ``signal 40`` for a number Python names no signal for (a real-time one)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def in_child(work: Callable[[], bytes], what: str) -> bytes:
    """``work()``, computed in a forked child. A ModelError the work raises there is raised
    here with its message; a child that dies by a signal or ends without a result is a
    ModelError naming ``what``.

    onnx's op schema registry is built here first (about 25 ms, once per process), so that
    every child inherits it rather than building its own and dropping it on exit.
    """
    _schema_registry()
    outcome = forked(lambda: _reported(work))
    if outcome is None:
        return work()
    if outcome.signal is not None:
        raise ModelError(f"{what} crashed on this model ({outcome.signal}): the model is malformed")
    result = outcome.output
    if result[:1] == _DONE:
        return result[1:]
    if result[:1] == _FAILED:
        raise ModelError(result[1:].decode("utf-8", "replace"))
    raise ModelError(f"{what} ended without a result on this model")


@functools.cache
def _schema_registry() -> None:
    """Build onnx's op schema registry in this process (its first lookup builds all of it)."""
    onnx.defs.get_schema("Identity")


def _reported(work: Callable[[], bytes]) -> bytes:
    """The work's result marked done, or its ModelError's message marked failed."""
    try:
        return _DONE + work()
    except ModelError as error:
        return _FAILED + error.message.encode("utf-8", "replace")


def _fork() -> tuple[int | None, int]:
    """(the child's pid, or 0 in the child, or None when forking is not possible; the pipe end
    this side uses: the read end in the parent, the write end in the child)."""
    if not hasattr(os, "fork"):
        return None, -1
    sys.stdout.flush()
    sys.stderr.flush()
    reader, writer = os.pipe()
    try:
        with warnings.catch_warnings():  # 3.12+ warns about forking with threads alive
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return None, -1
    if child == 0:
        os.close(reader)
        return 0, writer
    os.close(writer)
    return child, reader


def _serve(work: Callable[[], bytes], writer: int) -> None:
    """In the child: write the work's result and exit at once, without running this process's
    exit handlers or flushing buffers it inherited; work that raises writes nothing."""
    faulthandler.disable()  # a crash of the work is reported by the parent, in one line
    try:
        payload = work()
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
    finally:
        os._exit(0)
