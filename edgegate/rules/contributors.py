"""The layers that contribute most to a metric, shown under a failing one.

Additive metrics rank layers by their own share (FLOPs, DRAM bytes, roofline time...).
``peak_activation_bytes`` ranks layers by the activations they touch (inputs + outputs);
``arithmetic_intensity`` (a minimum) ranks layers by how far they pull the model below the
limit: DRAM bytes * limit - FLOPs, the FLOPs a layer is short of the limit's ratio.
"""

from __future__ import annotations

from collections.abc import Callable

from edgegate.rules.findings import Contributor, Finding
from edgegate.rules.subject import Subject

Scores = Callable[[Subject, Finding], list[tuple[str, float]]]


def _layer_field(name: str) -> Scores:
    """Scores that read one Layer attribute."""
    return lambda subject, finding: [(layer.name, getattr(layer, name)) for layer in subject.estimate.layers]


def _target_layers(attribute: str, scale: float = 1.0) -> Scores:
    """Scores from the target report's per-layer timings (DRAM bytes or seconds)."""
    def scores(subject: Subject, finding: Finding) -> list[tuple[str, float]]:
        report = subject.report
        return [] if report is None else [(t.name, getattr(t, attribute) * scale) for t in report.layers]
    return scores


def _bandwidth(subject: Subject, finding: Finding) -> list[tuple[str, float]]:
    """Layers by the DRAM bandwidth they need at the budget's frame rate."""
    fps = subject.budget.settings.fps or 0
    return [(name, value * fps) for name, value in _target_layers("dram_bytes")(subject, finding)]


def _activations(subject: Subject, finding: Finding) -> list[tuple[str, float]]:
    """Layers by the activation bytes they read and write."""
    return [(layer.name, layer.input_bytes + layer.output_bytes) for layer in subject.estimate.layers]


def _intensity_deficit(subject: Subject, finding: Finding) -> list[tuple[str, float]]:
    """Layers by DRAM bytes * limit - FLOPs: what each is short of the minimum intensity."""
    limit = finding.limit or 0
    return [(layer.name, layer.dram_bytes * limit - layer.flops) for layer in subject.estimate.layers]


SCORES: dict[str, Scores] = {
    "arithmetic_intensity": _intensity_deficit,
    "bandwidth_at_fps": _bandwidth,
    "dram_bytes": _layer_field("dram_bytes"),
    "dram_bytes_onchip": _target_layers("dram_bytes"),
    "flops": _layer_field("flops"),
    "latency_ms": _target_layers("seconds", 1000.0),
    "macs": _layer_field("macs"),
    "params": _layer_field("params"),
    "peak_activation_bytes": _activations,
    "weight_bytes": _layer_field("weight_bytes"),
}


def top_contributors(subject: Subject, finding: Finding, count: int) -> tuple[Contributor, ...]:
    """The ``count`` layers with the highest positive score for the finding's metric."""
    scorer = SCORES.get(finding.metric or "")
    if scorer is None or count <= 0:
        return ()
    scores = [(name, value) for name, value in scorer(subject, finding) if value > 0]
    total = sum(value for _, value in scores)
    ranked = sorted(scores, key=lambda item: -item[1])[:count]
    unit = "FLOP" if finding.metric == "arithmetic_intensity" else finding.unit or ""
    return tuple(Contributor(name, value, value / total, unit) for name, value in ranked)
