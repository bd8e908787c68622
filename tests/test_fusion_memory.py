"""Fusion, params, peak activation and DRAM traffic on small graphs, computed by hand.

Conventions in the comments: float32 = 4 bytes; "out" = elements of a tensor.
"""

from __future__ import annotations

import numpy as np
import pytest

import edgegate
from tests.model_helpers import parse

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
