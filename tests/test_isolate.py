"""Native code that a hostile model can crash runs in a forked child (edgegate.model.isolate)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import onnx
import pytest
from onnx import helper

from edgegate.errors import EdgegateError, ModelError
from edgegate.estimator.estimate import estimate
from edgegate.model import isolate
from tests.fuzz_models import mutate_bytes, mutate_proto, random_graph, seed_models
from tests.hostile import models as hostile

MODEL = onnx.ModelProto()


def test_result_crosses_back_as_bytes() -> None:
    assert isolate.in_child(lambda model: b"\x00inferred" * 3, MODEL, "work") == b"\x00inferred" * 3


def _raise_model_error(model: onnx.ModelProto = MODEL) -> bytes:
    raise ModelError("shape inference failed: odd node")


def test_a_model_error_in_the_child_is_raised_here() -> None:
    with pytest.raises(ModelError, match="^shape inference failed: odd node$"):
        isolate.in_child(_raise_model_error, MODEL, "work")


def _die(model: onnx.ModelProto = MODEL) -> bytes:
    os.kill(os.getpid(), signal.SIGSEGV)
    return b""


def test_a_child_dying_by_a_signal_is_a_model_error() -> None:
    with pytest.raises(ModelError, match=r"^native work crashed on this model \(SIGSEGV\)"):
        isolate.in_child(_die, MODEL, "native work")


def test_a_child_ending_without_a_result_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="native work ended without a result"):
        isolate.in_child(lambda model: os._exit(0), MODEL, "native work")


def test_forked_returns_what_the_child_wrote_and_its_signal() -> None:
    assert isolate.forked(lambda: b"written") == isolate.Forked(b"written")
    assert isolate.forked(_die) == isolate.Forked(b"", "SIGSEGV")
    assert isolate.forked(_raise_model_error) == isolate.Forked(b"")


@pytest.mark.skipif(not hasattr(signal, "SIGRTMIN"), reason="real-time signals are a POSIX extension")
def test_a_signal_python_has_no_name_for_is_named_by_number() -> None:
    number = signal.SIGRTMIN + 1
    assert isolate.forked(lambda: os.kill(os.getpid(), number) or b"") == isolate.Forked(b"", f"signal {number}")


def _pid(model: onnx.ModelProto) -> bytes:
    return str(os.getpid()).encode()


def test_without_fork_the_work_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    pid = isolate.in_child(_pid, MODEL, "work")
    assert pid == str(os.getpid()).encode()


def test_when_fork_is_refused_the_work_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")
    monkeypatch.setattr(os, "fork", refuse)
    assert isolate.in_child(_pid, MODEL, "work") == str(os.getpid()).encode()


def _crashing() -> onnx.ModelProto:
    """onnx's inference of an ai.onnx.ml DictVectorizer reads its input's type without checking
    there is one: on a graph input declared without a type, it dies of SIGSEGV."""
    node = helper.make_node("DictVectorizer", ["x"], ["y"], domain="ai.onnx.ml", string_vocabulary=["a"])
    graph = helper.make_graph([node], "g", [onnx.ValueInfoProto(name="x")], [helper.make_tensor_value_info("y", 1, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])


def test_shape_inference_crashing_on_a_model_is_one_line_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "dictvec.onnx"
    onnx.save(_crashing(), path)
    run = subprocess.run([sys.executable, "-m", "edgegate", "estimate", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 3, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in run.stderr
    assert "shape inference" in lines[0]


def _named(name: str) -> onnx.ModelProto:
    model = onnx.ModelProto()
    model.graph.name = name
    return model


def _by_name(model: onnx.ModelProto) -> bytes:
    """The child's pid and the model's name; "refuse" is refused, "crash" crashes, "exit" exits;
    "retire..." retires the child first."""
    name = model.graph.name
    if name.startswith("retire"):
        isolate.retire()
        name = name.partition("-")[2] or name
    if name == "refuse":
        raise ModelError("refused")
    if name == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if name == "exit":
        os._exit(0)
    return f"{os.getpid()} {name}".encode()


def _ask(name: str, job=_by_name) -> list[str]:
    return isolate.in_child(job, _named(name), "work").decode().split()


def test_without_reuse_each_job_gets_its_own_child() -> None:
    first, second = _ask("a"), _ask("b")
    assert (first[1], second[1]) == ("a", "b")
    assert len({first[0], second[0], str(os.getpid())}) == 3


def _warm() -> None:
    """Run the jobs a block forks a child for each, so that the next one is kept."""
    for index in range(isolate.ONE_SHOT_JOBS):
        _ask(f"warm{index}")


def test_a_reused_child_runs_each_job_on_the_model_it_is_sent() -> None:
    with isolate.reusing_child():
        found = [_ask(name) for name in "abcde"]
        other = _ask("f", job=lambda model: f"{os.getpid()} {model.graph.name}".encode())
        again = _ask("g")
    assert [name for _, name in found] == ["a", "b", "c", "d", "e"]
    # the first jobs' children exit as they reply; the next ones share one child
    assert isolate.ONE_SHOT_JOBS == 2
    assert len({pid for pid, _ in found[2:]}) == 1
    assert len({found[0][0], found[1][0], found[2][0], str(os.getpid())}) == 4
    assert other[1] == "f" and other[0] != found[2][0]  # a job the kept child did not know: a new child
    assert again == [other[0], "g"]  # which knows both


def test_the_first_jobs_of_a_block_get_children_that_exit_as_they_reply() -> None:
    with isolate.reusing_child():
        for name in ("a", "b"):  # one model's inliner and inference, say
            pid = int(_ask(name)[0])
            with pytest.raises(ChildProcessError):  # gone and reaped: its pages are this process's again
                os.waitpid(pid, os.WNOHANG)
        kept = int(_ask("c")[0])
        assert os.waitpid(kept, os.WNOHANG) == (0, 0)  # alive, waiting for the next job


def test_a_refusal_keeps_the_child_and_a_crash_or_exit_replaces_it() -> None:
    with isolate.reusing_child():
        _warm()
        first = _ask("a")
        with pytest.raises(ModelError, match="^refused$"):
            _ask("refuse")
        second = _ask("b")
        with pytest.raises(ModelError, match=r"^work crashed on this model \(SIGSEGV\)"):
            _ask("crash")
        third = _ask("c")
        with pytest.raises(ModelError, match="^work ended without a result"):
            _ask("exit")
        fourth = _ask("d")
    assert first[0] == second[0]
    assert len({second[0], third[0], fourth[0]}) == 3
    assert [first[1], second[1], third[1], fourth[1]] == ["a", "b", "c", "d"]


@pytest.mark.parametrize("refused", [False, True], ids=["done", "refused"])
def test_a_job_that_retires_the_kept_child_gets_its_reply_and_the_next_job_a_new_child(refused) -> None:
    # a child that recovered from running out of memory replies, then exits: the next model
    # is not handed to a heap in an unknown state
    with isolate.reusing_child():
        _warm()
        kept = _ask("a")[0]
        if refused:
            with pytest.raises(ModelError, match="^refused$"):
                _ask("retire-refuse")
        else:
            assert _ask("retire") == [kept, "retire"]  # the kept child ran it, then exited
        with pytest.raises(ChildProcessError):  # and was reaped
            os.waitpid(int(kept), os.WNOHANG)
        assert isolate._REUSE.kept is None
        after = _ask("b")
        assert after[1] == "b" and after[0] != kept
        assert _ask("c") == [after[0], "c"]  # the new child is kept in turn


def test_inference_out_of_memory_retires_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    from edgegate.model import screen

    real = screen.shape_inference.infer_shapes

    def infer(model, *args, **kwargs):
        if model.graph.name == "oom":
            raise MemoryError
        return real(model, *args, **kwargs)

    monkeypatch.setattr(screen.shape_inference, "infer_shapes", infer)  # the children inherit it
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g", [helper.make_tensor_value_info("x", 1, [1, 4])],
        [helper.make_tensor_value_info("y", 1, None)]))
    with isolate.reusing_child():
        _warm()
        assert estimate(model).flops == 4
        kept = isolate._REUSE.kept
        assert kept is not None
        model.graph.name = "oom"
        with pytest.raises(ModelError, match="shape inference ran out of memory"):
            estimate(model)
        assert isolate._REUSE.kept is None and kept.stopped
        model.graph.name = "g"
        assert estimate(model).flops == 4
        assert isolate._REUSE.kept is not None and isolate._REUSE.kept.pid != kept.pid


def test_leaving_the_block_stops_and_reaps_the_kept_child() -> None:
    with isolate.reusing_child():
        _warm()
        pid = int(_ask("a")[0])
        with isolate.reusing_child():  # an inner block leaves the child to the outer one
            assert int(_ask("b")[0]) == pid
        assert int(_ask("c")[0]) == pid
    with pytest.raises(ChildProcessError):  # no child of ours any more: it exited and was reaped
        os.waitpid(pid, os.WNOHANG)
    assert int(_ask("d")[0]) != pid


def test_a_forked_copy_of_this_process_does_not_use_the_child_it_inherited() -> None:
    with isolate.reusing_child():
        _warm()
        kept = _ask("a")[0]
        reader, writer = os.pipe()
        copy = os.fork()
        if copy == 0:
            try:
                os.write(writer, isolate.in_child(_by_name, _named("b"), "work"))
            finally:
                os._exit(0)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            theirs = pipe.read().decode().split()
        os.waitpid(copy, 0)
        mine = _ask("c")
    assert theirs[1] == "b" and theirs[0] not in (kept, str(copy))
    assert mine == [kept, "c"]


def test_leaving_the_block_does_not_wait_for_a_forked_copy_holding_the_request_pipe() -> None:
    with isolate.reusing_child():
        _warm()
        pid = int(_ask("a")[0])
        copy = os.fork()
        if copy == 0:  # a copy of this process (as a pool worker is) that never uses the child
            time.sleep(30)
            os._exit(0)
        left = time.monotonic()
    waited = time.monotonic() - left
    os.kill(copy, signal.SIGKILL)
    os.waitpid(copy, 0)
    assert waited < 10  # the kept child was stopped, not left waiting for the copy's pipe to close
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _generated(rng: random.Random, index: int, seeds: list[onnx.ModelProto]) -> bytes:
    """Model ``index`` of a mix of the fuzzers' and hostile catalogue's generators."""
    makers = [
        lambda: random_graph(rng).SerializeToString(),
        lambda: mutate_proto(rng, rng.choice(seeds)).SerializeToString(),
        lambda: mutate_bytes(rng, rng.choice(seeds).SerializeToString()),
        lambda: hostile.native_op(rng),
        lambda: hostile.shape_dataprop(rng),
        lambda: hostile.malformed(rng),
        lambda: hostile.fold_blowup(rng),
        lambda: hostile.deep_nesting(rng.choice([2, 30, 99, 100, 101, 200]), rng.choice(["Loop", "If"]),
                                     rng.choice([0, 2048])),
        lambda: hostile.function_model(rng.choice(["recursive", "mutual", "duplicate", "too_many_inputs",
                                                   "too_few_inputs", "missing", "attr_ref"])),
        lambda: _crashing().SerializeToString(),
    ]
    return makers[index % len(makers)]()


def _outcome(path: Path) -> tuple[str, object]:
    try:
        return "ok", estimate(path, dims={"batch": 1, "N": 1, "height": 32, "width": 32})
    except EdgegateError as error:
        return type(error).__name__, str(error)


@pytest.mark.slow
def test_a_kept_child_estimates_each_generated_model_as_a_child_forked_for_it(tmp_path: Path) -> None:
    # the kept child sees a copy of the model sent as bytes (after another model), a forked
    # one the model itself: the same estimate or the same error, crashes included
    rng, seeds = random.Random(20261204), seed_models()
    warm = tmp_path / "warm.onnx"
    warm.write_bytes(random_graph(random.Random(1)).SerializeToString())
    outcomes = []
    for index in range(90):
        path = tmp_path / f"m{index}.onnx"
        path.write_bytes(_generated(rng, index, seeds))
        alone = _outcome(path)
        with isolate.reusing_child():
            for _ in range(isolate.ONE_SHOT_JOBS + 1):  # the last one forks the kept child
                assert _outcome(warm)[0] == "ok"
            assert isolate._REUSE.kept is not None  # the model is sent to it as bytes
            kept = _outcome(path)
            assert _outcome(warm)[0] == "ok"
        assert kept == alone, path
        outcomes.append(alone[0] if alone[0] == "ok" else alone)
    assert outcomes.count("ok") >= 30 and sum(found[0] == "ModelError" for found in outcomes) >= 20
    assert sum("crashed on this model (SIGSEGV)" in str(found) for found in outcomes) >= 5
