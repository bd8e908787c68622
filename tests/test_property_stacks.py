"""Property: random Conv/Gemm stacks match closed-form counts written independently here.

The oracle recomputes every output size with the convolution arithmetic formula
out = floor((in + pad_begin + pad_end - dilation*(k-1) - 1) / stride) + 1 and counts MACs as
N*Cout*Ho*Wo*(Cin/g)*kh*kw, without using edgegate's shapes or formulas.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import edgegate


@st.composite
def conv_stacks(draw):
    batch = draw(st.integers(1, 3))
    channels = draw(st.sampled_from([1, 2, 3, 4, 6, 8]))
    size = first_size = draw(st.integers(8, 20))
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        groups = draw(st.sampled_from([g for g in (1, 2, channels) if channels % g == 0]))
        cout = groups * draw(st.integers(1, 3))
        kernel = draw(st.integers(1, 3))
        stride = draw(st.integers(1, 2))
        dilation = draw(st.integers(1, 2))
        pad = draw(st.integers(0, 2))
        if (size + 2 * pad - dilation * (kernel - 1) - 1) < 0:
            break
        layers.append((channels, cout, kernel, stride, dilation, pad, groups, draw(st.booleans())))
        size = (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1
        channels = cout
    head = draw(st.one_of(st.none(), st.integers(1, 5)))
    return batch, first_size, layers, head


def _build(batch: int, cin: int, size: int, layers, head):
    nodes, inits, x = [], [], "x"
    for i, (ci, co, k, s, d, p, g, bias) in enumerate(layers):
        w = f"w{i}"
        # distinct values per tensor: small constants with equal values count once as params
        inits.append(numpy_helper.from_array(np.full((co, ci // g, k, k), i + 1, np.float32), w))
        inputs = [x, w]
        if bias:
            inits.append(numpy_helper.from_array(np.full(co, -i - 1, np.float32), f"b{i}"))
            inputs.append(f"b{i}")
        nodes.append(helper.make_node("Conv", inputs, [f"y{i}"], kernel_shape=[k, k],
                                      strides=[s, s], dilations=[d, d], pads=[p] * 4, group=g))
        x = f"y{i}"
    if head is not None:
        nodes.append(helper.make_node("Flatten", [x], ["flat"]))
        nodes.append(helper.make_node("Gemm", ["flat", "fc"], ["out"], transB=1))
        x = "out"
    graph = helper.make_graph(
        nodes, "stack",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, cin, size, size])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)],
        inits,
    )
    return graph


def _oracle(batch: int, cin: int, size: int, layers, head):
    macs = flops = params = dram = peak = 0
    in_bytes = batch * cin * size * size * 4
    channels = cin
    for ci, co, k, s, d, p, g, bias in layers:
        size = (size + 2 * p - d * (k - 1) - 1) // s + 1
        outputs = batch * co * size * size
        layer_macs = outputs * (ci // g) * k * k
        weights = co * (ci // g) * k * k + (co if bias else 0)
        macs += layer_macs
        flops += 2 * layer_macs + (outputs if bias else 0)
        params += weights
        dram += weights * 4 + in_bytes + outputs * 4
        peak = max(peak, in_bytes + outputs * 4)
        in_bytes = outputs * 4
        channels = co
    fc_weights = None
    if head is not None:
        features = channels * size * size
        fc_weights = (head, features)
        macs += batch * features * head
        flops += 2 * batch * features * head
        params += head * features
        dram += head * features * 4 + in_bytes + batch * head * 4
        peak = max(peak, in_bytes + batch * head * 4)
    return macs, flops, params, dram, peak, fc_weights


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_stacks())
def test_random_conv_gemm_stacks_match_oracle(stack):
    batch, size, layers, head = stack
    assume(layers)
    cin = layers[0][0]
    macs, flops, params, dram, peak, fc = _oracle(batch, cin, size, layers, head)
    graph = _build(batch, cin, size, layers, head)
    if fc is not None:
        graph.initializer.append(numpy_helper.from_array(np.zeros(fc, np.float32), "fc"))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    e = edgegate.estimate(model)
    assert (e.macs, e.flops, e.params) == (macs, flops, params)
    assert (e.dram_bytes, e.peak_activation_bytes) == (dram, peak)
    assert e.unestimated == ()
