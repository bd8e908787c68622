"""End to end: a small repo with two models and one policy, checked through the CLI.

The keyword spotter passes; the detector fails on two metrics (FLOPs and peak activation).
"""

from __future__ import annotations

import numpy as np
from gate_helpers import conv_relu, save, write
from onnx import TensorProto, helper, numpy_helper

from edgegate.cli import main

POLICY = """\
version: 1
budgets:
  edge:
    include: ["models/*.onnx"]
    limits:
      flops: {max: 5 MFLOP, message: reduce the channels or the input size}
      peak_activation_bytes: {max: 128 KiB}
      weight_bytes: {max: 64 KiB}
"""


def detector():
    """x[1,16,32,32] -> conv1 (3x3, 32) -> relu -> conv2 (1x1, 32) -> y."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 32, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32, 32, 32])
    weights = [numpy_helper.from_array(np.zeros(shape, np.float32), name)
               for name, shape in (("w1", (32, 16, 3, 3)), ("w2", (32, 32, 1, 1)))]
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["y"], name="conv2"),
    ]
    graph = helper.make_graph(nodes, "detector", [x], [y], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


# kws: conv_relu(1, 8, 16): Conv 8 x 16 x 16 x 1 x 9 = 18432 MACs = 36864 FLOPs, Relu 2048:
#   38912 FLOPs (38.9 kFLOP); x 1 KiB + output 8 KiB live together: peak 9216 B (9 KiB);
#   weights 8 x 9 x 4 B = 288 B. Ratchets: 38912 x 1.1 = 42803 -> 43 kFLOP;
#   9216 x 1.1 = 10137.6 B = 9.9 KiB; 288 x 1.1 = 316.8 -> 320 B.
# detector: conv1 32 x 1024 x 16 x 9 = 4718592 MACs = 9437184 FLOPs + Relu 32768 = 9469952;
#   conv2 32 x 1024 x 32 = 1048576 MACs = 2097152 FLOPs; total 11567104 (11.6 MFLOP), excess
#   (11567104 - 5e6) / 5e6 = 131.3%. conv1 holds 9469952 / 11567104 = 82% of the FLOPs.
#   Peak: conv2 reads r1 (128 KiB) and writes y (128 KiB): 256 KiB, excess 100% over 128 KiB;
#   conv1 touches x 64 KiB + r1 128 KiB = 192 KiB (43% of 448 KiB), conv2 256 KiB (57%).
#   Weights (4608 + 1024) x 4 B = 22528 B = 22 KiB, headroom 65.6%; 22528 x 1.1 -> 25 KiB.
EXPECTED = """\
models/detector.onnx [budget edge]: FAILED
  settings: precision model, fusion paper
  FAIL  flops                    11.6 MFLOP  max 5 MFLOP      excess 131.3%
        reduce the channels or the input size
        top layers: conv1 9.47 MFLOP (82%), conv2 2.10 MFLOP (18%)
  FAIL  peak_activation_bytes       256 KiB  max 128 KiB      excess 100.0%
        top layers: conv2 256 KiB (57%), conv1 192 KiB (43%)
  pass  weight_bytes                 22 KiB  max 64 KiB       headroom 65.6%
        under half its max: ratchet to max: 25 KiB
  pass  unestimated            every node was costed
  coverage: 100% of nodes (3/3) and 100% of FLOPs from known formulas

models/kws.onnx [budget edge]: PASSED
  settings: precision model, fusion paper
  pass  flops                    38.9 kFLOP  max 5 MFLOP      headroom 99.2%
        under half its max: ratchet to max: 43 kFLOP
  pass  peak_activation_bytes         9 KiB  max 128 KiB      headroom 93.0%
        under half its max: ratchet to max: 9.9 KiB
  pass  weight_bytes                  288 B  max 64 KiB       headroom 99.6%
        under half its max: ratchet to max: 320 B
  pass  unestimated            every node was costed
  coverage: 100% of nodes (2/2) and 100% of FLOPs from known formulas

2 model checks: 1 passed, 1 failed (2 errors, 0 warnings)
"""


def test_two_models_one_policy_one_fails_on_two_metrics(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save(conv_relu(1, 8, 16), tmp_path / "models" / "kws.onnx")
    save(detector(), tmp_path / "models" / "detector.onnx")
    write(tmp_path / "edgegate.yaml", POLICY)
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    assert captured.out == EXPECTED
    assert captured.err == ""
    # with --no-fail the same report exits 0, and checking only the passing model passes
    assert main(["check", "--no-fail"]) == 0
    capsys.readouterr()
    assert main(["check", "models/kws.onnx"]) == 0
    assert capsys.readouterr().out.endswith("1 model check: 1 passed, 0 failed (0 errors, 0 warnings)\n")
