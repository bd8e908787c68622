"""Fusion, params, peak activation and DRAM traffic on small graphs, computed by hand.

Conventions in the comments: float32 = 4 bytes; "out" = elements of a tensor.
"""

from __future__ import annotations

import numpy as np
import pytest

import edgegate
from tests.model_helpers import parse
from tests.onnx_versions import skip_unless_defined

CONV_BN_RELU = """
agraph (float[1, 3, 8, 8] x) => (float[1, 4, 8, 8] y) {
  a = Conv<pads=[1,1,1,1]>(x, w)
  b = BatchNormalization(a, s, bb, mu, var)
  y = Relu(b)
}
"""
# distinct values: small constants with equal values would count once as params
BN_WEIGHTS = {"w": (4, 3, 3, 3), **{name: np.full(4, k, np.float32) for k, name in
                                    enumerate(("s", "bb", "mu", "var"), start=2)}}


def test_conv_bn_relu_fused_by_hand():
    e = edgegate.estimate(parse(CONV_BN_RELU, BN_WEIGHTS))
    # out = 1*4*8*8 = 256; MACs = 256 * 3*3*3 = 6912
    assert e.macs == 6912
    # FLOPs = 2*6912 + 256 (bias created by folding) + 256 (Relu) = 14336
    assert e.flops == 14336
    # params = weights 4*3*3*3 = 108 + folded bias 4 = 112; weight bytes 448
    assert (e.params, e.weight_bytes) == (112, 448)
    assert len(e.layers) == 1 and e.layers[0].op_types == ("Conv", "BatchNormalization", "Relu")
    # DRAM = weights 448 + read x 3*64*4 = 768 + write y 256*4 = 1024 -> 2240
    assert e.dram_bytes == 2240
    # peak: x and y live together while the single layer runs: 768 + 1024 = 1792
    assert e.peak_activation_bytes == 1792
    assert e.arithmetic_intensity == pytest.approx(14336 / 2240)


def test_fusion_none_runs_every_node():
    e = edgegate.estimate(parse(CONV_BN_RELU, BN_WEIGHTS), fusion="none")
    # Conv 13824 FLOPs (no bias), BN 2*256 = 512, Relu 256 -> 14592
    assert e.flops == 14592
    # params = 108 + BN's four vectors 16 = 124
    assert e.params == 124
    assert [layer.op_types for layer in e.layers] == [("Conv",), ("BatchNormalization",), ("Relu",)]
    # DRAM: conv 432 + 768 + 1024; BN 64 + 1024 + 1024; Relu 1024 + 1024 -> 6384
    assert e.dram_bytes == 6384
    # peak: during BN a and b are live (1024 + 1024); x freed after conv -> max(768+1024, 2048) = 2048
    assert e.peak_activation_bytes == 2048


def test_bias_present_no_extra_param_when_folding():
    text = CONV_BN_RELU.replace("Conv<pads=[1,1,1,1]>(x, w)", "Conv<pads=[1,1,1,1]>(x, w, cb)")
    e = edgegate.estimate(parse(text, {**BN_WEIGHTS, "cb": (4,)}))
    # the conv already has a bias: params 108 + 4, FLOPs 2*6912 + 256 bias + 256 relu
    assert (e.params, e.flops) == (112, 14336)


def test_no_fusion_when_intermediate_has_another_reader():
    text = """
    agraph (float[1, 3, 8, 8] x) => (float[1, 4, 8, 8] y, float[1, 4, 8, 8] a) {
      a = Conv<pads=[1,1,1,1]>(x, w)
      y = Relu(a)
    }
    """
    e = edgegate.estimate(parse(text, {"w": (4, 3, 3, 3)}))
    # a is a graph output: Relu cannot fuse; two layers
    assert [layer.op_types for layer in e.layers] == [("Conv",), ("Relu",)]
    # DRAM: conv 432 + 768 + write a 1024; relu read a 1024 + write y 1024 = 4272
    assert e.dram_bytes == 4272


