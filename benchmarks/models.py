"""Benchmark models, generated with onnx.helper and numpy into a cache directory.

Each builder writes its files once (they are reused while present) and returns the .onnx
path. ``quick`` builds a scaled-down variant of the same shape, for a fast smoke run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 17)]
FLOAT = TensorProto.FLOAT


def _save(model: onnx.ModelProto, path: Path, check: bool = True) -> Path:
    """Check and write ``model`` to ``path`` atomically (a crash leaves no half file).

    The checker opens external data files, so models pointing at absent ones skip it.
    """
    if check:
        onnx.checker.check_model(model)
    partial = path.with_suffix(".partial")
    partial.write_bytes(model.SerializeToString())
    partial.replace(path)
    return path


def _weights(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Deterministic float32 weights of ``shape``."""
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def cnn(cache: Path, quick: bool) -> Path:
    """A VGG-like stack of Conv+BatchNorm+Relu with MaxPool stages: ~99 MB of fp32 weights."""
    path = cache / ("cnn_quick.onnx" if quick else "cnn.onnx")
    if path.exists():
        return path
    stages = [(64, 2), (128, 2), (256, 3), (512, 5), (512, 5)]
    if quick:
        stages = [(16, 2), (32, 2), (64, 2)]
    nodes, inits, x, cin = [], [], "input", 3
    for s, (cout, repeat) in enumerate(stages):
        for r in range(repeat):
            p = f"s{s}r{r}_"
            inits.append(numpy_helper.from_array(_weights((cout, cin, 3, 3), len(inits)), p + "w"))
            for stat, value in (("scale", 1.0), ("bias", 0.0), ("mean", 0.0), ("var", 1.0)):
                inits.append(numpy_helper.from_array(np.full(cout, value, np.float32), p + stat))
            nodes.append(helper.make_node("Conv", [x, p + "w"], [p + "conv"], pads=[1, 1, 1, 1]))
            bn_inputs = [p + "conv", p + "scale", p + "bias", p + "mean", p + "var"]
            nodes.append(helper.make_node("BatchNormalization", bn_inputs, [p + "bn"]))
            nodes.append(helper.make_node("Relu", [p + "bn"], [p + "relu"]))
            x, cin = p + "relu", cout
        nodes.append(helper.make_node("MaxPool", [x], [f"s{s}_pool"], kernel_shape=[2, 2],
                                      strides=[2, 2]))
        x = f"s{s}_pool"
    inits.append(numpy_helper.from_array(_weights((cin, 1000), 99), "fc_w"))
    nodes += [
        helper.make_node("GlobalAveragePool", [x], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("MatMul", ["flat", "fc_w"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("input", FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("logits", FLOAT, [1, 1000])], inits)
    return _save(helper.make_model(graph, opset_imports=OPSET), path)


def chain(cache: Path, quick: bool) -> Path:
    """A chain of Conv(1x1)+Add+Relu+Reshape blocks with tiny weights: 10,000 nodes."""
    blocks = 250 if quick else 2500
    path = cache / f"chain_{blocks * 4}.onnx"
    if path.exists():
        return path
    inits = [
        numpy_helper.from_array(np.array([1, 8, 16, 16], np.int64), "shape"),
        numpy_helper.from_array(np.full((1, 8, 1, 1), 0.5, np.float32), "bias"),
    ]
    nodes, x = [], "input"
    for b in range(blocks):
        p = f"b{b}_"
        inits.append(numpy_helper.from_array(_weights((8, 8, 1, 1), b), p + "w"))
        nodes += [
            helper.make_node("Conv", [x, p + "w"], [p + "conv"], name=p + "conv"),
            helper.make_node("Add", [p + "conv", "bias"], [p + "add"], name=p + "add"),
            helper.make_node("Relu", [p + "add"], [p + "relu"], name=p + "relu"),
            helper.make_node("Reshape", [p + "relu", "shape"], [p + "out"], name=p + "reshape"),
        ]
        x = p + "out"
    graph = helper.make_graph(
        nodes, "chain", [helper.make_tensor_value_info("input", FLOAT, [1, 8, 16, 16])],
        [helper.make_tensor_value_info(x, FLOAT, [1, 8, 16, 16])], inits)
    return _save(helper.make_model(graph, opset_imports=OPSET), path)


def _mlp(name: str, layers: int, width: int, external: str | None) -> onnx.ModelProto:
    """MatMul+Relu layers of width x width fp32 weights, embedded or marked external.

    External weights point into ``external`` at consecutive offsets, like onnx's own writer.
    """
    nodes, inits, x = [], [], "input"
    nbytes = width * width * 4
    for i in range(layers):
        w = f"l{i}_w"
        if external is None:
            inits.append(numpy_helper.from_array(_weights((width, width), i), w))
        else:
            tensor = TensorProto(name=w, data_type=FLOAT, dims=[width, width],
                                 data_location=TensorProto.EXTERNAL)
            for key, value in (("location", external), ("offset", i * nbytes), ("length", nbytes)):
                tensor.external_data.add(key=key, value=str(value))
            inits.append(tensor)
        nodes += [
            helper.make_node("MatMul", [x, w], [f"l{i}_mm"]),
            helper.make_node("Relu", [f"l{i}_mm"], [f"l{i}_out"]),
        ]
        x = f"l{i}_out"
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", FLOAT, [1, width])],
        [helper.make_tensor_value_info(x, FLOAT, [1, width])], inits)
    return helper.make_model(graph, opset_imports=OPSET)


def weights_pair(cache: Path, quick: bool) -> tuple[Path, Path]:
    """The same MLP twice: 512 MiB of embedded raw_data, and weights marked external, no file."""
    layers = 4 if quick else 32
    embedded = cache / f"mlp{layers}_embedded.onnx"
    bare = cache / f"mlp{layers}_external_missing.onnx"
    if not embedded.exists():
        _save(_mlp("mlp", layers, 2048, None), embedded)
    if not bare.exists():
        _save(_mlp("mlp", layers, 2048, "missing.data"), bare, check=False)
    return embedded, bare


def external(cache: Path, quick: bool) -> tuple[Path, Path]:
    """An MLP whose ~1.2 GB of weights live in a sparse external .data file; returns both paths."""
    layers = 8 if quick else 72
    path = cache / f"mlp{layers}_external.onnx"
    data = cache / f"mlp{layers}_external.data"
    if not path.exists():
        _save(_mlp("mlp", layers, 2048, data.name), path, check=False)
    if not data.exists():
        with open(data, "wb") as out:
            out.truncate(layers * 2048 * 2048 * 4)
    return path, data


def main(argv: list[str]) -> None:
    """Build every model into the cache dir argv[0] (quick ones with --quick); print their paths."""
    cache, quick = Path(argv[0]), "--quick" in argv
    cache.mkdir(parents=True, exist_ok=True)
    embedded, bare = weights_pair(cache, quick)
    ext, data = external(cache, quick)
    paths = {"cnn": cnn(cache, quick), "chain": chain(cache, quick), "embedded": embedded,
             "bare": bare, "external": ext, "external_data": data}
    print(json.dumps({name: str(path) for name, path in paths.items()}))


if __name__ == "__main__":
    main(sys.argv[1:])
