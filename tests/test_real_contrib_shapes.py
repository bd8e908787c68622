"""Shapes through onnxruntime's com.microsoft ops, which onnx's own inference cannot see into.

onnxruntime's quantizer and transformer optimizer write these ops without value_info. Each case
puts one contrib op before a Cast to double and a Relu, and checks the Relu's FLOPs (one per
element of the contrib op's output) and the bytes the Cast reads (elements * the contrib
output's element size), so a wrong or missing output shape or dtype shows.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import edgegate
from tests.onnx_versions import skip_before

F32, F64, U8, I8, I32 = (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.UINT8, TensorProto.INT8,
                         TensorProto.INT32)
S = np.array(0.1, np.float32)
Z8 = np.array(0, np.uint8)


def _case(op_type, inputs, inits, attrs=None):
    return op_type, inputs, inits, attrs or {}


CASES = {
    # name: (op, graph inputs (name, dtype, shape), initializers, attributes), output elements,
    # output element size
    "Gelu": (_case("Gelu", [("x", F32, [2, 5])], {}), 10, 4),
    "QuickGelu": (_case("QuickGelu", [("x", F32, [2, 5])], {}), 10, 4),
    "BiasAdd": (_case("BiasAdd", [("x", F32, [2, 5])], {"b": np.ones(5, np.float32),
                                                         "skip": np.ones((2, 5), np.float32)}), 10, 4),
    "LayerNormalization": (_case("LayerNormalization", [("x", F32, [2, 5])],
                                 {"g": np.ones(5, np.float32), "b": np.ones(5, np.float32)}), 10, 4),
    "SkipSimplifiedLayerNormalization": (_case(
        "SkipSimplifiedLayerNormalization", [("x", F32, [2, 5]), ("skip", F32, [2, 5])],
        {"g": np.ones(5, np.float32)}), 10, 4),
    "QLinearSigmoid": (_case("QLinearSigmoid", [("x", U8, [2, 5])],
                             {"xs": S, "xz": Z8, "ys": S, "yz": Z8}), 10, 1),
    # (2, 5) * (5,) broadcasts to (2, 5)
    "QLinearMul": (_case("QLinearMul", [("x", U8, [2, 5])],
                         {"xs": S, "xz": Z8, "c": np.ones(5, np.uint8), "cs": S, "cz": Z8,
                          "ys": S, "yz": Z8}), 10, 1),
    # int8 in, float32 out; standing on an activation it aliases its int8 input (the QDQ
    # rule), so the Cast reads 10 int8 bytes
    "DequantizeLinear": (_case("DequantizeLinear", [("x", I8, [2, 5])],
                               {"s": S, "z": np.array(0, np.int8)}), 10, 1),
    # float32 in, uint8 out (the zero point's dtype)
    "QuantizeLinear": (_case("QuantizeLinear", [("x", F32, [2, 5])], {"s": S, "z": Z8}), 10, 1),
    # concat of (2, 5) and (2, 3) on axis 1: (2, 8)
    "QLinearConcat": (_case("QLinearConcat", [("ys", F32, []), ("yz", U8, []), ("a", U8, [2, 5]),
                                              ("as", F32, []), ("az", U8, []), ("b", U8, [2, 3]),
                                              ("bs", F32, []), ("bz", U8, [])], {}, {"axis": 1}), 16, 1),
    "QLinearGlobalAveragePool": (_case("QLinearGlobalAveragePool", [("x", U8, [1, 4, 6, 6])],
                                       {"xs": S, "xz": Z8, "ys": S, "yz": Z8}), 4, 1),
    # 2x2 windows, stride 2: (1, 4, 3, 3)
    "QLinearAveragePool": (_case("QLinearAveragePool", [("x", U8, [1, 4, 6, 6])],
                                 {"xs": S, "xz": Z8, "ys": S, "yz": Z8},
                                 {"kernel_shape": [2, 2], "strides": [2, 2]}), 36, 1),
    # 3x3, pad 1: (1, 4, 8, 8)
    "QLinearConv": (_case("QLinearConv", [("x", U8, [1, 3, 8, 8])],
                          {"xs": S, "xz": Z8, "w": np.ones((4, 3, 3, 3), np.uint8), "ws": S, "wz": Z8,
                           "ys": S, "yz": Z8}, {"pads": [1, 1, 1, 1]}), 256, 1),
    "FusedConv": (_case("FusedConv", [("x", F32, [1, 3, 8, 8])],
                        {"w": np.ones((4, 3, 3, 3), np.float32)},
                        {"pads": [1, 1, 1, 1], "activation": "Relu"}), 256, 4),
    "FusedGemm": (_case("FusedGemm", [("a", F32, [2, 5])], {"b": np.ones((5, 3), np.float32)}), 6, 4),
    # B is (3, 5) transposed: (2, 5) @ (5, 3)
    "FusedMatMul": (_case("FusedMatMul", [("a", F32, [2, 5])], {"b": np.ones((3, 5), np.float32)},
                          {"transB": 1}), 6, 4),
    "MatMulIntegerToFloat": (_case("MatMulIntegerToFloat", [("a", U8, [2, 5])],
                                   {"b": np.ones((5, 3), np.uint8), "as": S, "bs": S}), 6, 4),
    "DynamicQuantizeMatMul": (_case("DynamicQuantizeMatMul", [("a", F32, [2, 5])],
                                    {"b": np.ones((5, 3), np.int8), "bs": S}), 6, 4),
    # K = 16, N = 3: 4-bit weights packed as (N, blocks, block bytes)
    "MatMulNBits": (_case("MatMulNBits", [("a", F32, [2, 16])],
                          {"b": np.ones((3, 1, 8), np.uint8), "s": np.ones(3, np.float32)},
                          {"K": 16, "N": 3, "bits": 4, "block_size": 16}), 6, 4),
    "QGemm": (_case("QGemm", [("a", U8, [2, 5])],
                    {"as": S, "az": Z8, "b": np.ones((5, 3), np.uint8), "bs": S, "bz": Z8}), 6, 4),
    # ids (1, 8) into a (30, 16) embedding: (1, 8, 16)
    "EmbedLayerNormalization": (_case(
        "EmbedLayerNormalization", [("ids", I32, [1, 8]), ("segments", I32, [1, 8])],
        {"words": np.ones((30, 16), np.float32), "positions": np.ones((8, 16), np.float32),
         "segment_table": np.ones((2, 16), np.float32), "g": np.ones(16, np.float32),
         "b": np.ones(16, np.float32)}), 128, 4),
    # uint8 (1, 4, 8) @ (8, 3*8) weights: float (1, 4, 8)
    "QAttention": (_case("QAttention", [("x", U8, [1, 4, 8])],
                         {"w": np.ones((8, 24), np.uint8), "bias": np.ones(24, np.float32), "xs": S,
                          "ws": S}, {"num_heads": 2}), 32, 4),
    # ids (1, 8) into an int8 (30, 16) table: float (1, 8, 16), the scales' type
    "QEmbedLayerNormalization": (_case(
        "QEmbedLayerNormalization", [("ids", I32, [1, 8]), ("segments", I32, [1, 8])],
        {"words": np.ones((30, 16), np.int8), "positions": np.ones((8, 16), np.int8),
         "segment_table": np.ones((2, 16), np.int8), "g": np.ones(16, np.int8), "b": np.ones(16, np.int8),
         "mask": np.ones((1, 8), np.int32), **{f"s{i}": S for i in range(5)},
         **{f"z{i}": np.array(0, np.int8) for i in range(5)}}), 128, 4),
    # packed QKV (1, 8, N=2, 3, H=8): (1, 8, 16)
    "MultiHeadAttention packed QKV": (_case("MultiHeadAttention", [("q", F32, [1, 8, 2, 3, 8])], {},
                                            {"num_heads": 2}), 128, 4),
    # query (1, 8, 16), packed KV (1, 8, 2, 2, 8): (1, 8, 16)
    "MultiHeadAttention packed KV": (_case("MultiHeadAttention", [("q", F32, [1, 8, 16]),
                                                                  ("kv", F32, [1, 8, 2, 2, 8])], {},
                                           {"num_heads": 2}), 128, 4),
    # q (1, 1, 8*16), k and v (1, 1, 2*16) after a past of (1, 2, 32, 16): output (1, 1, 128)
    "GroupQueryAttention": (_case("GroupQueryAttention", [("q", F32, [1, 1, 128]), ("k", F32, [1, 1, 32]),
                                                          ("v", F32, [1, 1, 32]), ("pk", F32, [1, 2, 32, 16]),
                                                          ("pv", F32, [1, 2, 32, 16])], {},
                                  {"num_heads": 8, "kv_num_heads": 2}), 128, 4),
    # key and value as (B, N, L, H) = (1, 2, 8, 8): (1, 8, 2*8)
    "MultiHeadAttention BNSH": (_case("MultiHeadAttention", [("q", F32, [1, 8, 16]),
                                                             ("k", F32, [1, 2, 8, 8]),
                                                             ("v", F32, [1, 2, 8, 8])], {},
                                      {"num_heads": 2}), 128, 4),
}


def _model(op_type, inputs, inits, attrs):
    names = [name for name, *_ in inputs] + list(inits)
    nodes = [helper.make_node(op_type, names, ["out"], domain="com.microsoft", name="contrib", **attrs),
             helper.make_node("Cast", ["out"], ["f"], to=F64, name="cast"),
             helper.make_node("Relu", ["f"], ["y"], name="after")]
    graph = helper.make_graph(
        nodes, "contrib", [helper.make_tensor_value_info(*spec) for spec in inputs],
        [helper.make_tensor_value_info("y", F64, None)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])


@pytest.mark.parametrize("name", list(CASES))
def test_contrib_output_shape_reaches_the_next_op(name):
    (op_type, inputs, inits, attrs), elements, size = CASES[name]
    if op_type == "MultiHeadAttention":
        skip_before((1, 17), "Einsum shape inference of the equations the MultiHeadAttention stand-in uses")
    e = edgegate.estimate(_model(op_type, inputs, inits, attrs))
    layers = {layer.name: layer for layer in e.layers}
    assert layers["after"].flops == elements
    assert layers["cast"].input_bytes == elements * size
    assert not [u for u in e.unestimated if u.node in ("cast", "after")]


def test_channels_last_contrib_pool_stays_unknown_not_wrong():
    # NHWC QLinearGlobalAveragePool: no stand-in (edgegate's stand-ins are NCHW), so the ops
    # after it are listed as unestimated rather than costed on a wrong shape
    (op_type, inputs, inits, attrs), _, _ = CASES["QLinearGlobalAveragePool"]
    e = edgegate.estimate(_model(op_type, inputs, inits, {"channels_last": 1}))
    assert [u.node for u in e.unestimated] == ["after"]


def test_group_query_attention_packed_qkv_and_its_present_cache():
    # onnxruntime-genai's decode step: Q, K and V packed in one (1, 1, (8 + 2*2) * 16) input
    # (key and value omitted), a past of 32, then the output projection
    gqa = helper.make_node("GroupQueryAttention", ["qkv", "", "", "pk", "pv"], ["attn", "present_k", "present_v"],
                           domain="com.microsoft", num_heads=8, kv_num_heads=2, name="gqa")
    nodes = [gqa, helper.make_node("MatMul", ["attn", "wo"], ["y"], name="o_proj")]
    inputs = [helper.make_tensor_value_info("qkv", F32, [1, 1, 192]),
              helper.make_tensor_value_info("pk", F32, [1, 2, 32, 16]),
              helper.make_tensor_value_info("pv", F32, [1, 2, 32, 16])]
    outputs = [helper.make_tensor_value_info(name, F32, None) for name in ("y", "present_k", "present_v")]
    graph = helper.make_graph(nodes, "gqa", inputs, outputs,
                              [numpy_helper.from_array(np.full((128, 128), 2.0, np.float32), "wo")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    e = edgegate.estimate(model)
    assert e.unestimated == ()
    # attention: L = 32 + 1 = 33, 1*1*33 * (128 + 128) = 8,448 MACs; o_proj 128*128 = 16,384
    assert e.macs == 8_448 + 16_384
    # the present cache written: 2 tensors of 1*2*33*16 floats
    attention = next(layer for layer in e.layers if layer.name == "gqa")
    assert attention.output_bytes == 128 * 4 + 2 * 2 * 33 * 16 * 4


def _bert_layer(quantized: bool):
    """A one-layer BERT (S=16, hidden 64, 4 heads) as onnxruntime's transformer optimizer fuses
    it, and as quantize_dynamic then rewrites it: QEmbedLayerNormalization -> DynamicQuantize
    -> QAttention -> DynamicQuantize -> MatMulInteger instead of EmbedLayerNormalization ->
    Attention -> MatMul."""
    ms = {"domain": "com.microsoft"}
    f32 = {"words": np.ones((100, 64), np.float32), "positions": np.ones((64, 64), np.float32),
           "g": np.ones(64, np.float32), "b": np.ones(64, np.float32)}
    embed_inputs = ["ids", "", "words", "positions", "", "g", "b", "mask"]
    if quantized:
        inits = {**{k: v.astype(np.int8) for k, v in f32.items()}, "qkv": np.ones((64, 192), np.int8),
                 "o": np.ones((64, 64), np.int8), **{f"s{i}": S for i in range(6)},
                 **{f"z{i}": np.array(0, np.int8) for i in range(6)}, "qkv_bias": np.ones(192, np.float32)}
        nodes = [
            helper.make_node("QEmbedLayerNormalization",
                             [*embed_inputs, "s0", "s1", "", "s2", "s3", "z0", "z1", "", "z2", "z3"],
                             ["emb", "mask_index"], name="embed", **ms),
            helper.make_node("DynamicQuantizeLinear", ["emb"], ["emb_q", "emb_s", "emb_z"], name="q1"),
            helper.make_node("QAttention", ["emb_q", "qkv", "qkv_bias", "emb_s", "s4", "mask_index",
                                            "emb_z", "z4"], ["attn"], name="attention", num_heads=4, **ms),
            helper.make_node("DynamicQuantizeLinear", ["attn"], ["attn_q", "attn_s", "attn_z"], name="q2"),
            helper.make_node("MatMulInteger", ["attn_q", "o", "attn_z", "z5"], ["y"], name="dense"),
        ]
        out = TensorProto.INT32
    else:
        inits = {**f32, "qkv": np.ones((64, 192), np.float32), "o": np.ones((64, 64), np.float32),
                 "qkv_bias": np.ones(192, np.float32)}
        nodes = [
            helper.make_node("EmbedLayerNormalization", embed_inputs, ["emb", "mask_index"], name="embed",
                             **ms),
            helper.make_node("Attention", ["emb", "qkv", "qkv_bias", "mask_index"], ["attn"],
                             name="attention", num_heads=4, **ms),
            helper.make_node("MatMul", ["attn", "o"], ["y"], name="dense"),
        ]
        out = F32
    graph = helper.make_graph(
        nodes, "bert", [helper.make_tensor_value_info(n, I32, [1, 16]) for n in ("ids", "mask")],
        [helper.make_tensor_value_info("y", out, None)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])


def test_dynamically_quantized_bert_keeps_the_fused_models_macs():
    # Embeddings: 0 MACs, (1 + 5 + 2) * 16*64 + 16 (mask) = 8,208 FLOPs either way.
    # Attention: 16*64*192 + 16*16*(64+64) = 229,376 MACs. Dense: 16*64*64 = 65,536 MACs.
    # Quantized adds the two DynamicQuantizeLinear: 2 FLOPs per element, 2 * 2 * 16*64 = 4,096.
    plain, quantized = edgegate.estimate(_bert_layer(False)), edgegate.estimate(_bert_layer(True))
    assert plain.unestimated == () and quantized.unestimated == ()
    assert plain.macs == quantized.macs == 229_376 + 65_536
    assert quantized.flops - plain.flops == 4_096
    layers = {layer.name: layer for layer in quantized.layers}
    assert layers["embed"].flops == 8_208
    assert layers["attention"].macs == 229_376
