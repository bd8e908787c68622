"""Models of the first opsets (IR 3: initializers listed as graph inputs, attribute-style ops):
costed from opset 6 on, loud below it (docs/metrics.md, "Unestimated by design")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from edgegate import estimate


def _ir3_model(nodes: list[onnx.NodeProto], shapes: dict[str, list[int]], opset: int) -> onnx.ModelProto:
    """x[1, 3, 16, 16] in, y out; each initializer of ``shapes`` is also a graph input (IR 3)."""
    inits = [numpy_helper.from_array(np.ones(shape, np.float32), name) for name, shape in shapes.items()]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])]
    inputs += [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape) for name, shape in shapes.items()]
    graph = helper.make_graph(nodes, "old", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=3)


def test_opset_7_cnn_is_costed_in_full(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["bn"], spatial=1),
        helper.make_node("Relu", ["bn"], ["r"]),
        helper.make_node("Dropout", ["r"], ["d"], ratio=0.5),
        helper.make_node("MaxPool", ["d"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Upsample", ["p"], ["u"], scales=[1.0, 1.0, 2.0, 2.0], mode="nearest"),
        helper.make_node("Flatten", ["u"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "gw", "gb"], ["y"], transB=1),
    ]
    shapes = {"w": [8, 3, 3, 3], "s": [8], "b": [8], "m": [8], "v": [8], "gw": [10, 8 * 16 * 16], "gb": [10]}
    path = tmp_path / "old7.onnx"
    onnx.save(_ir3_model(nodes, shapes, 7), path)
    result = estimate(path)
    assert result.unestimated == ()
    # Conv: 8 x 16 x 16 outputs x 27 taps; Gemm: 2048 inputs x 10 outputs.
    assert result.macs == 8 * 16 * 16 * 27 + 2048 * 10


def test_opset_1_ops_without_inference_are_unestimated_not_free(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3]),
        helper.make_node("Add", ["c", "b"], ["a"], broadcast=1, axis=1),
        helper.make_node("Relu", ["a"], ["y"]),
    ]
    path = tmp_path / "old1.onnx"
    onnx.save(_ir3_model(nodes, {"w": [8, 3, 3, 3], "b": [8]}, 1), path)
    result = estimate(path)
    assert result.macs == 8 * 14 * 14 * 27
    assert sorted(node.op_type for node in result.unestimated) == ["Add", "Relu"]
    assert all("unknown" in node.reason for node in result.unestimated)
