"""Bind symbolic and unknown input dimensions to the values a user gives.

A model input like ``float[batch, 3, H, W]`` needs every dimension known before costing.
Bindings come from ``dims`` (by dimension name) and ``input_shapes`` (whole shapes by input
name); a dimension still unbound is a BindingError that says how to bind it. A dimension named
by an arithmetic expression of bound names (optimum's ``past_sequence_length +
sequence_length``) takes its value. 0 is a size (an empty KV cache). ``input_values`` turn
scalar inputs into constants (e.g. a sample rate that an If branches on). In files of IR
version < 4, initializers are also listed among the inputs: they are constants unless a
binding names them.
"""

from __future__ import annotations

import ast
import math
import shlex
from collections.abc import Mapping, Sequence

import numpy as np
import onnx
from onnx import numpy_helper

from edgegate.errors import BindingError
from edgegate.model.fold import MAX_FOLD_ELEMENTS
from edgegate.model.tensors import MAX_ELEMENTS

TOO_BIG = "more than 64-bit sizes can count (2^63 - 1)"


def _constant_array(value: onnx.ValueInfoProto, number: float) -> np.ndarray:
    """The array ``--input-value`` makes of ``number`` for the input ``value``: each element
    ``number``, checked to be finite and to fit the input's numeric type, at most
    :data:`~edgegate.model.fold.MAX_FOLD_ELEMENTS` elements (the size is known before anything
    is allocated)."""
    shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
    where = f"--input-value {value.name}"
    if math.prod(shape) > MAX_FOLD_ELEMENTS:
        raise BindingError(f"{where}: the input has {math.prod(shape)} elements; only a scalar (or a"
                           f" tensor of at most {MAX_FOLD_ELEMENTS} elements) can be given a value")
    try:
        dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(value.type.tensor_type.elem_type))
    except (KeyError, TypeError, ValueError):
        dtype = np.dtype(object)
    if dtype.kind not in "biuf":
        raise BindingError(f"{where}: the input is not a number (its type is {dtype.name}, not a"
                           " bool, integer or float type)")
    if not math.isfinite(number):
        raise BindingError(f"{where}: {number} is not a finite number")
    low: float  # an int for integer types: compared exactly, whatever the int64 bound
    high: float
    if dtype.kind == "b":
        low, high = 0, 1
    elif dtype.kind in "iu":
        low, high = int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)
    else:
        low, high = float(np.finfo(dtype).min), float(np.finfo(dtype).max)
    if not low <= number <= high or (dtype.kind in "biu" and number != int(number)):
        raise BindingError(f"{where}: {number:g} does not fit the input's type {dtype.name}")
    return np.full(shape, int(number) if dtype.kind in "biu" else number, dtype=dtype)


def graph_inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    """The graph's real inputs: declared inputs that are not also initializers (IR < 4)."""
    initialized = {t.name for t in graph.initializer}
    return [value for value in graph.input if value.name not in initialized]


def _sized(dim: onnx.TensorShapeProto.Dimension) -> bool:
    """True when the dimension is a concrete size (0 included: an empty tensor)."""
    return dim.HasField("dim_value") and dim.dim_value >= 0


def _dim_label(dim: onnx.TensorShapeProto.Dimension, index: int) -> str:
    if dim.dim_param:
        return f"dimension {index} ('{dim.dim_param}') is unbound"
    if dim.HasField("dim_value"):
        return f"dimension {index} is {dim.dim_value} in the model, not a size"
    return f"dimension {index} is unbound"


def _hint(value: onnx.ValueInfoProto, index: int, dim: onnx.TensorShapeProto.Dimension) -> str:
    dims = value.type.tensor_type.shape.dim
    example = "x".join(str(d.dim_value) if _sized(d) else "N" for d in dims)
    by_name = f"--dim {shlex.quote(dim.dim_param + '=N')} or " if dim.dim_param else ""
    return f"bind it with {by_name}--input-shape {shlex.quote(value.name + '=' + example)}"


