"""Run a policy over models: select them by glob, estimate each once per settings, add the
target-derived metrics, apply every rule, and collect a RunResult."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from edgegate.errors import BindingError, ModelError, PolicyError
from edgegate.estimator.estimate import estimate as estimate_file
from edgegate.estimator.result import Estimate
from edgegate.model.load import load_model
from edgegate.policy.discover import shown_path
from edgegate.policy.select import selects
from edgegate.policy.types import Budget, Policy
from edgegate.rules import unselected, unused_budget
from edgegate.rules.binding import policy_advice
from edgegate.rules.contributors import top_contributors
from edgegate.rules.coverage import CustomTally, coverage
from edgegate.rules.findings import ModelResult, RunResult
from edgegate.rules.layer_times import heaviest_layers
from edgegate.rules.registry import RULES
from edgegate.rules.subject import ModelFacts, Subject, read_facts
from edgegate.target.roofline import TargetReport, evaluate
from edgegate.target.types import Target, compute_precision


class Checker:
    """Checks models against one policy, caching estimates by (model, settings)."""

    def __init__(self, policy: Policy, root: Path, top: int = 3) -> None:
        self.policy = policy
        self.root = root
        self.top = top
        self._estimates: dict[tuple[Any, ...], tuple[Estimate, dict[str, int]]] = {}
        self._facts: dict[str, ModelFacts] = {}

    def run(self, files: Sequence[str] | None, strict: bool = False, no_fail: bool = False) -> RunResult:
        """Check ``files`` (as pre-commit passes them), or every model the policy selects."""
        candidates = [self._relative(Path(f)) for f in files] if files else discover_models(self.root)
        results: list[ModelResult] = []
        skipped: list[str] = []
        for relative in candidates:
            budgets = self.budgets_for(relative)
            if not budgets:
                skipped.append(relative)
            results.extend(self.check_model(budget, relative) for budget in budgets)
        notices = unselected.notices(self.policy, skipped)
        if not files:
            notices += unused_budget.notices(self.policy, self._relative(Path(self.policy.path)), candidates)
        return RunResult(self.policy.path, tuple(results), strict, no_fail, tuple(skipped),
                         tuple(sorted(notices, key=lambda notice: notice.model)))

    def budgets_for(self, relative: str) -> list[Budget]:
        """The policy's budgets that select the model at ``relative``, in policy order."""
        return [budget for budget in self.policy.budgets if selects(budget, relative)]

    def _relative(self, path: Path) -> str:
        """``path`` relative to the root, posix; as given when it lies outside the root."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def check_model(self, budget: Budget, relative: str) -> ModelResult:
        """One model under one budget, with the wall time the check took."""
        start = time.perf_counter()
        result = self._check(budget, relative)
        return replace(result, seconds=time.perf_counter() - start)

    def _check(self, budget: Budget, relative: str) -> ModelResult:
        """One model under one budget; a model that cannot be estimated becomes an error result."""
        settings = budget.settings.record()
        try:
            subject = self.subject(budget, relative)
        except (ModelError, BindingError, PolicyError) as error:
            return ModelResult(relative, budget.name, settings=settings, error=str(error),
                               exit_code=int(error.exit_code))
        findings = tuple(finding for rule in RULES.values() for finding in rule.check(subject))
        contributors = {f.metric: top_contributors(subject, f, self.top)
                        for f in findings if not f.passed and f.metric}
        return ModelResult(
            model=relative,
            budget=budget.name,
            findings=findings,
            metrics=dict(subject.metrics),
            settings=settings,
            target=None if subject.target is None or subject.report is None
            else target_record(subject.report, subject.target),
            coverage=coverage(subject.estimate, subject.custom_flops),
            contributors={metric: layers for metric, layers in contributors.items() if layers},
            layers=() if subject.report is None else heaviest_layers(subject.estimate, subject.report),
            dims_used=dims_used(budget.settings.dims, budget.settings.input_shapes, subject.facts),
        )

    def subject(self, budget: Budget, relative: str) -> Subject:
        """Estimate (cached), facts (cached) and metrics of one model under ``budget``."""
        path = shown_path(self.root / relative)
        settings = budget.settings
        key = (path, tuple(sorted(settings.dims.items())), tuple(sorted(settings.input_shapes.items())),
               settings.precision, settings.fusion, tuple(sorted(settings.input_values.items())),
               tuple(sorted(settings.loop_trips.items())))
        if key not in self._estimates:
            self._estimates[key] = self._estimate(budget, path)
        estimate, custom_flops = self._estimates[key]
        facts = self._facts_of(path)
        metrics: dict[str, int | float] = {**estimate.metrics(), "file_bytes": facts.file_bytes}
        target = self.policy.targets[settings.target] if settings.target else None
        report = None
        if target is not None:
            precision = compute_precision(estimate)
            if target.peak_for(precision) is None:
                raise PolicyError(f"{relative}: {target.missing_peak(precision)}; set precision"
                                  f" in budget '{budget.name}'", self.policy.path)
            report = evaluate(estimate, target, precision, settings.fps)
            metrics.update(report.metrics())
        return Subject(relative, budget, estimate, facts, metrics, target, report, custom_flops)

    def _estimate(self, budget: Budget, path: str) -> tuple[Estimate, dict[str, int]]:
        """The estimate of ``path`` under ``budget``'s settings, and the FLOPs of each node the
        policy's custom formulas costed; an unbound dimension advises the policy's bindings."""
        settings = budget.settings
        tally = CustomTally()
        try:
            estimate = estimate_file(
                path, dims=settings.dims, input_shapes=settings.input_shapes,
                input_values=settings.input_values, loop_trips=settings.loop_trips,
                precision=settings.precision, fusion=settings.fusion,
                custom_costs=tally.wrap(self.policy.custom_costs) or None)
        except BindingError as error:
            raise policy_advice(error, budget.name, self._facts_of(path).inputs) from None
        return estimate, tally.flops

    def _facts_of(self, path: str) -> ModelFacts:
        """The lint facts of the model at ``path`` (read once)."""
        if path not in self._facts:
            self._facts[path] = read_facts(load_model(path), os.path.getsize(path))
        return self._facts[path]


def dims_used(dims: Mapping[str, int], shapes: Mapping[str, Any], facts: ModelFacts) -> dict[str, int]:
    """The bindings of ``dims`` that the model's inputs use: symbols of inputs that ``shapes``
    (a budget's ``input_shapes``) does not bind whole."""
    symbols = {dim for fact in facts.inputs if fact.name not in shapes for dim in fact.dims
               if isinstance(dim, str)}
    return {name: value for name, value in dims.items() if name in symbols}


def discover_models(root: Path) -> list[str]:
    """Every ``*.onnx`` file under ``root`` (hidden directories skipped), relative and sorted."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        found.extend(Path(folder, name).relative_to(root).as_posix()
                     for name in files if name.endswith(".onnx"))
    return sorted(found)


def target_record(report: TargetReport, target: Target) -> dict[str, Any]:
    """The target facts a reporter shows: peak, ridge point, bound, on-chip assumption, source."""
    return {
        "name": report.target,
        "description": target.description,
        "source": target.source,
        "precision": report.precision,
        "peak_flops": report.peak,
        "dram_bandwidth": report.dram_bandwidth,
        "ridge_point": report.ridge_point,
        "bound": report.bound,
        "onchip_bytes": report.onchip_bytes,
        "weights_resident": report.weights_resident,
        "fits_onchip": report.fits_onchip,
    }