def test_silu_pair_fuses_and_keeps_its_flops():
    text = """
    agraph (float[1, 2, 4, 4] x) => (float[1, 2, 4, 4] y) {
      a = Conv(x, w)
      s = Sigmoid(a)
      y = Mul(a, s)
    }
    """
    e = edgegate.estimate(parse(text, {"w": (2, 2, 1, 1)}))
    # out = 32; MACs 32*2 = 64; FLOPs 128 + Sigmoid 32 + Mul 32 = 192; one layer
    assert (e.macs, e.flops, len(e.layers)) == (64, 192, 1)
    # DRAM: w 16 + x 128 + y 128 = 272 (a and s never reach memory)
    assert e.dram_bytes == 272


def test_residual_peak_and_shared_weight_read_twice():
    text = """
    agraph (float[1, 4, 8, 8] x) => (float[1, 4, 8, 8] y) {
      a = Conv(x, w)
      b = Conv(a, w)
      y = Add(x, b)
    }
    """
    e = edgegate.estimate(parse(text, {"w": (4, 4, 1, 1)}))
    # w (16 floats) is one param tensor, read by two layers
    assert e.params == 16 and e.weight_bytes == 64
    # each tensor 256 floats = 1024 B. DRAM: conv1 64+1024+1024, conv2 64+1024+1024,
    # add 2048 + 1024 -> 7296
    assert e.dram_bytes == 7296
    # x stays live until Add: during conv2, x, a, b are live -> 3072
    assert e.peak_activation_bytes == 3072


def test_views_alias_and_cost_nothing():
    text = """
    agraph (float[1, 4, 2, 2] x) => (float[1, 4] y) {
      f = Flatten(x)
      r = Reshape(f, shp)
      y = Gemm<transB=1>(r, w)
    }
    """
    e = edgegate.estimate(parse(text, {"w": (4, 16), "shp": np.array([1, 16], np.int64)}))
    # one layer (Gemm): MACs 1*16*4 = 64; reads x (16 floats) through the views
    assert len(e.layers) == 1 and e.macs == 64
    assert e.layers[0].reads == ("x",)
    # shp is shape-like: not a param. params = 64
    assert e.params == 64
    # DRAM: 256 weights + 64 in + 16 out = 336
    assert e.dram_bytes == 336


def test_unused_split_piece_is_never_written():
    text = """
    agraph (float[1, 4, 2, 2] x) => (float[1, 2, 2, 2] y) {
      p, q = Split<axis=1, num_outputs=2>(x)
      y = Relu(p)
    }
    """
    header = '<ir_version: 8, opset_import: ["" : 18]>\n'
    e = edgegate.estimate(parse(text, header=header))
    split = e.layers[0]
    # Split writes only p (8 floats = 32 B); q has no reader and is no output
    assert split.writes == ("p",) and split.output_bytes == 32
    # peak: x 64 + p 32 during Split -> 96
    assert e.peak_activation_bytes == 96


@pytest.mark.parametrize(
    ("precision", "weight_bytes", "dram"),
    [
        # 108 weight floats + 4 folded bias; x 192 elements, y 256 elements
        ("model", 112 * 4, 112 * 4 + 192 * 4 + 256 * 4),
        ("fp16", 112 * 2, 112 * 2 + 192 * 2 + 256 * 2),
        ("int8", 112, 112 + 192 + 256),
    ],
)
def test_precision_override(precision, weight_bytes, dram):
    e = edgegate.estimate(parse(CONV_BN_RELU, BN_WEIGHTS), precision=precision)
    assert (e.weight_bytes, e.dram_bytes) == (weight_bytes, dram)


def test_precision_override_keeps_integer_tensors():
    text = """
    agraph (float[1, 8] x, int64[1, 8] i) => (float[1, 8] y) {
      c = Cast<to=1>(i)
      y = Add(x, c)
    }
    """
    e = edgegate.estimate(parse(text), precision="int8")
    cast = e.layers[0]
    # int64 input keeps 8 bytes per element: 64 B read, 8 B written (float -> int8 size)
    assert (cast.input_bytes, cast.output_bytes) == (64, 8)


