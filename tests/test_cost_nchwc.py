"""onnxruntime's com.microsoft.nchwc ops (blocked-layout CPU kernels, ORT_ENABLE_ALL), by hand.

Their tensors are (N, C rounded up to the block size, H, W); each op costs its standard op on
those shapes, so a Conv whose output channels were rounded up counts the padded ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from cost_helpers import case, cost_of, node
from onnx import TensorProto, helper, numpy_helper

import edgegate

NCHWC = "com.microsoft.nchwc"
F32 = TensorProto.FLOAT


def nchwc(op_type, inputs, out, **attrs):
    """A com.microsoft.nchwc node with one output of shape ``out``."""
    return node(op_type, inputs, [("y", out)], attrs, NCHWC)


CASES = [
    # 20 output channels rounded up to 24 (block 8), 3x3 over 16 channels, 8x8 output, with
    # bias, Relu and a fused residual Sum: MACs 24*64 * 16*9 = 221,184; FLOPs 2x + 3 * 24*64
    # (bias, activation, Sum) = 442,368 + 4,608 = 446,976.
    case(
        nchwc(
            "Conv",
            [("x", (1, 16, 8, 8)), ("w", (24, 16, 3, 3)), ("b", (24,)), ("sum", (1, 24, 8, 8))],
            (1, 24, 8, 8),
            activation="Relu",
            pads=(1, 1, 1, 1),
        ),
        221_184,
        446_976,
        "padded-sum",
    ),
    # The first Conv reads NCHW (3 channels, fewer than a block): 16*64 * 3*9 = 27,648 MACs.
    case(nchwc("Conv", [("x", (1, 3, 8, 8)), ("w", (16, 3, 3, 3))], (1, 16, 8, 8)), 27_648, 55_296, "nchw-in"),
    case(nchwc("MaxPool", [("x", (1, 16, 8, 8))], (1, 16, 4, 4), kernel_shape=(2, 2)), 0, 0),
    case(nchwc("GlobalMaxPool", [("x", (1, 16, 8, 8))], (1, 16, 1, 1)), 0, 0),
    # 2x2 windows: 4 per output element, 16*4*4 * 4 = 1,024.
    case(nchwc("AveragePool", [("x", (1, 16, 8, 8))], (1, 16, 4, 4), kernel_shape=(2, 2)), 0, 1_024),
    # One per input element, padded channels included: 16*7*7 = 784.
    case(nchwc("GlobalAveragePool", [("x", (1, 16, 7, 7))], (1, 16, 1, 1)), 0, 784),
    case(nchwc("ReorderInput", [("x", (1, 16, 8, 8))], (1, 16, 8, 8)), 0, 0),
    case(nchwc("ReorderOutput", [("x", (1, 24, 8, 8))], (1, 20, 8, 8), channels=20), 0, 0),
    # Nearest copies; linear over H and W reads 2*2 taps, 8 FLOPs per output, 16*8*8 * 8 = 8,192.
    case(nchwc("Upsample", [("x", (1, 16, 4, 4))], (1, 16, 8, 8), scales=(1, 1, 2, 2)), 0, 0, "nearest"),
    case(
        nchwc("Upsample", [("x", (1, 16, 4, 4))], (1, 16, 8, 8), scales=(1, 1, 2, 2), mode="linear"),
        0,
        8_192,
        "linear",
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


def _blocked_model():
    """A small graph as onnxruntime saves it at ORT_ENABLE_ALL: an NCHW input straight into the
    first NCHWc Conv, a pool, a Conv of 20 channels padded to 24, an Upsample, a global pool and
    a ReorderOutput; beside it an NHWC input reordered in, a Conv with a fused residual Sum and
    a channels-last ReorderOutput. A Relu after each ReorderOutput shows its shape."""
    def conv(inputs, out, name, **attrs):
        return helper.make_node("Conv", inputs, [out], name=name, domain=NCHWC, **attrs)

    nodes = [
        conv(["x", "w1", "b1"], "c1", "conv1", pads=[1, 1, 1, 1], activation="Relu"),
        helper.make_node("MaxPool", ["c1"], ["p"], name="pool", domain=NCHWC, kernel_shape=[2, 2],
                         strides=[2, 2]),
        conv(["p", "w2", "b2"], "c2", "conv2"),
        helper.make_node("Upsample", ["c2"], ["u"], name="up", domain=NCHWC, scales=[1, 1, 2, 2]),
        helper.make_node("GlobalAveragePool", ["u"], ["g"], name="gap", domain=NCHWC),
        helper.make_node("ReorderOutput", ["g"], ["r"], name="out", domain=NCHWC, channels=20),
        helper.make_node("Relu", ["r"], ["y"], name="after"),
        helper.make_node("ReorderInput", ["x2"], ["r2"], name="in", domain=NCHWC, channels_last=1),
        conv(["r2", "w3", "", "p"], "c3", "conv3", pads=[1, 1, 1, 1], activation="Relu"),
        helper.make_node("ReorderOutput", ["c3"], ["r3"], name="out2", domain=NCHWC, channels=16,
                         channels_last=1),
        helper.make_node("Relu", ["r3"], ["y2"], name="after2"),
    ]
    weights = {"w1": (16, 3, 3, 3), "b1": (16,), "w2": (24, 16, 1, 1), "b2": (24,), "w3": (16, 16, 3, 3)}
    graph = helper.make_graph(
        nodes, "nchwc",
        [helper.make_tensor_value_info("x", F32, [1, 3, 16, 16]),
         helper.make_tensor_value_info("x2", F32, [1, 8, 8, 16])],
        [helper.make_tensor_value_info(name, F32, None) for name in ("y", "y2")],
        [numpy_helper.from_array(np.ones(shape, np.float32), name) for name, shape in weights.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(NCHWC, 1)])


def test_blocked_graph_is_costed_through_its_stand_ins():
    e = edgegate.estimate(_blocked_model())
    assert e.unestimated == ()
    layers = {layer.name: layer for layer in e.layers}
    # conv1 16*256 * 3*9 = 110,592; conv2 (24 padded channels) 24*64 * 16 = 24,576;
    # conv3 16*64 * 16*9 = 147,456 MACs.
    assert [layers[n].macs for n in ("conv1", "conv2", "conv3")] == [110_592, 24_576, 147_456]
    # conv1 221,184 + 4,096 bias + 4,096 Relu; conv2 49,152 + 1,536 bias; the global pool reads
    # 24*16*16 = 6,144; conv3 294,912 + 1,024 Relu + 1,024 Sum; the Relus 20 (ReorderOutput
    # keeps 20 channels) and 8*8*16 = 1,024 (NHWC).
    assert e.macs == 282_624
    assert e.flops == 229_376 + 50_688 + 6_144 + 296_960 + 20 + 1_024
    assert layers["after"].flops == 20 and layers["after2"].flops == 1_024
    # conv2 writes its 24 padded channels: 24*8*8 floats.
    assert layers["conv2"].output_bytes == 24 * 64 * 4
