"""What a check found: Finding (one checked rule or metric), ModelResult, RunResult.

``RunResult.as_records()`` is the versioned JSON document every reporter reads; reporters
never look at estimates or policies themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edgegate.errors import ExitCode
from edgegate.version import __version__

RECORDS_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Finding:
    """One check of one model: a metric against a limit, or a lint rule.

    ``passed`` checks are kept too (a JUnit case, a headroom line). ``severity`` is what a
    failure of this check means: ``error`` fails the gate, ``warning`` only with --strict.
    ``bound`` is ``max`` or ``min`` for a limit; ``suggestion`` a tighter limit to ratchet to;
    ``advice`` what the policy tells the model owner to do when the check fails.
    """

    rule: str
    severity: str
    passed: bool
    model: str
    message: str
    budget: str = ""
    metric: str | None = None
    value: int | float | None = None
    limit: int | float | None = None
    bound: str | None = None
    unit: str | None = None
    node: str | None = None
    suggestion: str | None = None
    advice: str = ""

    @property
    def headroom(self) -> float | None:
        """Percent of the limit left (negative: the excess), or None without a numeric limit."""
        if self.value is None or self.limit is None or not self.limit:
            return None
        if self.bound == "min":
            return (self.value - self.limit) / self.limit * 100
        return (self.limit - self.value) / self.limit * 100

    def fails(self, strict: bool) -> bool:
        """True when this finding fails the gate (warnings only under ``strict``)."""
        return not self.passed and (self.severity == "error" or strict)


@dataclass(frozen=True)
class Contributor:
    """A layer's share of a metric, for the layers that contribute most to a failing one."""

    layer: str
    value: int | float
    share: float
    unit: str


@dataclass(frozen=True)
class LayerTime:
    """A layer on the target's roofline: FLOPs, DRAM bytes there, roofline time, its share of
    the model's latency and what bounds it (``compute`` or ``memory``)."""

    layer: str
    op_types: tuple[str, ...]
    flops: int
    dram_bytes: int
    seconds: float
    share: float
    bound: str


@dataclass(frozen=True)
class ModelResult:
    """One model checked against one budget: its metrics, findings, and context.

    ``error`` (with ``exit_code``) is set when the model could not be estimated at all.
    ``kind`` is ``check`` for a model checked under a budget, ``selection`` for a finding about
    which models the budgets select (a model no budget selects, under budget ""; a budget that
    selects no model, at the policy file): no metrics, no settings, one finding.
    ``dims_used`` are the budget's ``dims`` that the model's inputs use (None: not known).
    ``layers`` are the layers that take the most time on the target (none without a target).
    ``seconds`` is the wall time the check took (None when unknown); it varies from run to
    run, so results compare equal without it.
    """

    model: str
    budget: str
    findings: tuple[Finding, ...] = ()
    metrics: Mapping[str, int | float] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    target: Mapping[str, Any] | None = None
    coverage: Mapping[str, Any] = field(default_factory=dict)
    contributors: Mapping[str, tuple[Contributor, ...]] = field(default_factory=dict)
    layers: tuple[LayerTime, ...] = ()
    error: str | None = None
    exit_code: int = 0
    kind: str = "check"
    dims_used: Mapping[str, int] | None = None
    seconds: float | None = field(default=None, compare=False)

    def passed(self, strict: bool) -> bool:
        """True when the model was estimated and no finding fails the gate."""
        return self.error is None and not any(f.fails(strict) for f in self.findings)


@dataclass(frozen=True)
class RunResult:
    """A whole ``edgegate check`` run: every model result and how to turn it into an exit code.

    ``results`` are the model checks; ``notices`` the selection results (kind ``selection``),
    which count and fail like checks but have no metrics for baselines or the history.
    """

    policy: str
    results: tuple[ModelResult, ...]
    strict: bool = False
    no_fail: bool = False
    skipped: tuple[str, ...] = ()
    notices: tuple[ModelResult, ...] = ()

    @property
    def passed(self) -> bool:
        """True when every model was estimated and none fails the gate."""
        return all(result.passed(self.strict) for result in (*self.results, *self.notices))

    def exit_code(self) -> int:
        """0 pass; a model error's own code (3 unreadable, 5 binding) first; else 1 if the gate
        failed, unless ``no_fail`` (report only)."""
        for result in self.results:
            if result.error is not None:
                return result.exit_code
        if self.passed or self.no_fail:
            return int(ExitCode.OK)
        return int(ExitCode.GATE_FAILED)

    def counts(self) -> dict[str, int]:
        """Checks run/passed/failed (selection results included), failing findings by severity,
        and the failed checks whose model could not be read (exit 3) or else estimated."""
        everything = (*self.results, *self.notices)
        failing = [f for r in everything for f in r.findings if not f.passed]
        errors = [r for r in self.results if r.error is not None]
        unreadable = sum(r.exit_code == ExitCode.MODEL_ERROR for r in errors)
        return {
            "checked": len(everything),
            "passed": sum(r.passed(self.strict) for r in everything),
            "failed": sum(not r.passed(self.strict) for r in everything),
            "errors": sum(f.severity == "error" for f in failing),
            "warnings": sum(f.severity == "warning" for f in failing),
            "unreadable": unreadable,
            "not_estimated": len(errors) - unreadable,
        }

    def as_records(self) -> dict[str, Any]:
        """The versioned JSON document of this run (``schema_version`` 1)."""
        return {
            "schema_version": RECORDS_SCHEMA_VERSION,
            "edgegate_version": __version__,
            "policy": self.policy,
            "passed": self.passed,
            "exit_code": self.exit_code(),
            "strict": self.strict,
            "no_fail": self.no_fail,
            "summary": self.counts(),
            "skipped": list(self.skipped),
            "models": [_model_record(result, self.strict) for result in (*self.results, *self.notices)],
        }


def _model_record(result: ModelResult, strict: bool) -> dict[str, Any]:
    """One ModelResult as plain JSON data."""
    return {
        "model": result.model,
        "budget": result.budget,
        "kind": result.kind,
        "passed": result.passed(strict),
        "error": result.error,
        "exit_code": result.exit_code if result.error is not None else None,
        "seconds": None if result.seconds is None else round(result.seconds, 6),
        "settings": dict(result.settings),
        "dims_used": None if result.dims_used is None else dict(result.dims_used),
        "target": None if result.target is None else dict(result.target),
        "metrics": dict(result.metrics),
        "coverage": dict(result.coverage),
        "findings": [_finding_record(finding) for finding in result.findings],
        "contributors": {
            metric: [{"layer": c.layer, "value": c.value, "unit": c.unit, "share": c.share}
                     for c in layers]
            for metric, layers in result.contributors.items()
        },
        "layers": [{"layer": t.layer, "op_types": list(t.op_types), "flops": t.flops,
                    "dram_bytes": t.dram_bytes, "seconds": t.seconds, "share": t.share, "bound": t.bound}
                   for t in result.layers],
    }


def _finding_record(finding: Finding) -> dict[str, Any]:
    """One Finding as plain JSON data, headroom included."""
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "passed": finding.passed,
        "model": finding.model,
        "budget": finding.budget,
        "metric": finding.metric,
        "value": finding.value,
        "limit": finding.limit,
        "bound": finding.bound,
        "unit": finding.unit,
        "headroom_percent": finding.headroom,
        "message": finding.message,
        "node": finding.node,
        "suggestion": finding.suggestion,
        "advice": finding.advice,
    }
