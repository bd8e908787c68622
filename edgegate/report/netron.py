"""A Netron attachment: a sidecar JSON that shows edgegate's per-layer numbers on each node.

The format is the one Netron's own reader accepts (its ``metadata.Attachment`` class; there
is no separate written spec): a JSON object with ``"signature": "netron:attachment"`` and two
lists, ``metadata`` and ``metrics``, whose items are ``{"kind", "target", "name", "value"}``.
``kind`` is ``model``, ``graph``, ``node``, ``value`` or ``tensor``; ``target`` is that
entity's name (``""`` for the model). Netron shows the items in the sidebar's Metadata and
Metrics sections after the file is opened (or dropped) onto the open model.

A layer's numbers go on its anchor node (a fused Conv+BatchNormalization+Relu's Conv); the
other nodes of the layer say which node carries them, so nothing is counted twice. Netron
matches nodes by name, so an unnamed node's numbers go on its first output value instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnx

from edgegate.estimator.result import Estimate, Layer
from edgegate.files import write_text
from edgegate.jsonfile import dumps
from edgegate.version import __version__

SIGNATURE = "netron:attachment"
LAYER_METRICS: tuple[str, ...] = ("macs", "flops", "params", "weight_bytes", "input_bytes",
                                  "output_bytes", "dram_bytes", "arithmetic_intensity")


def sidecar_path(model: str | Path) -> Path:
    """``models/m.onnx`` -> ``models/m.netron.json`` (next to the model)."""
    path = Path(model)
    return path.with_name(f"{path.stem if path.suffix == '.onnx' else path.name}.netron.json")


def _targets(graph: onnx.GraphProto) -> dict[str, tuple[str, str]]:
    """Each top-level node's label (as estimate layers name nodes) -> (kind, target) in Netron."""
    found = {}
    for node in graph.node:
        first = node.output[0] if node.output else ""
        label = node.name or f"{node.op_type}:{first or '?'}"
        if node.name:
            found[label] = ("node", node.name.split("\n")[0])
        elif first:
            found[label] = ("value", first)
    return found


def _item(kind: str, target: str, name: str, value: Any) -> dict[str, Any]:
    """One attachment item."""
    return {"kind": kind, "target": target, "name": name, "value": value}


def _layer_items(layer: Layer, targets: dict[str, tuple[str, str]]) -> tuple[list, list]:
    """(metadata, metrics) items of one layer: metrics on its anchor, a pointer on the others."""
    metadata: list[dict[str, Any]] = []
    metrics: list[dict[str, Any]] = []
    anchor = targets.get(layer.nodes[0] if layer.nodes else layer.name)
    if anchor is None:
        return metadata, metrics
    kind, target = anchor
    metadata.append(_item(kind, target, "edgegate.layer",
                          f"{'+'.join(layer.op_types)} (layer {layer.index})"))
    metrics.extend(_item(kind, target, name, getattr(layer, name)) for name in LAYER_METRICS)
    for label in layer.nodes[1:]:
        if label in targets:
            other_kind, other = targets[label]
            metadata.append(_item(other_kind, other, "edgegate.fused_into", anchor[1]))
    return metadata, metrics


def attachment(estimate: Estimate, model: onnx.ModelProto) -> dict[str, Any]:
    """The attachment document for ``estimate`` of ``model`` (the same graph)."""
    targets = _targets(model.graph)
    settings = estimate.settings
    metadata = [
        _item("model", "", "edgegate.version", __version__),
        _item("model", "", "edgegate.settings",
              f"precision {settings.precision}, fusion {settings.fusion}"
              + "".join(f", {k}={v}" for k, v in settings.dims.items())),
    ]
    metrics = [_item("model", "", name, value) for name, value in estimate.metrics().items()]
    for layer in estimate.layers:
        found_metadata, found_metrics = _layer_items(layer, targets)
        metadata.extend(found_metadata)
        metrics.extend(found_metrics)
    for node in estimate.unestimated:
        if node.node in targets:
            kind, target = targets[node.node]
            metadata.append(_item(kind, target, "edgegate.unestimated", node.reason))
    return {"signature": SIGNATURE, "metadata": metadata, "metrics": metrics}


def write_attachment(estimate: Estimate, model: onnx.ModelProto, path: str | Path) -> Path:
    """Write the attachment of ``estimate`` to ``path``; return the path."""
    target = Path(path)
    write_text(target, dumps(attachment(estimate, model), indent=1) + "\n", "--netron")
    return target
