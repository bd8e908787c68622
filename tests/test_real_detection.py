"""Detection and segmentation exports: Resize/Upsample, TopK, NonMaxSuppression, and spatial
sizes left symbolic in the model and bound by the policy.

float32 = 4 bytes; "out" = elements of a tensor.
"""

from __future__ import annotations

import numpy as np
import pytest

import edgegate
from edgegate.cli import main
from edgegate.policy.load import load_policy
from edgegate.rules.engine import Checker
from tests.model_helpers import parse, save


@pytest.mark.parametrize(
    ("mode", "flops"),
    [
        ("nearest", 0),  # nearest copies: a data mover
        ("linear", 1 * 8 * 20 * 20 * 8),  # bilinear: 4 taps * 2 FLOPs per output element
        ("cubic", 1 * 8 * 20 * 20 * 32),  # bicubic: 16 taps * 2
    ],
)
def test_resize_by_scales(mode, flops):
    text = f"""
    agraph (float[1, 8, 10, 10] x) => (float[1, 8, 20, 20] y) {{
      y = Resize<mode="{mode}">(x, roi, scales)
    }}
    """
    weights = {"roi": np.zeros(0, np.float32), "scales": np.array([1, 1, 2, 2], np.float32)}
    e = edgegate.estimate(parse(text, weights))
    assert e.flops == flops
    # reads 8*10*10 floats (3200 B), writes 8*20*20 (12800 B); scales are a shape input
    assert (e.layers[0].input_bytes, e.layers[0].output_bytes, e.params) == (3200, 12800, 0)


def test_upsample_opset9():
    text = """
    agraph (float[1, 4, 6, 6] x) => (float[1, 4, 12, 12] y) {
      y = Upsample<mode="nearest">(x, scales)
    }
    """
    header = '<ir_version: 4, opset_import: ["" : 9]>\n'
    e = edgegate.estimate(parse(text, {"scales": np.array([1, 1, 2, 2], np.float32)}, header=header))
    # nearest: 0 FLOPs; writes 4*12*12 floats = 2304 B
    assert (e.flops, e.layers[0].output_bytes, e.unestimated) == (0, 2304, ())


DETECTION_HEAD = """
agraph (float[1, 1000, 4] boxes, float[1, 1, 1000] scores) => (int64[N, 3] picked, float[1, 1, 100] best) {
  picked = NonMaxSuppression(boxes, scores, limit, iou, threshold)
  best, where = TopK<axis=-1>(scores, k)
}
"""


def test_nms_is_unestimated_and_topk_costed():
    weights = {"limit": np.array([100], np.int64), "iou": np.array([0.5], np.float32),
               "threshold": np.array([0.3], np.float32), "k": np.array([100], np.int64)}
    e = edgegate.estimate(parse(DETECTION_HEAD, weights))
    assert [(u.op_type, u.reason) for u in e.unestimated] == [
        ("NonMaxSuppression", "NonMaxSuppression node 'NonMaxSuppression:picked': the boxes"
                              " kept, and so its cost, depend on the data")]
    assert e.lower_bound
    topk = next(layer for layer in e.layers if layer.op_types == ("TopK",))
    # 1000 scores * ceil(log2 100) = 7 compares each
    assert topk.flops == 7000


SEGMENTER = """
agraph (float[1, 3, height, width] x) => (float[1, 8, height, width] y) {
  c = Conv<strides=[2, 2], pads=[1, 1, 1, 1]>(x, w)
  cs = Shape(c)
  xs = Shape(x)
  batch_channels = Slice(cs, zero, two)
  spatial = Slice(xs, two, four)
  sizes = Concat<axis=0>(batch_channels, spatial)
  up = Resize<mode="linear">(c, "", "", sizes)
  y = Relu(up)
}
"""

POLICY = """\
version: 1
budgets:
  segmenter:
    include: ["segmenter.onnx"]
    dims: {height: 64, width: 96}
    limits:
      macs: {max: 1 MMAC}
"""


def _segmenter(tmp_path):
    weights = {"w": (8, 3, 3, 3), **{name: np.array([v], np.int64)
                                     for name, v in (("zero", 0), ("two", 2), ("four", 4))}}
    save(parse(SEGMENTER, weights), tmp_path / "segmenter.onnx")


def test_dynamic_spatial_sizes_bound_by_the_policy(tmp_path, capsys):
    _segmenter(tmp_path)
    (tmp_path / "edgegate.yaml").write_text(POLICY)
    policy = load_policy(tmp_path / "edgegate.yaml")
    result = Checker(policy, tmp_path).run(None).results[0]
    # conv out 1*8*32*48 = 12288 * 27 = 331776 MACs (the Resize sizes come from the bound
    # input through Shape/Slice/Concat, which are free shape arithmetic)
    assert result.metrics["macs"] == 331776
    # FLOPs: conv 2*331776 + bilinear Resize 8 per output 8*64*96 = 49152 -> 393216 + Relu 49152
    assert result.metrics["flops"] == 663552 + 393216 + 49152
    assert main(["check", "--policy", str(tmp_path / "edgegate.yaml"), "--root", str(tmp_path)]) == 0
    assert "segmenter.onnx" in capsys.readouterr().out


def test_spatial_sizes_left_unbound_are_a_binding_error(tmp_path, capsys):
    _segmenter(tmp_path)
    (tmp_path / "edgegate.yaml").write_text(POLICY.replace("    dims: {height: 64, width: 96}\n", ""))
    code = main(["check", "--policy", str(tmp_path / "edgegate.yaml"), "--root", str(tmp_path)])
    assert code == 5
    assert "input 'x' dimension 2 ('height') is unbound" in capsys.readouterr().out
