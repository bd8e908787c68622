"""Transformer exports: attention from MatMul/Softmax/Transpose, LayerNormalization and its
decomposed form, Gelu, Einsum, and the com.microsoft ops onnxruntime's optimizer emits.

Every model is a BERT-style block at batch B = 1, sequence S = 8, hidden D = 16, N = 2 heads of
H = 8. "elements" = B*S*D = 128 unless said otherwise; float32 = 4 bytes. The contrib models
carry no value_info, as onnxruntime's optimizer writes them: shapes come from edgegate's
stand-ins for the contrib ops.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import edgegate
from tests.model_helpers import parse
from tests.onnx_versions import needs_onnx

F32 = TensorProto.FLOAT

ATTENTION = """
agraph (float[1, 8, 16] x) => (float[1, 8, 16] y) {
  q = MatMul(x, wq)
  k = MatMul(x, wk)
  v = MatMul(x, wv)
  q4 = Reshape(q, heads)
  k4 = Reshape(k, heads)
  v4 = Reshape(v, heads)
  qt = Transpose<perm=[0, 2, 1, 3]>(q4)
  kt = Transpose<perm=[0, 2, 3, 1]>(k4)
  vt = Transpose<perm=[0, 2, 1, 3]>(v4)
  scores = MatMul(qt, kt)
  scaled = Div(scores, root)
  probs = Softmax<axis=-1>(scaled)
  context = MatMul(probs, vt)
  ct = Transpose<perm=[0, 2, 1, 3]>(context)
  merged = Reshape(ct, flat)
  y = MatMul(merged, wo)
}
"""


def _attention_weights():
    return {"wq": (16, 16), "wk": (16, 16), "wv": (16, 16), "wo": (16, 16),
            "heads": np.array([1, 8, 2, 8], np.int64), "flat": np.array([1, 8, 16], np.int64),
            "root": np.array(2.828, np.float32)}


def test_attention_from_matmul_softmax_transpose():
    e = edgegate.estimate(parse(ATTENTION, _attention_weights()))
    assert e.unestimated == ()
    # projections: 4 MatMuls of 8*16*16 = 2048 MACs; scores (1,2,8,8)@(1,2,8,8): 2*8*8*8 = 1024;
    # context the same 1024 -> 4*2048 + 2*1024 = 10240 MACs
    assert e.macs == 10240
    # FLOPs: 2*10240 + Div over 2*8*8 = 128 scores + Softmax 5*128 = 640 -> 21248
    assert e.flops == 21248
    # params: four 16x16 weights + the scale scalar = 1025 (Reshape shapes are shape inputs)
    assert e.params == 1025
    transposes = [layer for layer in e.layers if layer.op_types == ("Transpose",)]
    # data movers with 0 FLOPs: each reads and writes 128 floats = 512 B
    assert [(t.flops, t.input_bytes, t.output_bytes) for t in transposes] == [(0, 512, 512)] * 4


LAYER_NORM = """
agraph (float[1, 8, 16] x) => (float[1, 8, 16] y) {
  y = LayerNormalization<axis=-1>(x, gamma, beta)
}
"""

DECOMPOSED_LAYER_NORM = """
agraph (float[1, 8, 16] x) => (float[1, 8, 16] y) {
  mean = ReduceMean<axes=[-1]>(x)
  centred = Sub(x, mean)
  squared = Pow(centred, two)
  variance = ReduceMean<axes=[-1]>(squared)
  shifted = Add(variance, eps)
  deviation = Sqrt(shifted)
  normed = Div(centred, deviation)
  scaled = Mul(normed, gamma)
  y = Add(scaled, beta)
}
"""


def test_layer_norm_and_its_decomposed_form():
    norm = {"gamma": np.full(16, 2.0, np.float32), "beta": np.full(16, 3.0, np.float32)}
    fused = edgegate.estimate(parse(LAYER_NORM, norm))
    # 5 (normalize) + 1 (gamma) + 1 (beta) per element: 7 * 128 = 896
    assert (fused.flops, fused.params) == (896, 32)
    header = '<ir_version: 8, opset_import: ["" : 13]>\n'
    scalars = {"two": np.array(2.0, np.float32), "eps": np.array(1e-5, np.float32)}
    split = edgegate.estimate(parse(DECOMPOSED_LAYER_NORM, {**norm, **scalars}, header=header))
    # the nine nodes are recognized as one LayerNormalization: the same 896 FLOPs, the same
    # params (gamma and beta; the exponent and epsilon are part of the op), one layer
    assert (split.flops, split.params) == (896, 32)
    assert [layer.op_types for layer in split.layers] == [(
        "ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Add")]
    assert (split.dram_bytes, split.peak_activation_bytes) == (fused.dram_bytes, fused.peak_activation_bytes)


GELU = """
agraph (float[1, 8, 64] x) => (float[1, 8, 64] y) {
  y = Gelu(x)
}
"""

DECOMPOSED_GELU = """
agraph (float[1, 8, 64] x) => (float[1, 8, 64] y) {
  a = Div(x, root2)
  b = Erf(a)
  c = Add(b, one)
  d = Mul(x, c)
  y = Mul(d, half)
}
"""


def test_gelu_and_its_erf_form():
    e = edgegate.estimate(parse(GELU, header='<ir_version: 9, opset_import: ["" : 20]>\n'))
    # one FLOP per element: 8*64 = 512
    assert e.flops == 512
    scalars = {name: np.array(value, np.float32) for name, value in
               (("root2", 1.4142), ("one", 1.0), ("half", 0.5))}
    split = edgegate.estimate(parse(DECOMPOSED_GELU, scalars))
    # the five elementwise ops are recognized as one Gelu: the same 512 FLOPs, one layer
    # (x read once, y written once), no params (the scalars are part of the op)
    assert (split.flops, split.params, len(split.layers)) == (512, 0, 1)
    assert split.dram_bytes == e.dram_bytes == 2 * 512 * 4


def test_einsum_attention_scores():
    text = """
    agraph (float[1, 2, 8, 8] q, float[1, 2, 8, 8] k) => (float[1, 2, 8, 8] s) {
      s = Einsum<equation="bhqd,bhkd->bhqk">(q, k)
    }
    """
    e = edgegate.estimate(parse(text))
    # product of the distinct letters b*h*q*k*d = 1*2*8*8*8 = 1024 MACs
    assert (e.macs, e.flops) == (1024, 2048)


def _contrib(nodes, inputs, output, initializers):
    graph = helper.make_graph(
        nodes, "bert", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(output, F32, None)],
        [numpy_helper.from_array(v, k) for k, v in initializers.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])


def _ones(*shape):
    return np.ones(shape, np.float32)


def test_contrib_attention_then_matmul():
    nodes = [
        helper.make_node("Attention", ["x", "qkv", "qkv_bias", "mask"], ["a"], domain="com.microsoft",
                         num_heads=2, name="attention"),
        helper.make_node("MatMul", ["a", "wo"], ["y"], name="out"),
    ]
    model = _contrib(nodes, [("x", F32, [1, 8, 16]), ("mask", TensorProto.INT32, [1])], "y",
                     {"qkv": _ones(16, 48), "qkv_bias": _ones(48), "wo": _ones(16, 16)})
    e = edgegate.estimate(model)
    assert e.unestimated == ()
    attention = e.layers[0]
    # projection B*S*Din*(Dq+Dk+Dv) = 8*16*48 = 6144; scores and context B*S*L*(Dq+Dv) =
    # 8*8*32 = 2048 -> 8192 MACs
    assert attention.macs == 8192
    # FLOPs: 2*8192 + bias adds B*S*48 = 384 + per score (B*N*S*L = 128): scale 1 + softmax 5
    # + mask 1 = 7 -> 896 ... = 16384 + 384 + 896 = 17664
    assert attention.flops == 17664
    # the MatMul after it sees (1, 8, 16) through the stand-in: 8*16*16 = 2048 MACs
    assert e.layers[1].macs == 2048
    assert e.macs == 10240


@needs_onnx((1, 17), "Einsum shape inference of the equations the MultiHeadAttention stand-in uses")
def test_contrib_multi_head_attention_three_inputs():
    nodes = [helper.make_node("MultiHeadAttention", ["q", "k", "v"], ["a"], domain="com.microsoft",
                              num_heads=2, name="mha"),
             helper.make_node("MatMul", ["a", "wo"], ["y"], name="out")]
    inputs = [(name, F32, [1, 8, 16]) for name in ("q", "k", "v")]
    e = edgegate.estimate(_contrib(nodes, inputs, "y", {"wo": _ones(16, 16)}))
    assert e.unestimated == ()
    # scores and context B*S*L*(Dq+Dv) = 8*8*32 = 2048 MACs; FLOPs 4096 + 128 scores * 6
    assert (e.layers[0].macs, e.layers[0].flops) == (2048, 4864)
    assert e.layers[1].macs == 2048


def test_contrib_skip_layer_norm_and_gelus():
    nodes = [
        helper.make_node("SkipLayerNormalization", ["x", "skip", "gamma", "beta", "bias"], ["n"],
                         domain="com.microsoft", name="skipln"),
        helper.make_node("MatMul", ["n", "w1"], ["h"], name="ff1"),
        helper.make_node("BiasGelu", ["h", "b1"], ["g"], domain="com.microsoft", name="biasgelu"),
        helper.make_node("FastGelu", ["g", "b2"], ["y"], domain="com.microsoft", name="fastgelu"),
    ]
    inputs = [("x", F32, [1, 8, 16]), ("skip", F32, [1, 8, 16])]
    inits = {"gamma": _ones(16), "beta": _ones(16), "bias": _ones(16), "w1": _ones(16, 64),
             "b1": _ones(64), "b2": _ones(64)}
    e = edgegate.estimate(_contrib(nodes, inputs, "y", inits))
    assert e.unestimated == ()
    flops = {layer.name: layer.flops for layer in e.layers}
    # skip 1 + bias 1 + normalize 5 + gamma 1 + beta 1 = 9 per element: 9*128 = 1152
    assert flops["skipln"] == 1152
    # MatMul 8*16*64 = 8192 MACs
    assert e.layers[1].macs == 8192
    # BiasGelu: 2 per element of (1, 8, 64): 1024; FastGelu with bias: 2 per element: 1024
    assert (flops["biasgelu"], flops["fastgelu"]) == (1024, 1024)
    # the FastGelu output (graph output) is 512 floats: 2048 B written
    assert e.layers[-1].output_bytes == 2048


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's TorchScript exporter warns
def test_onnxruntime_optimizer_keeps_the_unfused_macs(tmp_path):
    torch = pytest.importorskip("torch")
    optimizer = pytest.importorskip("onnxruntime.transformers.optimizer")
    nn = torch.nn

    class Encoder(nn.Module):
        """A BERT layer written out: Q/K/V projections, masked softmax attention, feed-forward."""

        def __init__(self) -> None:
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(16, 16) for _ in range(4))
            self.norm1, self.norm2 = nn.LayerNorm(16), nn.LayerNorm(16)
            self.ff1, self.ff2 = nn.Linear(16, 64), nn.Linear(64, 16)

        def forward(self, x, mask):
            def heads(t):
                return t.view(1, 8, 2, 8).transpose(1, 2)

            q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
            scores = q @ k.transpose(-1, -2) / 8 ** 0.5 + (1.0 - mask[:, None, None, :].float()) * -1e4
            context = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(1, 8, 16)
            x = self.norm1(x + self.o(context))
            return self.norm2(x + self.ff2(nn.functional.gelu(self.ff1(x))))

    source = tmp_path / "encoder.onnx"
    torch.onnx.export(Encoder().eval(), (torch.randn(1, 8, 16), torch.ones(1, 8, dtype=torch.int64)),
                      str(source), input_names=["x", "mask"], output_names=["y"], opset_version=17,
                      dynamo=False)
    fused = optimizer.optimize_model(str(source), model_type="bert", num_heads=2, hidden_size=16)
    target = tmp_path / "fused.onnx"
    fused.save_model_to_file(str(target))
    plain, optimized = edgegate.estimate(str(source)), edgegate.estimate(str(target))
    assert any(node.domain == "com.microsoft" for node in onnx.load(str(target)).graph.node)
    # fusing changes no multiply: projections 4 * 8*16*16 = 8192, scores and context
    # 2 * 2*8*8*8 = 2048, feed-forward 2 * 8*16*64 = 16384 -> 26624 MACs both ways
    assert plain.macs == optimized.macs == 26624
    assert optimized.unestimated == ()
