"""A validated policy as dataclasses: budgets with their settings, limits and lint options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from edgegate.cost.types import CostFn
from edgegate.estimator.result import Settings
from edgegate.target.types import Target

DEFAULT_INCLUDE = ("**/*.onnx",)


@dataclass(frozen=True)
class Increase:
    """How much a metric may grow over its baseline: ``amount`` percent (``relative``) or
    ``amount`` in the metric's base unit."""

    amount: int | float
    relative: bool

    def allowed(self, before: int | float) -> int | float:
        """The largest value allowed when the baseline is ``before`` (exact: an int when whole)."""
        if self.relative:
            value = Fraction(before) * (100 + Fraction(self.amount)) / 100
        else:
            value = Fraction(before) + Fraction(self.amount)
        return value.numerator if value.denominator == 1 else float(value)


@dataclass(frozen=True)
class Limit:
    """A bound on one metric: ``max`` and/or ``min`` in the metric's base unit, and/or
    ``max_increase`` over a baseline (``--baseline``, or the REF version of a changed model)."""

    metric: str
    max: int | float | None = None
    min: int | float | None = None
    severity: str = "error"
    message: str = ""
    max_increase: Increase | None = None


@dataclass(frozen=True)
class RunSettings(Settings):
    """How a budget estimates its models: the estimate's Settings, then target and frame rate."""

    target: str | None = None
    fps: int | float | None = None
    unestimated: str = "fail"


@dataclass(frozen=True)
class Budget:
    """One named rule set: which models (globs), how to estimate them, what they must meet.

    ``options`` holds the lint options by policy key (``ops``, ``opset``, ``dtypes``,
    ``dynamic_dims``, ``fits_on_chip``) as validated plain data; rules read their own key.
    """

    name: str
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    settings: RunSettings = RunSettings()
    limits: tuple[Limit, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """A loaded policy: where it came from, its budgets, the targets and custom op costs it knows.

    ``unselected`` is what a model no budget selects is (``error``, ``warning`` or ``off``);
    ``sources`` every file the policy was read from: itself, then each file of its ``extends``
    chain, a shipped preset included (its path inside the installed package).
    """

    path: str
    budgets: tuple[Budget, ...]
    targets: Mapping[str, Target] = field(default_factory=dict)
    custom_costs: Mapping[str, CostFn] = field(default_factory=dict)
    unselected: str = "warning"
    sources: tuple[str, ...] = ()
