"""The Estimate as plain data: the versioned JSON record and the per-layer CSV rows.

The record's shape is a public contract, described by ``edgegate/schemas/estimate.schema.json``;
integers stay exact (no units), intensities are floats in FLOP per byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edgegate.estimator.result import ESTIMATE_SCHEMA_VERSION, OPTIONAL_SETTINGS, Estimate, Layer
from edgegate.version import __version__

LAYER_FIELDS: tuple[str, ...] = (
    "index",
    "name",
    "op_types",
    "macs",
    "flops",
    "params",
    "weight_bytes",
    "input_bytes",
    "output_bytes",
    "dram_bytes",
    "arithmetic_intensity",
)


def layer_record(layer: Layer) -> dict[str, Any]:
    """One layer as a JSON object (LAYER_FIELDS plus the node names it fuses)."""
    record: dict[str, Any] = {name: getattr(layer, name) for name in LAYER_FIELDS}
    record["op_types"] = list(layer.op_types)
    record["nodes"] = list(layer.nodes)
    return record


def estimate_record(estimate: Estimate, *, layers: bool = True) -> dict[str, Any]:
    """One model's estimate as a JSON object: settings, metrics, unestimated nodes, layers."""
    settings = estimate.settings
    record: dict[str, Any] = {
        "model": estimate.model,
        "settings": {
            "dims": dict(settings.dims),
            "input_shapes": {k: list(v) for k, v in settings.input_shapes.items()},
            "precision": settings.precision,
            "fusion": settings.fusion,
            **{key: dict(value) for key, value in settings.record().items() if key in OPTIONAL_SETTINGS},
        },
        "info": dict(estimate.info),
        "node_count": estimate.node_count,
        "layer_count": len(estimate.layers),
        "lower_bound": estimate.lower_bound,
        "metrics": estimate.metrics(),
        "unestimated": [
            {"node": u.node, "op_type": u.op_type, "domain": u.domain, "reason": u.reason}
            for u in estimate.unestimated
        ],
    }
    if layers:
        record["layers"] = [layer_record(layer) for layer in estimate.layers]
    return record


def estimates_document(estimates: list[Estimate], *, layers: bool = True,
                       errors: Sequence[tuple[str, str, int]] = ()) -> dict[str, Any]:
    """The top-level JSON document of ``edgegate estimate --format json``; ``errors`` are the
    (model, message, exit code) of models that could not be estimated, listed under ``errors``
    (only when there are some, so a clean run's document is unchanged)."""
    document: dict[str, Any] = {
        "schema": "edgegate.estimate",
        "schema_version": ESTIMATE_SCHEMA_VERSION,
        "edgegate_version": __version__,
        "models": [estimate_record(e, layers=layers) for e in estimates],
    }
    if errors:
        document["errors"] = [{"model": model, "error": message, "exit_code": code}
                              for model, message, code in errors]
    return document
