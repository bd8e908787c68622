"""Evaluate constant shape arithmetic with numpy, where onnx's data propagation stops.

Exporters compute shapes in the graph (Shape -> Gather -> Div -> Concat -> Reshape, Where,
Equal, Range, ConstantOfShape...). Once input dimensions are bound these subgraphs are
constant; evaluating them lets shape inference finish. Only small tensors are evaluated: each
op's output size is predicted from its operands' shapes and values (ConstantOfShape's is its
input's value, Expand's and Tile's what they broadcast or repeat to, Range's its count, a
broadcasting op's the broadcast shape) with Python integers, before anything is allocated,
and an output over :data:`MAX_FOLD_ELEMENTS` elements or :data:`MAX_FOLD_BYTES` bytes is not
folded. Its shape still propagates: onnx's inference computes it from the (small) folded
operands, as it does for any node left unfolded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from onnx import helper

MAX_FOLD_ELEMENTS = 1 << 16
"""The most elements a folded constant may have (65,536)."""
MAX_FOLD_BYTES = 1 << 20
"""The most bytes a folded constant may take (1 MiB)."""

Values = Sequence[Any]
Evaluator = Callable[[Mapping[str, Any], Values], list[np.ndarray]]


def _axes(attrs: Mapping[str, Any], values: Values, index: int) -> list[int] | None:
    """Axes from the attribute (old opsets) or the optional input (opset 13+)."""
    if "axes" in attrs:
        return list(attrs["axes"])
    if len(values) > index and values[index] is not None:
        return _ints(values[index])
    return None


def _exactly(function: Callable[..., Any], arrays: Sequence[Any], **kwargs: Any) -> np.ndarray:
    """``function`` over ``arrays``; integers are computed as Python ints and narrowed back.

    numpy wraps int64 overflow silently; narrowing raises OverflowError instead, so a shape
    computed from absurd dimensions is left unfolded rather than folded to a wrapped value.
    """
    values = [np.asarray(a) for a in arrays]
    if not all(np.issubdtype(a.dtype, np.integer) for a in values):
        return np.asarray(function(*values, **kwargs))
    exact = np.asarray(function(*[a.astype(object) for a in values], **kwargs))
    return exact.astype(np.result_type(*values))


def _truncated(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer division rounding toward zero, as ONNX Div does on integers."""
    quotient = abs(a) // abs(b)
    return np.where((a < 0) ^ (b < 0), -quotient, quotient)