def test_constant_shared_through_identity_counts_once():
    text = """
    agraph (float[1, 4, 2, 2] x) => (float[1, 4, 2, 2] y, float[1, 4, 2, 2] z) {
      b1 = Identity(b)
      b2 = Identity(b)
      y = Conv(x, w1, b1)
      z = Conv(x, w2, b2)
    }
    """
    weights = {"w1": np.full((4, 4, 1, 1), 2, np.float32), "w2": np.full((4, 4, 1, 1), 3, np.float32),
               "b": (4,)}
    e = edgegate.estimate(parse(text, weights))
    # two 16-element weights + the one stored bias b (4 elements, not 4 per alias) = 36
    assert e.params == 16 + 16 + 4
    # but each conv reads b: 2 * (64 + 16) weight bytes per inference
    assert sum(layer.weight_bytes for layer in e.layers) == 2 * (64 + 16)


def test_weight_expanded_per_batch_counts_as_stored():
    # ViT's class token: Expand(token[1,1,8], [batch,1,8]) then Concat with the patches
    text = """
    agraph (float[N, 4, 8] x) => (float[N, 5, 8] y) {
      s = Shape(x)
      n = Slice(s, zero, one)
      shp = Concat<axis=0>(n, tail)
      t = Expand(token, shp)
      y = Concat<axis=1>(t, x)
    }
    """
    weights = {"token": (1, 1, 8), "zero": np.array([0], np.int64),
               "one": np.array([1], np.int64), "tail": np.array([1, 8], np.int64)}
    for batch in (1, 4, 64):
        e = edgegate.estimate(parse(text, weights), dims={"N": batch})
        # the stored token has 8 elements whatever the batch
        assert e.params == 8, batch


def test_swish_node_fuses_as_an_activation():
    text = """
    agraph (float[1, 2, 4, 4] x) => (float[1, 2, 4, 4] y) {
      a = Conv(x, w)
      y = Swish(a)
    }
    """
    header = '<ir_version: 10, opset_import: ["" : 24]>\n'
    skip_unless_defined("Swish")
    e = edgegate.estimate(parse(text, {"w": (2, 2, 1, 1)}, header=header))
    # one layer: Conv 64 MACs (128 FLOPs) + Swish 1 per element (32) = 160 FLOPs
    assert [layer.op_types for layer in e.layers] == [("Conv", "Swish")]
    assert e.flops == 160


def test_random_ops_are_never_folded_as_constants():
    text = """
    agraph (float[2, 3] x) => (float[2, 3] y) {
      n = RandomNormal<shape=[2, 3], dtype=1>()
      y = Add(x, n)
    }
    """
    e = edgegate.estimate(parse(text))
    # RandomNormal runs every inference: a layer of 6 FLOPs (one per output), then Add 6
    assert [layer.op_types for layer in e.layers] == [("RandomNormal",), ("Add",)]
    assert e.flops == 12 and e.params == 0


# x[1, 4, 2, 2] -> Relu -> MOVER -> Relu: 16 floats = 64 B per tensor
NOOP_MOVERS = {
    "full-range Slice": ("b = Slice(a, s0, s4, ax1)", {"s0": [0], "s4": [4], "ax1": [1]}),
    "Slice to INT64_MAX": ("b = Slice(a, s0, big, ax1)", {"s0": [0], "big": [2**63 - 1], "ax1": [1]}),
    "Cast to the same type": ("b = Cast<to=1>(a)", {}),
    "Expand to the same shape": ("b = Expand(a, shp)", {"shp": [1, 4, 2, 2]}),
    "Tile by ones": ("b = Tile(a, reps)", {"reps": [1, 1, 1, 1]}),
    "identity Transpose": ("b = Transpose<perm=[0, 1, 2, 3]>(a)", {}),
    "zero Pad": ("b = Pad(a, pads)", {"pads": [0] * 8}),
    "single-input Concat": ("b = Concat<axis=1>(a)", {}),
    "one-piece Split": ("b = Split<axis=1, num_outputs=1>(a)", {}),
    "Gather of every index": ("b = Gather<axis=1>(a, idx)", {"idx": [0, 1, 2, 3]}),
}


