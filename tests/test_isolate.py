"""Native code that a hostile model can crash runs in a forked child (edgegate.model.isolate)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from onnx import helper

from edgegate.errors import ModelError
from edgegate.model import isolate


def test_result_crosses_back_as_bytes() -> None:
    assert isolate.in_child(lambda: b"\x00inferred" * 3, "work") == b"\x00inferred" * 3


def _raise_model_error() -> bytes:
    raise ModelError("shape inference failed: odd node")


def test_a_model_error_in_the_child_is_raised_here() -> None:
    with pytest.raises(ModelError, match="^shape inference failed: odd node$"):
        isolate.in_child(_raise_model_error, "work")


def _die() -> bytes:
    os.kill(os.getpid(), signal.SIGSEGV)
    return b""


def test_a_child_dying_by_a_signal_is_a_model_error() -> None:
    with pytest.raises(ModelError, match=r"^native work crashed on this model \(SIGSEGV\)"):
        isolate.in_child(_die, "native work")


def test_a_child_ending_without_a_result_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="native work ended without a result"):
        isolate.in_child(lambda: os._exit(0), "native work")


def test_forked_returns_what_the_child_wrote_and_its_signal() -> None:
    assert isolate.forked(lambda: b"written") == isolate.Forked(b"written")
    assert isolate.forked(_die) == isolate.Forked(b"", "SIGSEGV")
    assert isolate.forked(_raise_model_error) == isolate.Forked(b"")


@pytest.mark.skipif(not hasattr(signal, "SIGRTMIN"), reason="real-time signals are a POSIX extension")
def test_a_signal_python_has_no_name_for_is_named_by_number() -> None:
    number = signal.SIGRTMIN + 1
    assert isolate.forked(lambda: os.kill(os.getpid(), number) or b"") == isolate.Forked(b"", f"signal {number}")


def test_without_fork_the_work_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    pid = isolate.in_child(lambda: str(os.getpid()).encode(), "work")
    assert pid == str(os.getpid()).encode()


def test_when_fork_is_refused_the_work_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")
    monkeypatch.setattr(os, "fork", refuse)
    assert isolate.in_child(lambda: str(os.getpid()).encode(), "work") == str(os.getpid()).encode()


def test_shape_inference_crashing_on_a_model_is_one_line_exit_3(tmp_path: Path) -> None:
    # onnx's inference of an ai.onnx.ml DictVectorizer reads its input's type without checking
    # there is one: on a graph input declared without a type, it dies of SIGSEGV
    node = helper.make_node("DictVectorizer", ["x"], ["y"], domain="ai.onnx.ml", string_vocabulary=["a"])
    graph = helper.make_graph([node], "g", [onnx.ValueInfoProto(name="x")], [helper.make_tensor_value_info("y", 1, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ai.onnx.ml", 3)])
    path = tmp_path / "dictvec.onnx"
    onnx.save(model, path)
    run = subprocess.run([sys.executable, "-m", "edgegate", "estimate", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 3, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in run.stderr
    assert "shape inference" in lines[0]