def _div(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    a, b = np.asarray(v[0]), np.asarray(v[1])
    if np.issubdtype(a.dtype, np.integer):
        return [_exactly(_truncated, [a, b])]
    return [(a / b).astype(a.dtype)]


def _mod(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    a, b = np.asarray(v[0]), np.asarray(v[1])
    return [np.fmod(a, b) if attrs.get("fmod", 0) else np.mod(a, b)]


def _vector(value: Any) -> list[int]:
    """A 1-D integer operand (a shape, Slice's starts, ends, axes and steps) as Python ints.
    ValueError for any other rank: numpy 1.x turns each row of a 2-D one into an int (with a
    warning since 1.25) where numpy 2 refuses, and a malformed operand must fold alike under
    every numpy: not at all."""
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"a {array.ndim}-D operand where a 1-D one belongs")
    return [int(x) for x in array]


def _slice(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    data = np.asarray(v[0])
    if "starts" in attrs:
        starts, ends = list(attrs["starts"]), list(attrs["ends"])
        axes = list(attrs.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts, ends = _vector(v[1]), _vector(v[2])
        axes = _vector(v[3]) if len(v) > 3 and v[3] is not None else list(range(len(starts)))
        steps = _vector(v[4]) if len(v) > 4 and v[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[axis] = slice(start, end, step)
    return [data[tuple(index)]]


def _squeeze(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    axes = _axes(attrs, v, 1)
    data = np.asarray(v[0])
    return [np.squeeze(data, axis=tuple(axes)) if axes is not None else np.squeeze(data)]


def _unsqueeze(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    data = np.asarray(v[0])
    axes = _axes(attrs, v, 1) or []
    rank = data.ndim + len(axes)
    return [np.expand_dims(data, tuple(sorted(a % rank for a in axes)))]


def _gather(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    return [np.take(np.asarray(v[0]), np.asarray(v[1]).astype(np.int64), axis=attrs.get("axis", 0))]


def _concat(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    parts = [np.asarray(x) for x in v if x is not None]
    return [np.concatenate(parts, axis=attrs["axis"])]


def _reshape(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    data = np.asarray(v[0])
    shape = _vector(v[1])
    if not attrs.get("allowzero", 0):
        shape = [data.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return [data.reshape(shape)]


def _constant_of_shape(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    fill = attrs.get("value")
    fill = np.asarray(fill).ravel() if fill is not None else np.zeros(1, np.float32)
    return [np.full(_vector(v[0]), fill[0], dtype=fill.dtype)]


def _range(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    start, limit, delta = (np.asarray(x) for x in v)
    return [np.arange(start.item(), limit.item(), delta.item(), dtype=start.dtype)]


def _reduce(function: Callable[..., np.ndarray]) -> Evaluator:
    def evaluate(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
        axes = _axes(attrs, v, 1)
        keep = bool(attrs.get("keepdims", 1))
        data = np.asarray(v[0])
        if axes is None and attrs.get("noop_with_empty_axes", 0):
            return [data]
        return [_exactly(function, [data], axis=tuple(axes) if axes else None, keepdims=keep)]

    return evaluate


def _unary(function: Callable[[np.ndarray], np.ndarray]) -> Evaluator:
    return lambda attrs, v: [np.asarray(function(np.asarray(v[0])))]


def _binary(function: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Evaluator:
    return lambda attrs, v: [np.asarray(function(np.asarray(v[0]), np.asarray(v[1])))]


def _arithmetic(function: Callable[..., np.ndarray]) -> Evaluator:
    """An integer-exact unary or binary arithmetic op (see :func:`_exactly`)."""
    return lambda attrs, v: [_exactly(function, v)]


def _variadic(function: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Evaluator:
    def evaluate(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
        result = np.asarray(v[0])
        for other in v[1:]:
            result = _exactly(function, [result, other])
        return [np.asarray(result)]

    return evaluate


def _cast(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    return [np.asarray(v[0]).astype(helper.tensor_dtype_to_np_dtype(attrs["to"]))]


def _cast_like(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    """CastLike: the first operand cast to the second's dtype (torch's dynamo exporter writes
    it for Python scalars, such as the bounds of an arange)."""
    return [np.asarray(v[0]).astype(np.asarray(v[1]).dtype)]


def _clip(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    low = v[1] if len(v) > 1 and v[1] is not None else attrs.get("min")
    high = v[2] if len(v) > 2 and v[2] is not None else attrs.get("max")
    return [np.clip(np.asarray(v[0]), low, high)]


def _expand(attrs: Mapping[str, Any], v: Values) -> list[np.ndarray]:
    data = np.asarray(v[0])
    shape = np.broadcast_shapes(data.shape, tuple(_vector(v[1])))
    return [np.broadcast_to(data, shape).copy()]


EVALUATORS: dict[str, Evaluator] = {
    "Abs": _arithmetic(np.abs),
    "Add": _arithmetic(np.add),
    "And": _binary(np.logical_and),
    "Cast": _cast,
    "CastLike": _cast_like,
    "Ceil": _unary(np.ceil),
    "Clip": _clip,
    "Concat": _concat,
    "ConstantOfShape": _constant_of_shape,
    "Div": _div,
    "Equal": _binary(np.equal),
    "Expand": _expand,
    "Flatten": lambda a, v: [
        np.asarray(v[0]).reshape(int(np.prod(np.shape(v[0])[: a.get("axis", 1)])), -1)
    ],
    "Floor": _unary(np.floor),
    "Gather": _gather,
    "Greater": _binary(np.greater),
    "GreaterOrEqual": _binary(np.greater_equal),
    "Identity": lambda a, v: [np.asarray(v[0])],
    "Less": _binary(np.less),
    "LessOrEqual": _binary(np.less_equal),
    "Max": _variadic(np.maximum),
    "Min": _variadic(np.minimum),
    "Mod": _mod,
    "Mul": _arithmetic(np.multiply),
    "Neg": _arithmetic(np.negative),
    "Not": _unary(np.logical_not),
    "Or": _binary(np.logical_or),
    "Range": _range,
    "ReduceMax": _reduce(np.max),
    "ReduceMin": _reduce(np.min),
    "ReduceProd": _reduce(np.prod),
    "ReduceSum": _reduce(np.sum),
    "Reshape": _reshape,
    "Sign": _unary(np.sign),
    "Slice": _slice,
    "Sqrt": _unary(np.sqrt),
    "Squeeze": _squeeze,
    "Sub": _arithmetic(np.subtract),
    "Tile": lambda a, v: [np.tile(np.asarray(v[0]), [int(r) for r in v[1]])],
    "Transpose": lambda a, v: [np.transpose(np.asarray(v[0]), a.get("perm"))],
    "Unsqueeze": _unsqueeze,
    "Where": lambda a, v: [np.where(np.asarray(v[0]), np.asarray(v[1]), np.asarray(v[2]))],
}


_BROADCASTING = frozenset({"Add", "And", "Div", "Equal", "Greater", "GreaterOrEqual", "Less",
                           "LessOrEqual", "Max", "Min", "Mod", "Mul", "Or", "Sub", "Where"})


def _ints(value: Any) -> list[int]:
    """A shape-like operand as Python ints."""
    return [int(x) for x in np.asarray(value).ravel()]


def predicted_elements(op_type: str, attrs: Mapping[str, Any], values: Values) -> int:
    """How many elements the op's largest output will have, from its operands' shapes and
    values alone (nothing is allocated); an op whose outputs never outgrow its inputs is
    bounded by its largest input."""
    present = [np.asarray(v) for v in values if v is not None]
    largest = max((v.size for v in present), default=1)
    if op_type == "ConstantOfShape":
        return math.prod(_ints(values[0])) if values and values[0] is not None else 1
    if op_type == "Expand":
        return math.prod(np.broadcast_shapes(np.shape(values[0]), tuple(_ints(values[1]))))
    if op_type == "Tile":
        return np.asarray(values[0]).size * math.prod(_ints(values[1]))
    if op_type == "Range":
        start, limit, delta = (np.asarray(v).item() for v in values[:3])
        return max(0, math.ceil((limit - start) / delta))
    if op_type == "Concat":
        return sum(v.size for v in present)
    if op_type == "Gather":
        data, indices = np.asarray(values[0]), np.asarray(values[1])
        axis = int(attrs.get("axis", 0))
        return data.size // max(1, data.shape[axis]) * indices.size
    if op_type in _BROADCASTING or op_type in ("Sum", "Mean"):
        return math.prod(np.broadcast_shapes(*(v.shape for v in present)))
    return largest


def _fits(op_type: str, attrs: Mapping[str, Any], values: Values) -> bool:
    """True when the op's predicted output fits :data:`MAX_FOLD_ELEMENTS` and (at the widest
    operand's element size) :data:`MAX_FOLD_BYTES`."""
    count = predicted_elements(op_type, attrs, values)
    width = max((np.asarray(v).itemsize for v in values if v is not None), default=8)
    return 0 <= count <= MAX_FOLD_ELEMENTS and count * max(width, 8) <= MAX_FOLD_BYTES


def evaluate(op_type: str, attrs: Mapping[str, Any], values: Values) -> list[np.ndarray] | None:
    """The node's output values, or None when the op is not foldable here, its output would be
    too big (predicted before evaluating), or it fails to fold."""
    evaluator = EVALUATORS.get(op_type)
    if evaluator is None:
        return None
    try:
        with np.errstate(all="ignore"):
            if not _fits(op_type, attrs, values):
                return None
            outputs = evaluator(attrs, values)
    except (ValueError, TypeError, IndexError, ZeroDivisionError, OverflowError, KeyError,
            AttributeError, MemoryError):
        return None
    if any(out.size > MAX_FOLD_ELEMENTS or out.nbytes > MAX_FOLD_BYTES or _not_data(out) for out in outputs):
        return None
    return outputs


def _not_data(array: np.ndarray) -> bool:
    """True for an object array holding anything but text: what an op evaluated on an absent
    operand ("" given for a required input) yields; no ONNX tensor holds it."""
    return array.dtype.kind == "O" and not all(isinstance(x, (str, bytes)) for x in array.flat)
