"""Op classes and the efficiency-weighted roofline: per layer max(FLOPs / (peak x efficiency of
its class), DRAM bytes / bandwidth), summed; layers classified from the model file."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import onnx
import pytest
from gate_helpers import conv_relu, save, skip_estimate
from onnx import TensorProto, helper, numpy_helper

import edgegate
from edgegate.config.schema import policy_schema
from edgegate.target.classify import OP_CLASS, layer_classes, node_class, stored_constants
from edgegate.target.efficiency import OP_CLASSES, efficiency_of
from edgegate.target.load import load_shipped_target
from edgegate.target.roofline import evaluate
from edgegate.target.types import Target

TOY = Target("toy", {"fp32": 1000.0}, dram_bandwidth=100.0)
WEIGHTED = Target("toy", {"fp32": 1000.0}, dram_bandwidth=100.0,
                  efficiency={"fp32": {"conv": 0.5, "elementwise": 0.01}})


def test_efficiency_scales_each_layers_compute_by_its_class():
    # skip_estimate: L0 1000 FLOP, 310 B; L1 50000 FLOP, 520 B; L2 (Add) 0 FLOP, 550 B
    report = evaluate(skip_estimate(), WEIGHTED, "fp32", None, ("conv", "conv", "elementwise"))
    # L0 max(1000 / (1000 x 0.5), 310 / 100) = max(2, 3.1) = 3.1 s, bandwidth
    # L1 max(50000 / 500, 5.2) = 100 s, compute; L2 max(0, 5.5) = 5.5 s, bandwidth
    assert [t.seconds for t in report.layers] == pytest.approx([3.1, 100, 5.5])
    assert [t.bound for t in report.layers] == ["bandwidth", "compute", "bandwidth"]
    assert [t.efficiency for t in report.layers] == [0.5, 0.5, 0.01]
    assert report.latency_ms == pytest.approx(108_600)
    assert report.efficiency == {"conv": 0.5, "elementwise": 0.01}


def test_a_low_efficiency_turns_a_bandwidth_bound_layer_compute_bound():
    target = Target("t", {"fp32": 1000.0}, 100.0, efficiency={"fp32": {"conv": 0.1}})
    report = evaluate(skip_estimate(), target, "fp32", None, ("conv", "conv", "elementwise"))
    # L0 max(1000 / 100, 3.1) = 10 s compute; L1 50000 / 100 = 500 s; L2 5.5 s (no elementwise entry: 1)
    assert [t.seconds for t in report.layers] == pytest.approx([10, 500, 5.5])
    assert report.layers[0].bound == "compute"
    assert report.latency_ms == pytest.approx(515_500)


def test_without_a_table_every_class_has_efficiency_one_and_nothing_is_read():
    # the estimate's file m.onnx does not exist: classes are only read when a table needs them
    plain = evaluate(skip_estimate(), TOY, "fp32", None)
    int8_only = Target("t", {"fp32": 1000.0, "int8": 4000.0}, 100.0, efficiency={"int8": {"conv": 0.5}})
    at_fp32 = evaluate(skip_estimate(), int8_only, "fp32", None)
    # 3.1 + 50 + 5.5 s, the paper's roofline
    assert plain.latency_ms == at_fp32.latency_ms == pytest.approx(58_600)
    assert {t.efficiency for t in plain.layers} == {1.0} and {t.op_class for t in plain.layers} == {""}
    assert efficiency_of({}, "fp32", "conv") == 1.0
    assert efficiency_of({"fp32": {"conv": 0.3}}, "fp32", "gemm") == 1.0


def test_shipped_targets_state_no_efficiency():
    for name in ("raspberry-pi-5", "stm32h743", "jetson-orin-nano-8gb", "coral-usb-accelerator"):
        assert load_shipped_target(name).efficiency == {}


def test_a_real_model_is_classified_from_its_file(tmp_path):
    # conv_relu(3, 8, 16): Conv 3 -> 8, 3x3, 16x16, no bias: 8 x 256 x 27 = 55296 MACs = 110592
    # FLOPs + 2048 for the fused Relu = 112640; DRAM 3x256x4 in + 8x3x9x4 weights + 8x256x4 out
    # = 3072 + 864 + 8192 = 12128 B. At 1 MFLOP/s x 0.25 and 1 MB/s: max(0.45056, 0.012128) s
    path = save(conv_relu(3, 8, 16), tmp_path / "m.onnx")
    found = edgegate.estimate(str(path))
    target = Target("t", {"fp32": 1e6}, 1e6, efficiency={"fp32": {"conv": 0.25}})
    report = evaluate(found, target, "fp32", None)
    assert (found.flops, found.dram_bytes) == (112_640, 12_128)
    assert [(t.op_class, t.bound) for t in report.layers] == [("conv", "compute")]
    assert report.latency_ms == pytest.approx(450.56)


def _node(op, inputs, **attrs):
    return helper.make_node(op, inputs, ["out"], **attrs)


def _init(name, shape, dtype=np.float32):
    return numpy_helper.from_array(np.zeros(shape, dtype), name)


@pytest.mark.parametrize(("node", "weights", "expected"), [
    (_node("Conv", ["x", "w"]), [("w", (8, 4, 3, 3))], "conv"),
    (_node("Conv", ["x", "w"]), [("w", (8, 4, 1, 1))], "pointwise"),
    (_node("Conv", ["x", "w"], kernel_shape=[1, 1]), [], "pointwise"),  # the attribute decides
    (_node("Conv", ["x", "w"], kernel_shape=[3, 1]), [], "conv"),  # 3x1: more than one element
    (_node("Conv", ["x", "w"], group=8), [("w", (8, 1, 3, 3))], "depthwise"),
    (_node("Conv", ["x", "w"], group=8), [("w", (16, 1, 5, 5))], "depthwise"),  # multiplier 2
    (_node("Conv", ["x", "w"], group=2), [("w", (8, 2, 3, 3))], "conv"),  # grouped, 2 ch/group
    (_node("Conv", ["x", "w"], group=4), [("w", (8, 2, 1, 1))], "pointwise"),  # grouped 1x1
    (_node("Conv", ["x", "w"], group=8), [], "depthwise"),  # weight shape unknown: groups decide
    (_node("Conv", ["x", "w"]), [], "conv"),  # no kernel known at all
    (_node("ConvTranspose", ["x", "w"], group=8), [("w", (8, 1, 4, 4))], "depthwise"),
    (_node("ConvTranspose", ["x", "w"], group=2), [("w", (8, 1, 4, 4))], "conv"),  # Cin/g = 4
    (_node("QLinearConv", ["x", "s", "z", "w", "s", "z", "s", "z"]), [("w", (8, 4, 1, 1))], "pointwise"),
    (_node("MatMul", ["x", "w"]), [("w", (16, 16))], "gemm"),
    (_node("MatMul", ["w", "x"]), [("w", (16, 16))], "gemm"),
    (_node("MatMul", ["x", "y"]), [], "attention"),
    (_node("Gemm", ["x", "w", "b"]), [("w", (16, 16)), ("b", (16,))], "gemm"),
    (_node("QLinearMatMul", ["x", "s", "z", "y", "s", "z", "s", "z"]), [("s", ()), ("z", ())], "attention"),
    (_node("Add", ["x", "y"]), [], "elementwise"),
    (_node("Sigmoid", ["x"]), [], "elementwise"),
    (_node("Sum", ["x", "y", "z"]), [], "elementwise"),
    (_node("BatchNormalization", ["x", "a", "b", "c", "d"]), [], "elementwise"),
    (_node("MaxPool", ["x"], kernel_shape=[2, 2]), [], "pooling"),
    (_node("GlobalAveragePool", ["x"]), [], "pooling"),
    (_node("Softmax", ["x"]), [], "other"),
    (_node("LayerNormalization", ["x", "a"]), [], "other"),
    (_node("Concat", ["x", "y"], axis=0), [], "other"),
    (_node("Attention", ["q", "k", "v"]), [], "attention"),
    (helper.make_node("FusedConv", ["x", "w"], ["out"], domain="com.microsoft"), [("w", (8, 4, 3, 3))], "conv"),
    (helper.make_node("Mystery", ["x"], ["out"], domain="vendor"), [], "other"),
])
def test_node_classes(node, weights, expected):
    graph = helper.make_graph([node], "g", [], [], [_init(name, shape) for name, shape in weights])
    assert node_class(node, stored_constants(graph)) == expected


def test_constants_are_followed_through_nodes_that_read_only_constants():
    # a weight behind DequantizeLinear keeps its stored shape; behind Transpose it is constant
    # with no stated shape; a Constant node's value states its shape
    nodes = [
        helper.make_node("DequantizeLinear", ["wq", "s"], ["w"]),
        helper.make_node("Transpose", ["m"], ["mt"], perm=[1, 0]),
        helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(np.zeros((4, 2), np.float32))),
        helper.make_node("Relu", ["x"], ["rx"]),
    ]
    graph = helper.make_graph(nodes, "g", [], [], [_init("wq", (8, 1, 3, 3), np.int8), _init("s", ()),
                                                   _init("m", (16, 32))])
    stored = stored_constants(graph)
    assert stored["w"] == (8, 1, 3, 3) and stored["mt"] is None and stored["c"] == (4, 2)
    assert "rx" not in stored and "x" not in stored
    assert node_class(_node("Conv", ["x", "w"], group=8), stored) == "depthwise"
    assert node_class(_node("MatMul", ["x", "mt"]), stored) == "gemm"


def _model(text_nodes, inputs, initializers, outputs, functions=()):
    graph = helper.make_graph(text_nodes, "g", inputs, outputs, initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local", 1)],
                             functions=list(functions))


def test_layer_classes_follow_fusion_repeated_names_and_functions(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 8, 8])
    q = helper.make_tensor_value_info("q", TensorProto.FLOAT, [1, 2, 4, 8])
    kt = helper.make_tensor_value_info("kt", TensorProto.FLOAT, [1, 2, 8, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    s = helper.make_tensor_value_info("s", TensorProto.FLOAT, None)
    inits = [_init("w1", (8, 1, 3, 3)), _init("w2", (8, 8, 1, 1)), _init("g", (8,)), _init("b", (8,)),
             _init("m", (8,)), _init("v", (8,))]
    function = helper.make_function("local", "Pw", ["a", "w"], ["o"],
                                    [helper.make_node("Conv", ["a", "w"], ["o"], name="same")],
                                    [helper.make_opsetid("", 17)])
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="same", group=8, pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g", "b", "m", "v"], ["n1"], name="bn"),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu"),
        helper.make_node("Pw", ["r1", "w2"], ["c2"], name="fn", domain="local"),
        helper.make_node("Add", ["c2", "r1"], ["y"], name="same"),
        helper.make_node("MatMul", ["q", "kt"], ["s"], name=""),
    ]
    path = save(_model(nodes, [x, q, kt], inits, [y, s], [function]), tmp_path / "m.onnx")
    found = edgegate.estimate(str(path))
    assert [layer.op_types for layer in found.layers] == [
        ("Conv", "BatchNormalization", "Relu"), ("Conv",), ("Add",), ("MatMul",)]
    assert layer_classes(found) == ("depthwise", "pointwise", "elementwise", "attention")
    assert layer_classes(found, onnx.load(str(path))) == layer_classes(found)


def test_every_class_is_in_the_schemas_and_the_table():
    schema = policy_schema()["$defs"]
    assert list(schema["efficiency_table"]["properties"]) == list(OP_CLASSES)
    estimate_schema = json.loads(resources.files("edgegate").joinpath("schemas/estimate.schema.json").read_text())
    assert estimate_schema["$defs"]["layer_target"]["properties"]["op_class"]["enum"] == list(OP_CLASSES)
    assert set(OP_CLASS.values()) <= set(OP_CLASSES)
    assert list(OP_CLASSES) == ["conv", "depthwise", "pointwise", "gemm", "attention", "elementwise",
                                "pooling", "other"]