@pytest.mark.parametrize("name", list(NOOP_MOVERS))
def test_noop_mover_is_a_view(name):
    line, constants = NOOP_MOVERS[name]
    text = f"""
    agraph (float[1, 4, 2, 2] x) => (float[1, 4, 2, 2] y) {{
      a = Relu(x)
      {line}
      y = Relu(b)
    }}
    """
    weights = {key: np.array(value, np.int64) for key, value in constants.items()}
    e = edgegate.estimate(parse(text, weights, header='<ir_version: 8, opset_import: ["" : 18]>\n'))
    # the mover aliases a: two Relu layers, each reading and writing 64 B -> 256; peak 128
    assert [layer.op_types for layer in e.layers] == [("Relu",), ("Relu",)]
    assert (e.dram_bytes, e.peak_activation_bytes, e.params) == (256, 128, 0)


def test_transpose_of_unit_axes_is_a_view_and_a_real_one_is_not():
    text = """
    agraph (float[1, 4, 2, 2] x) => (float[4, 1, 2, 2] y, float[1, 4, 2, 2] z) {
      a = Relu(x)
      b = Transpose<perm=[1, 0, 2, 3]>(a)
      y = Relu(b)
      c = Transpose<perm=[0, 1, 3, 2]>(a)
      z = Relu(c)
    }
    """
    e = edgegate.estimate(parse(text))
    # moving the size-1 axis keeps the memory order (a view); swapping the last two does not
    assert [layer.op_types for layer in e.layers] == [("Relu",), ("Relu",), ("Transpose",), ("Relu",)]


def _qkv(split_text):
    return f"""
    agraph (float[1, 6, 2] x) => (float[1, 2, 2] yq, float[1, 2, 2] yk, float[1, 2, 2] yv) {{
      a = Relu(x)
      {split_text}
      yq = Relu(q)
      yk = Relu(k)
      yv = Relu(v)
    }}
    """


def test_one_split_and_three_slices_cost_the_same():
    header = '<ir_version: 8, opset_import: ["" : 18]>\n'
    split = edgegate.estimate(parse(_qkv("q, k, v = Split<axis=1, num_outputs=3>(a)"), header=header))
    slices = "\n".join(f"{t} = Slice(a, s{i}, e{i}, ax)" for i, t in enumerate("qkv"))
    bounds = {"ax": np.array([1], np.int64)}
    bounds.update({f"s{i}": np.array([2 * i], np.int64) for i in range(3)})
    bounds.update({f"e{i}": np.array([2 * i + 2], np.int64) for i in range(3)})
    sliced = edgegate.estimate(parse(_qkv(slices), bounds, header=header))
    # Relu 48 + 48; the Split reads what it writes, 48 + 48 (three Slices: 3 * (16 + 16));
    # three Relus 3 * (16 + 16) -> 288
    assert split.dram_bytes == sliced.dram_bytes == 288
    assert [layer.input_bytes for layer in sliced.layers if layer.op_types == ("Slice",)] == [16] * 3
    assert split.peak_activation_bytes == sliced.peak_activation_bytes


def test_unused_split_piece_is_neither_written_nor_read():
    text = """
    agraph (float[1, 6, 2] x) => (float[1, 2, 2] yq, float[1, 2, 2] yk) {
      a = Relu(x)
      q, k, v = Split<axis=1, num_outputs=3>(a)
      yq = Relu(q)
      yk = Relu(k)
    }
    """
    e = edgegate.estimate(parse(text, header='<ir_version: 8, opset_import: ["" : 18]>\n'))
    split = e.layers[1]
    # v has no reader: the Split writes q and k (32 B) and reads those 32 B of a
    assert (split.input_bytes, split.output_bytes) == (32, 32)


