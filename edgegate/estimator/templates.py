"""The forms exporters write activations and normalizations in, as a table of templates.

A template is a small expression over the chain's input ``x``: ops (both operand orders for
Add and Mul), products in any grouping (Mul, and Div by a constant), scalar constants matched
by value, and named parameters (a normalization's scale and bias). Each pattern names the op it
stands for and the ops whose formulas cost it (edgegate.estimator.patterns matches them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RTOL = 1e-3
"""Relative tolerance for a template's constants (exporters store them as float32 or fp16)."""

ATTR_DEFAULTS: dict[tuple[str, str], float] = {("HardSigmoid", "alpha"): 0.2, ("HardSigmoid", "beta"): 0.5}
"""The ONNX spec defaults of the attributes templates test."""


@dataclass(frozen=True)
class Var:
    """Any non-constant tensor, bound to ``key``: every occurrence is the same tensor."""

    key: str


@dataclass(frozen=True)
class Param:
    """A constant tensor of any shape, bound to ``key`` (a normalization's scale or bias)."""

    key: str


@dataclass(frozen=True)
class Const:
    """A constant scalar equal to ``value`` (any scalar when None)."""

    value: float | None = None


@dataclass(frozen=True)
class Op:
    """A node of ``op_type`` whose first inputs match ``args`` (both orders when commutative)."""

    op_type: str
    args: tuple[Template, ...]
    commutative: bool = False
    attrs: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Clip:
    """Clip(arg, low, high), bounds given as inputs (opset 11+) or attributes."""

    arg: Template
    low: float
    high: float


@dataclass(frozen=True)
class Prod:
    """A product of ``factors`` times ``scale`` in any order and grouping (Mul, Div by a constant)."""

    factors: tuple[Template, ...]
    scale: float = 1.0


@dataclass(frozen=True)
class Either:
    """Any one of ``options``."""

    options: tuple[Template, ...]


@dataclass(frozen=True)
class Bind:
    """``inner``, matched once and bound to ``key``; every other occurrence is that tensor."""

    key: str
    inner: Template


Template = Var | Param | Const | Op | Clip | Prod | Either | Bind

X = Var("x")


def _square(t: Template) -> Template:
    return Either((Op("Pow", (t, Const(2.0))), Prod((t, t))))


def _add(a: Template, b: Template) -> Op:
    return Op("Add", (a, b), commutative=True)


@dataclass(frozen=True)
class Pattern:
    """A decomposed form of ``canonical``, costed as the ops ``costs_as`` on its input."""

    canonical: str
    costs_as: tuple[str, ...]
    template: Template


_HARD_SIGMOID_CORE = Clip(_add(X, Const(3.0)), 0.0, 6.0)
_ERF_GELU = Prod((X, _add(Op("Erf", (Prod((X,), 1 / math.sqrt(2)),)), Const(1.0))), 0.5)
_CUBE_TERM = Either((Prod((Op("Pow", (X, Const(3.0))),), 0.044715), Prod((X, X, X), 0.044715)))
_TANH_ARG = Prod((_add(X, _CUBE_TERM),), math.sqrt(2 / math.pi))
_TANH_GELU = Prod((X, _add(Op("Tanh", (_TANH_ARG,)), Const(1.0))), 0.5)

_MEAN = Op("ReduceMean", (X,))
_CENTRED = Bind("d", Op("Sub", (X, _MEAN)))
_DEVIATION = Op("Sqrt", (_add(Op("ReduceMean", (_square(_CENTRED),)), Const()),))
_RMS = Op("Sqrt", (_add(Op("ReduceMean", (_square(X),)), Const()),))


def _reciprocal(t: Template) -> Template:
    return Either((Op("Reciprocal", (t,)), Op("Div", (Const(1.0), t))))


def _normalized(centred: Template, deviation: Template) -> tuple[tuple[Template, ...], ...]:
    """The ways to write centred / deviation: a Div, or a product with its reciprocal (a
    Reciprocal, or 1 / deviation)."""
    return ((Op("Div", (centred, deviation)),), (centred, _reciprocal(deviation)))


def _norm_patterns() -> list[Pattern]:
    """LayerNorm (with scale and bias, scale only, neither) and RMSNorm (with scale)."""
    found = []
    for core in _normalized(_CENTRED, _DEVIATION):
        scaled = Prod((*core, Param("scale")))
        found.append(Pattern("LayerNormalization", ("LayerNormalization",), _add(scaled, Param("bias"))))
        found.append(Pattern("LayerNormalization", ("LayerNormalization",), scaled))
    for core in _normalized(_CENTRED, _DEVIATION):
        found.append(Pattern("MeanVarianceNormalization", ("MeanVarianceNormalization",),
                             core[0] if len(core) == 1 else Prod(core)))
    rsqrt = Op("Pow", (_add(Op("ReduceMean", (_square(X),)), Const()), Const(-0.5)))
    for core in (*_normalized(X, _RMS), (X, rsqrt)):
        found.append(Pattern("RMSNormalization", ("RMSNormalization",), Prod((*core, Param("scale")))))
    return found


PATTERNS: tuple[Pattern, ...] = (
    *_norm_patterns(),
    Pattern("Gelu", ("Gelu",), _ERF_GELU),
    Pattern("Gelu", ("Gelu",), _TANH_GELU),
    Pattern("HardSwish", ("HardSwish",), Prod((X, _HARD_SIGMOID_CORE), 1 / 6)),
    Pattern("HardSwish", ("HardSwish",),
            Prod((X, Op("HardSigmoid", (X,), attrs=(("alpha", 1 / 6), ("beta", 0.5)))))),
    Pattern("HardSigmoid", ("HardSigmoid",), Prod((_HARD_SIGMOID_CORE,), 1 / 6)),
    Pattern("Mish", ("Mish",), Prod((X, Op("Tanh", (Op("Softplus", (X,)),))))),
    Pattern("Swish", ("Sigmoid", "Mul"), Prod((X, Op("Sigmoid", (X,))))),
)
"""Templates, larger first (a LayerNorm with bias before the same without it). SiLU, x *
Sigmoid(x), keeps its two ops' count (the cost model's); every other form costs its single op."""
