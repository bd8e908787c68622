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
import os
import signal
import sys
import warnings
from collections.abc import Callable

from edgegate.errors import ModelError

_FAILED = b"-"
_DONE = b"+"


def in_child(work: Callable[[], bytes], what: str) -> bytes:
    """``work()``, computed in a forked child. A ModelError the work raises there is raised
    here with its message; a child that dies by a signal or ends without a result is a
    ModelError naming ``what``."""
    child, reader = _fork()
    if child is None:
        return work()
    if child == 0:
        _serve(work, reader)
    with os.fdopen(reader, "rb") as pipe:
        result = pipe.read()
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise ModelError(f"{what} crashed on this model ({name}): the model is malformed")
    if result[:1] == _DONE:
        return result[1:]
    if result[:1] == _FAILED:
        raise ModelError(result[1:].decode("utf-8", "replace"))
    raise ModelError(f"{what} ended without a result on this model")


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
    """In the child: write the work's result (or its ModelError's message) and exit at once,
    without running this process's exit handlers or flushing buffers it inherited."""
    faulthandler.disable()  # a crash of the work is reported by the parent, in one line
    try:
        try:
            payload = _DONE + work()
        except ModelError as error:
            payload = _FAILED + error.message.encode("utf-8", "replace")
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
    finally:
        os._exit(0)
