"""Builders for the policy/gate tests: small ONNX models, hand-made Estimates, repos on disk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from edgegate.estimator.result import Estimate, Layer, Settings, Unestimated


def conv_relu(cin: int, cout: int, size: int, kernel: int = 3, batch: int | str = 1,
              opset: int = 17, weight_dtype: int = TensorProto.FLOAT,
              extra_nodes: Iterable[onnx.NodeProto] = (), output: str = "y") -> onnx.ModelProto:
    """x[batch, cin, size, size] -> Conv(cout, kernel, same padding) -> Relu -> ``output``."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, cin, size, size])
    y = helper.make_tensor_value_info(output, TensorProto.FLOAT, None)
    weight = numpy_helper.from_array(
        np.zeros((cout, cin, kernel, kernel), helper.tensor_dtype_to_np_dtype(weight_dtype)), "w")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[kernel // 2] * 4),
        helper.make_node("Relu", ["c"], ["r" if extra_nodes else output], name="relu"),
        *extra_nodes,
    ]
    graph = helper.make_graph(nodes, "g", [x], [y], [weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def save_with_node(path: Path, node: onnx.NodeProto, domain: str) -> Path:
    """conv_relu(3, 8, 16) then ``node`` (r -> y, 1x8x16x16) importing ``domain``, saved at ``path``."""
    model = conv_relu(3, 8, 16, extra_nodes=[node])
    model.opset_import.append(helper.make_opsetid(domain, 1))
    model.graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 16]))
    return save(model, path)


def vendor_node() -> onnx.NodeProto:
    """A node of an op no registry knows: vendor.Mystery, r -> y."""
    return helper.make_node("Mystery", ["r"], ["y"], name="mystery", domain="vendor")


def save(model: onnx.ModelProto, path: Path) -> Path:
    """Write ``model`` to ``path`` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def layer(index: int, name: str, reads: Sequence[str], writes: Sequence[str],
          sizes: Mapping[str, int], flops: int = 0, weight_bytes: int = 0,
          op_types: Sequence[str] = ("Conv",)) -> Layer:
    """A Layer whose input/output bytes are the sums of ``sizes`` of what it reads and writes."""
    return Layer(
        index=index, name=name, op_types=tuple(op_types), nodes=(name,), macs=flops // 2,
        flops=flops, params=weight_bytes // 4, weight_bytes=weight_bytes,
        input_bytes=sum(sizes[t] for t in reads), output_bytes=sum(sizes[t] for t in writes),
        reads=tuple(reads), writes=tuple(writes),
    )


def estimate_of(layers: Sequence[Layer], sizes: Mapping[str, int], peak: int = 0,
                outputs: Sequence[str] | None = None, precision: str = "model",
                unestimated: Sequence[Unestimated] = (), node_count: int | None = None) -> Estimate:
    """An Estimate whose totals are the sums over ``layers``."""
    info = {} if outputs is None else {"outputs": list(outputs)}
    return Estimate(
        model="m.onnx", settings=Settings(precision=precision), layers=tuple(layers),
        unestimated=tuple(unestimated), tensor_bytes=dict(sizes),
        macs=sum(x.macs for x in layers), flops=sum(x.flops for x in layers),
        params=sum(x.params for x in layers), weight_bytes=sum(x.weight_bytes for x in layers),
        peak_activation_bytes=peak, dram_bytes=sum(x.dram_bytes for x in layers),
        node_count=len(layers) + len(unestimated) if node_count is None else node_count, info=info,
    )


SKIP_SIZES = {"x": 100, "a": 200, "b": 300, "y": 50}


def skip_estimate(outputs: Sequence[str] | None = None) -> Estimate:
    """x -> L0 -> a -> L1 -> b; L2 reads a and b -> y. DRAM: 310 + 520 + 550 = 1380 bytes.

    L0: 10 weight + 100 in + 200 out; L1: 20 + 200 + 300; L2: 0 + 500 + 50.
    """
    return estimate_of([
        layer(0, "L0", ["x"], ["a"], SKIP_SIZES, flops=1000, weight_bytes=10),
        layer(1, "L1", ["a"], ["b"], SKIP_SIZES, flops=50000, weight_bytes=20),
        layer(2, "L2", ["a", "b"], ["y"], SKIP_SIZES, flops=0, op_types=("Add",)),
    ], SKIP_SIZES, peak=550, outputs=outputs)


def facts(nodes: Sequence[tuple[str, str]] = (("conv", "Conv"),), opset: int = 17,
          inputs: Sequence[tuple[str, tuple, int]] = (("x", (1, 3, 8, 8), TensorProto.FLOAT),),
          weights: Sequence[tuple[str, int]] = (("w", TensorProto.FLOAT),),
          file_bytes: int = 1000):
    """ModelFacts from plain tuples: (name, op) nodes, (name, dims, dtype) inputs, (name, dtype) weights."""
    from edgegate.rules.subject import InputFact, ModelFacts, NodeFact

    return ModelFacts({"ai.onnx": opset}, tuple(NodeFact(n, op) for n, op in nodes),
                      tuple(InputFact(*item) for item in inputs), tuple(weights), file_bytes)


def subject(budget, estimate: Estimate | None = None, model_facts=None, metrics=None,
            target=None, report=None):
    """A rules Subject with defaults: a one-layer estimate and one-Conv facts."""
    from edgegate.rules.subject import Subject

    if estimate is None:
        sizes = {"x": 100, "y": 100}
        estimate = estimate_of([layer(0, "conv", ["x"], ["y"], sizes, flops=1000, weight_bytes=40)],
                               sizes, peak=200)
    values = dict(estimate.metrics()) if metrics is None else metrics
    return Subject("m.onnx", budget, estimate, model_facts or facts(), values, target, report)


def untimed(document: dict) -> dict:
    """A check's JSON document without the per-model ``seconds`` (wall time varies run to run),
    for comparing two runs' documents whole."""
    return {**document, "models": [{k: v for k, v in m.items() if k != "seconds"} for m in document["models"]]}


def untimed_junit(xml: str) -> str:
    """JUnit XML without its ``time`` attributes (wall time varies run to run)."""
    import re

    return re.sub(r' time="[^"]*"', "", xml)
