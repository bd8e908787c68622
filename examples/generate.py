"""Generate the example models under examples/ (run: python examples/generate.py).

Three small, real-shaped edge models built with onnx.helper and seeded random weights:
a keyword spotter (DS-CNN), a MobileNetV2-style classifier, and a tiny detector with
dynamic height/width, SiLU activations and an upsampling path. The committed .onnx files
are this script's output; rerunning it reproduces them byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
OPSET = 17


class Builder:
    """Collects nodes and initializers; names tensors t0, t1, ... in creation order."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def fresh(self, prefix: str = "t") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def weight(self, shape: tuple[int, ...], name: str) -> str:
        scale = 1.0 / np.sqrt(max(1, int(np.prod(shape[1:]))))
        array = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def const(self, array: np.ndarray, name: str) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs: object) -> str:
        out = self.fresh()
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def conv_bn(self, x: str, cin: int, cout: int, k: int, stride: int, name: str,
                groups: int = 1, act: str | None = "Relu") -> str:
        w = self.weight((cout, cin // groups, k, k), f"{name}.weight")
        pad = k // 2
        y = self.node("Conv", [x, w], f"{name}.conv", kernel_shape=[k, k],
                      strides=[stride, stride], pads=[pad] * 4, group=groups)
        bn = [self.const(np.abs(self.rng.standard_normal(cout)).astype(np.float32) + 0.5,
                         f"{name}.bn.{p}") for p in ("scale", "bias", "mean", "var")]
        y = self.node("BatchNormalization", [y, *bn], f"{name}.bn", epsilon=1e-5)
        if act == "Relu6":
            lo = self.const(np.array(0.0, np.float32), f"{name}.min")
            hi = self.const(np.array(6.0, np.float32), f"{name}.max")
            return self.node("Clip", [y, lo, hi], f"{name}.relu6")
        if act == "SiLU":
            s = self.node("Sigmoid", [y], f"{name}.sigmoid")
            return self.node("Mul", [y, s], f"{name}.silu")
        return self.node(act, [y], f"{name}.{act.lower()}") if act else y

    def classifier(self, x: str, features: int, classes: int, name: str) -> str:
        """Global average pool, flatten, then a fully connected layer ``name`` to ``classes``."""
        y = self.node("GlobalAveragePool", [x], "pool")
        y = self.node("Flatten", [y], "flatten")
        w = self.weight((classes, features), f"{name}.weight")
        bias = self.const(np.zeros(classes, np.float32), f"{name}.bias")
        return self.node("Gemm", [y, w, bias], name, transB=1)

    def model(self, name: str, inputs: list[onnx.ValueInfoProto],
              outputs: list[tuple[str, list]]) -> onnx.ModelProto:
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, shape) for o, shape in outputs]
        graph = helper.make_graph(self.nodes, name, inputs, outs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="edgegate-examples")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def keyword_spotter() -> onnx.ModelProto:
    """DS-CNN (Zhang et al., 'Hello Edge'): MFCC 49x10 in, 12 keywords out."""
    b = Builder(seed=1)
    x = "mfcc"
    y = b.conv_bn(x, 1, 64, 3, 2, "stem")
    for i in range(4):
        y = b.conv_bn(y, 64, 64, 3, 1, f"block{i}.dw", groups=64)
        y = b.conv_bn(y, 64, 64, 1, 1, f"block{i}.pw")
    out = b.classifier(y, 64, 12, "fc")
    inp = helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", 1, 49, 10])
    return b.model("kws_dscnn", [inp], [(out, ["batch", 12])])


def mobilenet_v2_small() -> onnx.ModelProto:
    """A MobileNetV2-style classifier at width 0.35, 96x96 input, 10 classes."""
    b = Builder(seed=2)
    x = "image"
    y = b.conv_bn(x, 3, 16, 3, 2, "stem", act="Relu6")
    cin = 16
    settings = [(1, 8, 1, 1), (6, 8, 2, 2), (6, 16, 3, 2), (6, 24, 2, 2), (6, 32, 2, 1)]
    for stage, (t, c, n, s) in enumerate(settings):
        for i in range(n):
            name = f"s{stage}.b{i}"
            stride = s if i == 0 else 1
            hidden = cin * t
            h = b.conv_bn(y, cin, hidden, 1, 1, f"{name}.expand", act="Relu6") if t != 1 else y
            h = b.conv_bn(h, hidden, hidden, 3, stride, f"{name}.dw", groups=hidden, act="Relu6")
            h = b.conv_bn(h, hidden, c, 1, 1, f"{name}.project", act=None)
            y = b.node("Add", [y, h], f"{name}.add") if stride == 1 and cin == c else h
            cin = c
    y = b.conv_bn(y, cin, 256, 1, 1, "head", act="Relu6")
    out = b.classifier(y, 256, 10, "classifier")
    inp = helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", 3, 96, 96])
    return b.model("mobilenet_v2_035_96", [inp], [(out, ["batch", 10])])


def tiny_detector() -> onnx.ModelProto:
    """A YOLO-shaped detector: SiLU backbone, nearest x2 upsample, concat, 1x1 head.

    Height and width are dynamic: bind them (e.g. --dim height=320 --dim width=320).
    """
    b = Builder(seed=3)
    x = "images"
    c1 = b.conv_bn(x, 3, 16, 3, 2, "stem", act="SiLU")
    c2 = b.conv_bn(c1, 16, 32, 3, 2, "down1", act="SiLU")
    c3 = b.conv_bn(c2, 32, 64, 3, 2, "down2", act="SiLU")
    c4 = b.conv_bn(c3, 64, 128, 3, 2, "down3", act="SiLU")
    lateral = b.conv_bn(c4, 128, 64, 1, 1, "lateral", act="SiLU")
    scales = b.const(np.array([1, 1, 2, 2], np.float32), "up.scales")
    up = b.node("Resize", [lateral, "", scales], "up", mode="nearest")
    merged = b.node("Concat", [up, c3], "concat", axis=1)
    fused = b.conv_bn(merged, 128, 64, 3, 1, "fuse", act="SiLU")
    w = b.weight((3 * 85, 64, 1, 1), "head.weight")
    bias = b.const(np.zeros(3 * 85, np.float32), "head.bias")
    out = b.node("Conv", [fused, w, bias], "head", kernel_shape=[1, 1])
    inp = helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", 3, "height", "width"])
    return b.model("tiny_detector", [inp], [(out, ["batch", 255, "gh", "gw"])])


MODELS = {
    "kws_dscnn.onnx": keyword_spotter,
    "mobilenet_v2_035_96.onnx": mobilenet_v2_small,
    "tiny_detector.onnx": tiny_detector,
}


def main() -> None:
    """Write every example model next to this script."""
    for filename, build in MODELS.items():
        onnx.save(build(), HERE / filename)
        print(f"wrote {HERE / filename}")


if __name__ == "__main__":
    main()
