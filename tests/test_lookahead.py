"""Folding past shape arithmetic onnx cannot follow, by guessed shapes checked afterwards.

onnx's data propagation has no rule for Div (among others), so a network that splits each
block's tensor in two by ``Shape -> Gather -> Div`` (torch's ``chunk``, as the TorchScript
exporter writes it) leaves everything after the first block unknown, and folding alone took
one whole-graph inference round per block. edgegate.model.lookahead guesses the shapes past
the fold, node by node; the next round confirms each guess or the round is undone. These tests
check the estimate is the one folding alone gives, in a bounded number of rounds, and that
wrong guesses and a crashing guess child change nothing but the round count.
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edgegate.errors import EdgegateError
from edgegate.estimator.estimate import estimate
from edgegate.model import lookahead, shapes
from tests.fuzz_models import random_graph
from tests.hostile import models as hostile
from tests.model_helpers import save

SEQUENCE, HALF, BLOCKS = 4, 8, 12


def chunked_blocks(blocks: int = BLOCKS) -> onnx.ModelProto:
    """``blocks`` blocks of x (1 x SEQUENCE x 2*HALF) -> halves a, b by Slice at
    Shape(x)[2] / 2 -> a * b -> MatMul by a (HALF x 2*HALF) weight."""
    nodes, inits, x = [], [
        numpy_helper.from_array(np.array(2, np.int64), "two"),
        numpy_helper.from_array(np.array([0], np.int64), "zero"),
        numpy_helper.from_array(np.array([2], np.int64), "axis"),
        numpy_helper.from_array(np.array([2**62], np.int64), "end"),
        numpy_helper.from_array(np.array(2, np.int64), "last"),
    ], "x"
    for b in range(blocks):
        p = f"b{b}_"
        inits.append(numpy_helper.from_array(np.ones((HALF, 2 * HALF), np.float32), p + "w"))
        nodes += [
            helper.make_node("Shape", [x], [p + "shape"]),
            helper.make_node("Gather", [p + "shape", "last"], [p + "width"]),
            helper.make_node("Div", [p + "width", "two"], [p + "half"]),
            helper.make_node("Unsqueeze", [p + "half", "zero"], [p + "cut"]),
            helper.make_node("Slice", [x, "zero", p + "cut", "axis"], [p + "a"]),
            helper.make_node("Slice", [x, p + "cut", "end", "axis"], [p + "b"]),
            helper.make_node("Mul", [p + "a", p + "b"], [p + "gated"]),
            helper.make_node("MatMul", [p + "gated", p + "w"], [p + "out"], name=p + "matmul"),
        ]
        x = p + "out"
    graph = helper.make_graph(
        nodes, "chunked", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, SEQUENCE, 2 * HALF])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


class Rounds:
    """Counts onnx's whole-graph inference rounds and undone speculations."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inferred = self.undone = 0
        infer, undo = shapes._infer, shapes.Speculation.undo

        def counted_infer(*args):
            self.inferred += 1
            return infer(*args)

        def counted_undo(speculation, *args):
            self.undone += 1
            return undo(speculation, *args)

        monkeypatch.setattr(shapes, "_infer", counted_infer)
        monkeypatch.setattr(shapes.Speculation, "undo", counted_undo)


def _without_guessing(path: str | Path, monkeypatch: pytest.MonkeyPatch, **options):
    with monkeypatch.context() as patch:
        patch.setattr(shapes, "_speculate", lambda *args: None)
        return estimate(path, **options)


def test_guessing_folds_every_block_in_three_rounds(tmp_path, monkeypatch):
    path = save(chunked_blocks(), tmp_path / "chunked.onnx")
    alone = Rounds(monkeypatch)
    reference = _without_guessing(path, monkeypatch)
    assert alone.inferred >= BLOCKS  # one round per block: the link onnx cannot follow
    guessed = Rounds(monkeypatch)
    result = estimate(path)
    assert guessed.inferred <= 3 and guessed.undone == 0
    assert result == reference
    assert result.unestimated == ()
    assert result.macs == BLOCKS * SEQUENCE * HALF * 2 * HALF
    assert [layer.macs for layer in result.layers if layer.op_types[0] == "MatMul"] == [
        SEQUENCE * HALF * 2 * HALF] * BLOCKS


def test_a_wrong_guess_is_undone_and_changes_nothing(tmp_path, monkeypatch):
    path = save(chunked_blocks(), tmp_path / "chunked.onnx")
    reference = _without_guessing(path, monkeypatch)
    guess = lookahead.LookAhead.__call__

    def wide_matmuls(self, node, scope):  # runs in the forked child, which inherits the patch
        found = guess(self, node, scope)
        if node.op_type != "MatMul" or not found:
            return found
        # twice as wide: the next block's Shape -> Div folds a wrong cut, which gets injected
        return [type(info)(info.name, (*info.shape[:-1], 2 * info.shape[-1]), info.dtype) for info in found]

    monkeypatch.setattr(lookahead.LookAhead, "__call__", wide_matmuls)
    rounds = Rounds(monkeypatch)
    assert estimate(path) == reference
    assert rounds.undone == 1 and rounds.inferred >= BLOCKS


def test_a_guess_child_that_crashes_changes_nothing(tmp_path, monkeypatch):
    path = save(chunked_blocks(), tmp_path / "chunked.onnx")
    reference = _without_guessing(path, monkeypatch)
    monkeypatch.setattr(lookahead.LookAhead, "__call__",
                        lambda self, node, scope: os.kill(os.getpid(), signal.SIGSEGV))
    rounds = Rounds(monkeypatch)
    assert estimate(path) == reference
    assert rounds.undone == 0 and rounds.inferred >= BLOCKS


def test_bound_dimensions_guess_the_same(tmp_path, monkeypatch):
    model = chunked_blocks(5)
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "seq"
    path = save(model, tmp_path / "dynamic.onnx")
    for seq in (1, 3, 64):
        result = estimate(path, dims={"seq": seq})
        assert result == _without_guessing(path, monkeypatch, dims={"seq": seq})
        assert result.macs == 5 * seq * HALF * 2 * HALF


def _outcome(path: Path, monkeypatch: pytest.MonkeyPatch, guessing: bool) -> tuple[str, object]:
    dims = {"batch": 1, "N": 1, "height": 32, "width": 32}
    try:
        found = estimate(path, dims=dims) if guessing else _without_guessing(path, monkeypatch, dims=dims)
    except EdgegateError as error:
        return type(error).__name__, str(error)
    return "ok", found


@pytest.mark.slow
def test_generated_models_estimate_the_same_with_and_without_guessing(tmp_path, monkeypatch):
    rng = random.Random(20261204)
    makers = [
        lambda: random_graph(rng).SerializeToString(),
        lambda: hostile.shape_dataprop(rng),
        lambda: hostile.fold_blowup(rng),
        lambda: hostile.malformed(rng),
        lambda: hostile.native_op(rng),
        lambda: chunked_blocks(rng.randint(1, 4)).SerializeToString(),
    ]
    outcomes = []
    for index in range(120):
        path = tmp_path / f"m{index}.onnx"
        path.write_bytes(makers[index % len(makers)]())
        guessed = _outcome(path, monkeypatch, True)
        assert guessed == _outcome(path, monkeypatch, False), path
        outcomes.append(guessed[0])
    assert outcomes.count("ok") >= 80 and len(outcomes) - outcomes.count("ok") >= 3