def test_constant_index_gather_reads_what_it_selects():
    text = """
    agraph (float[1, 6, 2] x) => (float[1, 2, 2] y) {
      a = Relu(x)
      g = Gather<axis=1>(a, idx)
      y = Relu(g)
    }
    """
    e = edgegate.estimate(parse(text, {"idx": np.array([0, 5], np.int64)}))
    gather = e.layers[1]
    # rows 0 and 5: 4 floats = 16 B read and written; the 2 int64 indices (16 B) are its weights
    assert (gather.input_bytes, gather.output_bytes, gather.weight_bytes) == (16, 16, 16)
    assert e.params == 2


# x[1, 2, 4, 4] -> Conv(w[2, 2, 1, 1]) -> ACTIVATION -> y: out = 32 elements, 128 B
ACTIVATION_FORMS = {
    "Gelu op": ("y = Gelu(c)", 20, 1),
    "GELU erf, legacy order": ("""d = Div(c, r2)
      e = Erf(d)
      p = Add(e, one)
      m = Mul(c, p)
      y = Mul(m, half)""", 18, 1),
    "GELU erf, dynamo order": ("""d = Div(c, r2)
      e = Erf(d)
      p = Add(e, one)
      h = Mul(half, p)
      y = Mul(c, h)""", 18, 1),
    "GELU erf, Constant nodes": ("""k2 = Constant<value = float {1.4142135}>()
      k1 = Constant<value = float {1.0}>()
      kh = Constant<value = float {0.5}>()
      d = Div(c, k2)
      e = Erf(d)
      p = Add(k1, e)
      m = Mul(p, c)
      y = Mul(kh, m)""", 18, 1),
    "GELU tanh, Pow (dynamo)": ("""p3 = Pow(c, three)
      kp = Mul(k, p3)
      s = Add(c, kp)
      rs = Mul(r, s)
      t = Tanh(rs)
      t1 = Add(t, one)
      h = Mul(half, t1)
      y = Mul(c, h)""", 18, 1),
    "GELU tanh, x*x*x (legacy)": ("""c2 = Mul(c, c)
      p3 = Mul(c, c2)
      kp = Mul(k, p3)
      s = Add(c, kp)
      rs = Mul(r, s)
      t = Tanh(rs)
      t1 = Add(one, t)
      h = Mul(c, t1)
      y = Mul(half, h)""", 18, 1),
    "HardSwish op": ("y = HardSwish(c)", 18, 1),
    "HardSwish, x * HardSigmoid(x)": ("""h = HardSigmoid<alpha=0.16666667>(c)
      y = Mul(c, h)""", 13, 1),
    "HardSwish, x * Clip(x + 3) / 6": ("""t = Add(c, three)
      cl = Clip(t, zero, six)
      m = Mul(c, cl)
      y = Div(m, six)""", 18, 1),
    "HardSigmoid op": ("y = HardSigmoid<alpha=0.16666667>(c)", 18, 1),
    "HardSigmoid, Clip(3 + x) / 6": ("""t = Add(three, c)
      cl = Clip(t, zero, six)
      y = Div(cl, six)""", 18, 1),
    "Mish op": ("y = Mish(c)", 18, 1),
    "Mish, x * Tanh(Softplus(x))": ("""sp = Softplus(c)
      t = Tanh(sp)
      y = Mul(t, c)""", 18, 1),
    "SiLU, x * Sigmoid(x)": ("""s = Sigmoid(c)
      y = Mul(s, c)""", 18, 2),
}
SCALARS = {name: np.array(value, np.float32) for name, value in (
    ("r2", 1.4142135), ("one", 1.0), ("half", 0.5), ("three", 3.0), ("k", 0.044715),
    ("r", 0.7978846), ("zero", 0.0), ("six", 6.0))}