def _expression(text: str, dims: Mapping[str, int]) -> int | None:
    """The value of a dimension named by integer arithmetic (+ - * //) of bound names, or None."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    operators = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                 ast.Mult: lambda a, b: a * b, ast.FloorDiv: lambda a, b: a // b if b else None}

    def value(node: ast.expr) -> int | None:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name):
            return dims.get(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            left, right = value(node.left), value(node.right)
            return None if left is None or right is None else operators[type(node.op)](left, right)
        return None

    if isinstance(tree, ast.Name):
        return None
    result = value(tree)
    return result if result is not None and 0 <= result <= MAX_ELEMENTS else None


def _check_shape(value: onnx.ValueInfoProto, shape: Sequence[int]) -> None:
    dims = value.type.tensor_type.shape.dim
    if value.type.tensor_type.HasField("shape") and len(dims) != len(shape):
        raise BindingError(
            f"input '{value.name}' has rank {len(dims)}, its bound shape has {len(shape)} dimensions"
        )
    for index, size in enumerate(shape):
        if size < 0:
            raise BindingError(f"input '{value.name}' dimension {index} must be >= 0")
        if size > MAX_ELEMENTS:
            raise BindingError(f"input '{value.name}' dimension {index} is {size}, {TOO_BIG}")
        if index < len(dims) and _sized(dims[index]) and dims[index].dim_value != size:
            raise BindingError(
                f"input '{value.name}' dimension {index} is fixed at "
                f"{dims[index].dim_value} in the model, got {size}"
            )


def _check_requests(
    inputs: Mapping[str, onnx.ValueInfoProto],
    dims: Mapping[str, int],
    named: Sequence[str],
) -> None:
    """BindingError for a binding that names no input, or a dimension bound out of range."""
    for name in named:
        if name not in inputs:
            known = ", ".join(sorted(inputs)) or "none"
            raise BindingError(f"the model has no input '{name}' (its inputs: {known})")
    for name, size in dims.items():
        if size < 0:
            raise BindingError(f"dimension '{name}' must be bound to a value >= 0, got {size}")
        if size > MAX_ELEMENTS:
            raise BindingError(f"dimension '{name}' is bound to {size}, {TOO_BIG}")


def _set_shape(value: onnx.ValueInfoProto, shape: Sequence[int]) -> None:
    """Replace the input's declared shape by ``shape`` (checked against the declaration)."""
    _check_shape(value, shape)
    tensor_type = value.type.tensor_type
    tensor_type.ClearField("shape")
    for size in shape:
        tensor_type.shape.dim.add().dim_value = size


def _bind_dims(value: onnx.ValueInfoProto, dims: Mapping[str, int]) -> None:
    """Give each non-concrete dimension of the input its bound value; BindingError for a gap."""
    tensor_type = value.type.tensor_type
    if not tensor_type.HasField("shape"):
        raise BindingError(
            f"input '{value.name}' has no declared shape: bind it with "
            f"--input-shape {value.name}=D0xD1x...",
            input_name=value.name,
        )
    for index, dim in enumerate(tensor_type.shape.dim):
        if _sized(dim):
            continue
        if dim.dim_param and dim.dim_param in dims:
            dim.dim_value = int(dims[dim.dim_param])
            continue
        computed = _expression(dim.dim_param, dims) if dim.dim_param else None
        if computed is not None:
            dim.dim_value = computed
            continue
        raise BindingError(
            f"input '{value.name}' {_dim_label(dim, index)}: " + _hint(value, index, dim),
            input_name=value.name,
            dim_index=index,
            dim_name=dim.dim_param or None,
        )


def bind_inputs(
    model: onnx.ModelProto,
    dims: Mapping[str, int],
    input_shapes: Mapping[str, Sequence[int]],
    input_values: Mapping[str, float] | None = None,
) -> None:
    """Give every graph input a concrete shape, in place; raise BindingError naming gaps."""
    values = input_values or {}
    _unlist_bound_initializers(model.graph, [*input_shapes, *values])
    inputs = {value.name: value for value in graph_inputs(model.graph)}
    _check_requests(inputs, dims, [*input_shapes, *values])
    for value in inputs.values():
        if not value.type.HasField("tensor_type"):
            continue
        if value.name in input_shapes:
            _set_shape(value, [int(size) for size in input_shapes[value.name]])
        else:
            _bind_dims(value, dims)
    for name, number in values.items():
        _make_constant(model, inputs[name], number)


def _unlist_bound_initializers(graph: onnx.GraphProto, named: Sequence[str]) -> None:
    """An initializer also listed as an input (IR < 4) that a binding names becomes the input."""
    listed = {value.name for value in graph.input}
    bound = {name for name in named if name in listed}
    if not bound or not any(t.name in bound for t in graph.initializer):
        return
    kept = [t for t in graph.initializer if t.name not in bound]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def _make_constant(model: onnx.ModelProto, value: onnx.ValueInfoProto, number: float) -> None:
    """Replace a scalar graph input by an initializer holding ``number``; BindingError when the
    input is not a small numeric tensor or ``number`` does not fit its type."""
    array = _constant_array(value, number)
    model.graph.initializer.append(numpy_helper.from_array(array, value.name))
    kept = [v for v in model.graph.input if v.name != value.name]
    del model.graph.input[:]
    model.graph.input.extend(kept)
