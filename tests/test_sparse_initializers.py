"""Sparse initializers are weights: they produce their name and count as the dense tensors a
runtime makes of them (edgegate.model.sparse)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from edgegate import estimate
from edgegate.model.load import load_model

FLOAT = TensorProto.FLOAT


def _sparse(name: str, dims: list[int], nonzeros: int, dtype: int = FLOAT) -> onnx.SparseTensorProto:
    """A sparse tensor of shape ``dims`` with ``nonzeros`` stored values (flat indices)."""
    values = helper.make_tensor(name, FLOAT, [nonzeros], [1.0] * nonzeros)
    values.data_type = dtype
    indices = helper.make_tensor(f"{name}_indices", TensorProto.INT64, [nonzeros], list(range(nonzeros)))
    return helper.make_sparse_tensor(values, indices, dims)


def _matmul_model(weight: onnx.SparseTensorProto, also_input: bool = False) -> onnx.ModelProto:
    """x[1, 64] @ w[64, 32], w given as a sparse initializer."""
    inputs = [helper.make_tensor_value_info("x", FLOAT, [1, 64])]
    if also_input:
        inputs.append(helper.make_tensor_value_info("w", FLOAT, [64, 32]))
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "sparse", inputs,
        [helper.make_tensor_value_info("y", FLOAT, [1, 32])], sparse_initializer=[weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_sparse_weight_counts_as_dense_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "sparse.onnx"
    onnx.save(_matmul_model(_sparse("w", [64, 32], 10)), path)
    result = estimate(path)
    # 1 x 64 x 32 MACs; 64 * 32 parameters of 4 bytes, though only 10 are stored.
    assert (result.macs, result.params, result.weight_bytes) == (2048, 2048, 8192)
    assert result.unestimated == ()


def test_sparse_weight_from_a_model_proto_is_left_unchanged() -> None:
    model = _matmul_model(_sparse("w", [64, 32], 10))
    result = estimate(model)
    assert (result.macs, result.params) == (2048, 2048)
    assert len(model.graph.sparse_initializer) == 1 and not model.graph.initializer


def test_sparse_weight_declared_as_input_is_not_an_input_to_bind(tmp_path: Path) -> None:
    path = tmp_path / "sparse_input.onnx"
    onnx.save(_matmul_model(_sparse("w", [64, 32], 3), also_input=True), path)
    assert estimate(path).params == 2048


def test_sparse_weight_in_a_loop_body_is_read_each_trip(tmp_path: Path) -> None:
    body = helper.make_graph(
        [helper.make_node("MatMul", ["state", "w"], ["next"]),
         helper.make_node("Identity", ["cond"], ["cond_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
         helper.make_tensor_value_info("state", FLOAT, [1, 8])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("next", FLOAT, [1, 8])],
        sparse_initializer=[_sparse("w", [8, 8], 2)])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["trips", "", "x"], ["y"], body=body)], "loop",
        [helper.make_tensor_value_info("x", FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", FLOAT, [1, 8])],
        [helper.make_tensor("trips", TensorProto.INT64, [], [3])])
    path = tmp_path / "loop.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    result = estimate(path)
    assert (result.macs, result.params) == (3 * 8 * 8, 64)


def test_loader_replaces_sparse_by_value_less_dense(tmp_path: Path) -> None:
    path = tmp_path / "sparse.onnx"
    onnx.save(_matmul_model(_sparse("w", [64, 32], 10)), path)
    graph = load_model(path).graph
    assert not graph.sparse_initializer
    (dense,) = graph.initializer
    assert (dense.name, dense.data_type, list(dense.dims)) == ("w", FLOAT, [64, 32])
    assert not dense.float_data and not dense.raw_data


@pytest.mark.parametrize(("dims", "dtype", "message"), [
    ([-2, 32], FLOAT, "negative dimension"),
    ([2**62, 2**62], FLOAT, "more than 64-bit sizes can count"),
    ([64, 32], 999, "data type 999"),
])
def test_malformed_sparse_weight_is_a_model_error(tmp_path: Path, dims: list[int], dtype: int,
                                                  message: str) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(_matmul_model(_sparse("w", dims, 2, dtype)).SerializeToString())
    run = subprocess.run([sys.executable, "-m", "edgegate", "estimate", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 3, run.stderr
    assert run.stderr.count("\n") == 1 and message in run.stderr and str(path) in run.stderr