@pytest.mark.parametrize("name", list(ACTIVATION_FORMS))
def test_activation_costs_the_same_in_every_form(name):
    body, opset, per_element = ACTIVATION_FORMS[name]
    text = f"""
    agraph (float[1, 2, 4, 4] x) => (float[1, 2, 4, 4] y) {{
      c = Conv(x, w)
      {body}
    }}
    """
    header = f'<ir_version: 9, opset_import: ["" : {opset}]>\n'
    e = edgegate.estimate(parse(text, {"w": (2, 2, 1, 1), **SCALARS}, header=header))
    # one layer, the activation fused into the Conv: MACs 32 * 2 = 64, FLOPs 128 + 32 per
    # FLOP the activation costs per element (1; SiLU's Sigmoid + Mul 2)
    assert len(e.layers) == 1 and e.layers[0].op_types[0] == "Conv"
    assert (e.macs, e.flops) == (64, 128 + 32 * per_element)
    # DRAM: w 16 + x 128 + y 128 = 272; peak x + y = 256; the chain's scalars are no params
    assert (e.dram_bytes, e.peak_activation_bytes, e.params) == (272, 256, 4)


def test_decomposed_activation_with_an_outside_reader_is_not_one_op():
    text = """
    agraph (float[1, 2, 4, 4] x) => (float[1, 2, 4, 4] y, float[1, 2, 4, 4] p) {
      c = Conv(x, w)
      d = Div(c, r2)
      e = Erf(d)
      p = Add(e, one)
      m = Mul(c, p)
      y = Mul(m, half)
    }
    """
    e = edgegate.estimate(parse(text, {"w": (2, 2, 1, 1), **SCALARS}))
    # p is a graph output: the five nodes stay five layers after the Conv, each 32 FLOPs
    assert len(e.layers) == 6 and e.flops == 128 + 5 * 32


LAYER_NORM_FORMS = {
    "LayerNormalization op": ("y = LayerNormalization<axis=-1>(x, g, b)", 17),
    "nine nodes, Pow and Div": ("""m = ReduceMean<axes=[-1]>(x)
      d = Sub(x, m)
      d2 = Pow(d, two)
      v = ReduceMean<axes=[-1]>(d2)
      ve = Add(v, eps)
      sd = Sqrt(ve)
      n = Div(d, sd)
      ng = Mul(n, g)
      y = Add(ng, b)""", 13),
    "d * d and a reciprocal, operands swapped": ("""m = ReduceMean<axes=[-1]>(x)
      d = Sub(x, m)
      d2 = Mul(d, d)
      v = ReduceMean<axes=[-1]>(d2)
      ve = Add(eps, v)
      sd = Sqrt(ve)
      inv = Reciprocal(sd)
      n = Mul(inv, d)
      ng = Mul(g, n)
      y = Add(b, ng)""", 13),
}


@pytest.mark.parametrize("name", list(LAYER_NORM_FORMS))
def test_layer_norm_costs_the_same_in_every_form(name):
    body, opset = LAYER_NORM_FORMS[name]
    text = f"""
    agraph (float[1, 4, 8] x) => (float[1, 4, 8] y) {{
      {body}
    }}
    """
    weights = {"g": np.full(8, 2.0, np.float32), "b": np.full(8, 3.0, np.float32),
               "two": np.array(2.0, np.float32), "eps": np.array(1e-5, np.float32)}
    e = edgegate.estimate(parse(text, weights, header=f'<ir_version: 8, opset_import: ["" : {opset}]>\n'))
    # LayerNormalization: 5 + scale + bias = 7 FLOPs per element, 7 * 32 = 224; one layer
    # reading x 128 + g 32 + b 32 and writing y 128 = 320 B; params g and b
    assert (len(e.layers), e.flops, e.dram_bytes, e.params) == (1, 224, 320, 16)


RMS_NORM_FORMS = {
    "RMSNormalization op": ("y = RMSNormalization<axis=-1>(x, g)", '"" : 23'),
    "onnxruntime's SimplifiedLayerNormalization": ("y = SimplifiedLayerNormalization<axis=-1>(x, g)",
                                                   '"" : 17'),
    "1 / sqrt, as the legacy exporter writes rsqrt": ("""p = Pow(x, two)
      ms = ReduceMean<axes=[-1]>(p)
      me = Add(ms, eps)
      rt = Sqrt(me)
      inv = Div(one, rt)
      hn = Mul(x, inv)
      y = Mul(g, hn)""", '"" : 17'),
    "Llama's seven nodes, with same-type Casts": ("""xf = Cast<to=1>(x)
      p = Pow(xf, two)
      ms = ReduceMean<axes=[-1]>(p)
      me = Add(ms, eps)
      rt = Sqrt(me)
      inv = Reciprocal(rt)
      hn = Mul(xf, inv)
      hc = Cast<to=1>(hn)
      y = Mul(g, hc)""", '"" : 17'),
}


@pytest.mark.parametrize("name", list(RMS_NORM_FORMS))
def test_rms_norm_costs_the_same_in_every_form(name):
    body, opsets = RMS_NORM_FORMS[name]
    if name == "RMSNormalization op":
        skip_unless_defined("RMSNormalization")
    text = f"""
    agraph (float[1, 4, 8] x) => (float[1, 4, 8] y) {{
      {body}
    }}
    """
    weights = {"g": np.full(8, 2.0, np.float32), "two": np.array(2.0, np.float32),
               "eps": np.array(1e-6, np.float32), "one": np.array(1.0, np.float32)}
    e = edgegate.estimate(parse(text, weights, header=f"<ir_version: 9, opset_import: [{opsets}]>\n"))
    # RMSNormalization: 4 FLOPs per element, 128; one layer: x 128 + g 32 + y 128 = 288 B
    assert (len(e.layers), e.flops, e.dram_bytes, e.params, e.unestimated) == (1, 128, 288, 8, ())


def test_small_constants_with_equal_values_count_once():
    text = """
    agraph (float[1, 40] x) => (float[1, 40] y) {
      a = Mul(x, half)
      b = Add(a, also_half)
      c = Mul(b, vec)
      y = Add(c, same_vec)
    }
    """
    weights = {"half": np.array(0.5, np.float32), "also_half": np.array(0.5, np.float32),
               "vec": np.full(40, 3.0, np.float32), "same_vec": np.full(40, 3.0, np.float32)}
    e = edgegate.estimate(parse(text, weights))
    # the two scalars 0.5 count once; the 40-element vectors (over 32 elements) are told apart
    # by name: 1 + 40 + 40 = 81 params
    assert e.params == 81
    # each layer still reads its constant: 4 + 4 + 160 + 160 B of weights
    assert [layer.weight_bytes for layer in e.layers] == [4, 4, 160, 160]


EMBEDDINGS = """
agraph (int64[1, S] ids) => (float[1, S, 8] y) {
  shp = Shape(ids)
  n = Gather<axis=0>(shp, one_s)
  r = Range(zero_s, n, one_s)
  pos_ids = Unsqueeze(r, ax0)
  tok_ids = ConstantOfShape<value = int64[1] {0}>(shp)
  mask_row = ConstantOfShape<value = float[1] {1.0}>(shp)
  mask = Unsqueeze(mask_row, ax2)
  p = Gather(pos_emb, pos_ids)
  t = Gather(tok_emb, tok_ids)
  e = Gather(word_emb, ids)
  et = Add(e, t)
  h = Add(et, p)
  hm = Mul(h, mask)
  y = MatMul(hm, w)
}
"""


@pytest.mark.parametrize("length", [4, 8, 16])
def test_params_do_not_depend_on_the_binding(length):
    weights = {"word_emb": (50, 8), "pos_emb": (16, 8), "tok_emb": np.full((2, 8), 2.0, np.float32),
               "w": np.full((8, 8), 3.0, np.float32), "one_s": np.array(1, np.int64),
               "zero_s": np.array(0, np.int64), "ax0": np.array([0], np.int64),
               "ax2": np.array([2], np.int64)}
    e = edgegate.estimate(parse(EMBEDDINGS, weights), dims={"S": length})
    # the gathered position and token rows count as the stored tables: word 400 + pos 128 +
    # tok 16 + w 64 = 608 params at every S; the shape arithmetic's scalars are shape inputs
    assert e.params == 608
    # the mask is computed from shapes alone: no param, its S floats reported apart
    assert e.computed_constant_bytes == 4 * length
    # each Add reads the gathered rows it uses (S*8 floats), not the whole table
    adds = [layer for layer in e.layers if layer.op_types == ("Add",)]
    assert [layer.weight_bytes for layer in adds] == [32 * length, 32 * length]


def test_consecutive_transposes_are_one_permutation():
    # dynamo writes K^T of (1, 2, 4, 3) as Transpose, Reshape to 3-D, Transpose, Reshape back;
    # the legacy exporter composes them into one Transpose
    text = """
    agraph (float[1, 4, 2, 3] x) => (float[1, 2, 3, 4] y) {
      a = Relu(x)
      t = Transpose<perm=[0, 2, 1, 3]>(a)
      r = Reshape(t, flat)
      u = Transpose<perm=[0, 2, 1]>(r)
      y = Reshape(u, back)
    }
    """
    weights = {"flat": np.array([2, 4, 3], np.int64), "back": np.array([1, 2, 3, 4], np.int64)}
    e = edgegate.estimate(parse(text, weights))
    # one layer moves the 24 floats once: reads a (96 B), writes y (96 B)
    assert [layer.op_types for layer in e.layers] == [("Relu",), ("Transpose", "Transpose")]
    assert (e.layers[1].input_bytes, e.layers[1].output_bytes) == (96, 96)


def test_selection_through_a_view_reads_what_it_selects():
    text = """
    agraph (float[1, 8, 4] x) => (float[1, 2, 4] y) {
      a = Relu(x)
      r = Reshape(a, shp)
      s = Slice(r, st, en, ax)
      y = Relu(s)
    }
    """
    weights = {"shp": np.array([1, 4, 8], np.int64), "st": np.array([0], np.int64),
               "en": np.array([2], np.int64), "ax": np.array([1], np.int64)}
    e = edgegate.estimate(parse(text, weights))
    # the Slice reads a through the Reshape, and only the 16 floats it keeps: 64 B
    assert (e.layers[1].reads, e.layers[1].input_bytes, e.layers[1].output_bytes) == (("a",), 64, 64)


def test_nested_concats_on_one_axis_are_one_concatenation():
    # dynamo writes cat([cat([a, b]), c]) where the legacy exporter writes cat([a, b, c])
    text = """
    agraph (float[1, 2, 4] x) => (float[1, 6, 4] y, float[1, 4, 8] z) {
      a = Relu(x)
      b = Sigmoid(x)
      c = Tanh(x)
      ab = Concat<axis=1>(a, b)
      y = Concat<axis=-2>(ab, c)
      z = Concat<axis=2>(ab, ab)
    }
    """
    e = edgegate.estimate(parse(text))
    concats = [layer for layer in e.layers if layer.op_types[0] == "Concat"]
    # ab has two readers: no merge with y. With a sole reader on the same axis they would be one
    assert [layer.op_types for layer in concats] == [("Concat",), ("Concat",), ("Concat",)]
    text = text.replace("z = Concat<axis=2>(ab, ab)", "z = Concat<axis=2>(c, c)").replace(
        "float[1, 4, 8] z", "float[1, 2, 8] z")
    e = edgegate.estimate(parse(text))
    merged = [layer for layer in e.layers if layer.op_types[0] == "Concat"]
    # one layer reads a, b, c (3 * 32 B) and writes y (96 B); z's Concat stays apart
    assert [layer.op_types for layer in merged] == [("Concat", "Concat"), ("Concat",)]
    assert (merged[0].input_bytes, merged[0].output_bytes) == (96, 96)
