"""Read shapes, dtypes and small constant values out of ONNX protos into TensorInfo."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from edgegate.errors import ModelError
from edgegate.model.fold import MAX_FOLD_ELEMENTS
from edgegate.model.info import TensorInfo
from edgegate.model.load import payload_dropped

MAX_ELEMENTS = 2**63 - 1
"""The most elements a tensor may have: ONNX counts sizes in signed 64-bit integers."""

def checked_shape(name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``shape``, or a ModelError when a dimension is negative or the element count overflows
    64-bit sizes: such a tensor cannot exist, and onnx's own shape arithmetic would wrap
    around on it, so the estimate refuses it rather than report wrapped totals.
    """
    if any(d < 0 for d in shape):
        raise ModelError(f"tensor '{name}' has a negative dimension {_shown(shape, ', ', '[]')}")
    numel = math.prod(shape)
    if numel > MAX_ELEMENTS:
        count = str(numel) if numel < 10**30 else f"about 2^{numel.bit_length() - 1}"
        raise ModelError(
            f"tensor '{name}' of shape {_shown(shape, 'x', '')} has {count} elements, more than 64-bit"
            " sizes can count (2^63 - 1): check the model's dimensions and bindings"
        )
    return shape


def _shown(shape: tuple[int, ...], separator: str, brackets: str) -> str:
    """A shape for a message: every dimension up to rank 8, else the first and last few and
    the rank (a hostile model's inferred rank can be in the thousands)."""
    if len(shape) <= 8:
        return f"{brackets[:1]}{separator.join(str(d) for d in shape)}{brackets[1:]}"
    parts = [*(str(d) for d in shape[:4]), "...", *(str(d) for d in shape[-2:])]
    return f"{brackets[:1]}{separator.join(parts)}{brackets[1:]} (rank {len(shape)})"


def value_shape(value: onnx.ValueInfoProto) -> tuple[int, ...] | None:
    """The concrete shape of a value_info, or None when it has no shape or a non-concrete dim.

    Raises ModelError when the shape has more elements than 64-bit sizes can count.
    """
    return _tensor_shape(value.name, value.type.tensor_type)


def _tensor_shape(name: str, tensor_type: onnx.TypeProto.Tensor) -> tuple[int, ...] | None:
    """The concrete shape of ``tensor_type`` (of the value ``name``), as :func:`value_shape`;
    each dim is read once: every value_info of a graph goes through here."""
    if not tensor_type.HasField("shape"):
        return None
    dim = tensor_type.shape.dim
    fast = tuple([d.dim_value for d in dim])
    if not fast or min(fast) > 0:
        if math.prod(fast) > MAX_ELEMENTS:
            return checked_shape(name, fast)
        return fast
    for index, size in enumerate(fast):
        if size < 0 or (size == 0 and not dim[index].HasField("dim_value")):
            return None
    return checked_shape(name, fast)


def value_info(value: onnx.ValueInfoProto) -> TensorInfo:
    """TensorInfo of a (non-constant) value_info: name, concrete shape or None, dtype."""
    name, type_proto = value.name, value.type
    if not type_proto.HasField("tensor_type"):
        return TensorInfo(name, _tensor_shape(name, type_proto.tensor_type), 0)
    tensor_type = type_proto.tensor_type
    return TensorInfo(name, _tensor_shape(name, tensor_type), tensor_type.elem_type)


def tensor_value(tensor: onnx.TensorProto) -> np.ndarray | None:
    """The tensor's values when small and present in the file; None for dropped or external data,
    and for values onnx's reader cannot decode. Which tensors those are depends on the onnx and
    numpy installed (onnx 1.16 under numpy 2 overflows on float8 payloads), so every error the
    reader can raise on bad data means the same: the values are not known."""
    numel = math.prod(tensor.dims)
    if numel > MAX_FOLD_ELEMENTS or tensor.data_location == onnx.TensorProto.EXTERNAL:
        return None
    if payload_dropped(tensor):
        return None
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError):
        return None


def constant_info(tensor: onnx.TensorProto, name: str | None = None) -> TensorInfo:
    """TensorInfo of an initializer or Constant tensor, with its value when small."""
    return TensorInfo(
        name or tensor.name,
        checked_shape(name or tensor.name, tuple([int(d) for d in tensor.dims])),
        tensor.data_type,
        is_constant=True,
        value=tensor_value(tensor),
    )


def array_info(name: str, array: np.ndarray) -> TensorInfo:
    """TensorInfo of a constant computed by folding."""
    dtype = helper.np_dtype_to_tensor_dtype(array.dtype)
    return TensorInfo(name, tuple(array.shape), dtype, is_constant=True, value=array)


@dataclass(frozen=True)
class Malformed:
    """An attribute whose declared type is not the one its op takes: it decodes to this, never
    to a value of the wrong kind, and the node is unestimated with ``reason``."""

    reason: str


_SCHEMA_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training"})


@functools.lru_cache(maxsize=1024)
def attribute_types(op_type: str, domain: str) -> Mapping[str, frozenset[int]]:
    """The attribute types the op's schemas declare, by name, over every version of the op
    (formulas also read attributes that later versions turned into inputs, as Pad's ``pads``);
    empty for an op onnx has no schema of (a custom domain)."""
    if domain not in _SCHEMA_DOMAINS:
        return {}
    found: dict[str, set[int]] = {}
    for schema in _schema_history(op_type, "" if domain == "ai.onnx" else domain):
        for name, attribute in schema.attributes.items():
            found.setdefault(name, set()).add(int(attribute.type.value))  # type: ignore[attr-defined]
    return {name: frozenset(kinds) for name, kinds in found.items()}


def _schema_history(op_type: str, domain: str) -> list[onnx.defs.OpSchema]:
    """The op's schemas, latest first, down to its first version."""
    history: list[onnx.defs.OpSchema] = []
    version: int | None = None
    while version is None or version > 1:
        try:
            schema = onnx.defs.get_schema(op_type, domain=domain) if version is None \
                else onnx.defs.get_schema(op_type, version - 1, domain)
        except onnx.defs.SchemaError:
            break
        history.append(schema)
        version = schema.since_version
    return history


def attribute_problem(op_type: str, domain: str, attribute: onnx.AttributeProto) -> str | None:
    """Why ``attribute`` cannot be read for an ``op_type`` node (its declared type is not the
    one the op takes), or None."""
    return _type_problem(op_type, domain, attribute.name, attribute.type)


@functools.lru_cache(maxsize=4096)
def _type_problem(op_type: str, domain: str, name: str, kind: int) -> str | None:
    """:func:`attribute_problem` by the attribute's name and declared type: cached, since
    every node of a graph asks it for each of its attributes."""
    expected = attribute_types(op_type, domain).get(name)
    if expected is None or kind in expected:
        return None
    type_name = onnx.AttributeProto.AttributeType.Name
    declared = type_name(kind) if kind in onnx.AttributeProto.AttributeType.values() else str(kind)
    takes = " or ".join(sorted(type_name(k) for k in expected))
    return f"attribute '{name}' is {declared}; {op_type} takes {takes}"


def malformed(attrs: Mapping[str, Any]) -> str | None:
    """The first mistyped attribute's reason among a node's decoded ``attrs``, or None."""
    if isinstance(attrs, Attributes):
        return attrs.problem()
    return next((value.reason for value in attrs.values() if isinstance(value, Malformed)), None)


def decode_attribute(attribute: onnx.AttributeProto) -> Any:
    """An attribute as a Python value: ints, floats, str, tuples, ndarray or GraphProto(s)."""
    kind = attribute.type
    A = onnx.AttributeProto
    if kind == A.INT:
        return attribute.i
    if kind == A.FLOAT:
        return attribute.f
    if kind == A.STRING:
        return attribute.s.decode("utf-8", "replace")
    if kind == A.INTS:
        return tuple(attribute.ints)
    if kind == A.FLOATS:
        return tuple(attribute.floats)
    if kind == A.STRINGS:
        return tuple(s.decode("utf-8", "replace") for s in attribute.strings)
    if kind == A.TENSOR:
        return tensor_value(attribute.t)
    if kind == A.GRAPH:
        return attribute.g
    if kind == A.GRAPHS:
        return tuple(attribute.graphs)
    return None


class Attributes(Mapping[str, Any]):
    """A node's attributes, decoded on first use: most formulas read none of them."""

    __slots__ = ("_proto", "_decoded", "_problem")

    def __init__(self, proto: onnx.NodeProto) -> None:
        self._proto = proto
        self._decoded: dict[str, Any] | None = None
        self._problem: str | None | bool = False  # False: not looked at yet

    def _values(self) -> dict[str, Any]:
        if self._decoded is None:
            op, domain = self._proto.op_type, self._proto.domain
            decoded = {}
            for attribute in self._proto.attribute:
                problem = attribute_problem(op, domain, attribute)
                decoded[attribute.name] = Malformed(problem) if problem else decode_attribute(attribute)
            self._decoded = decoded
        return self._decoded

    def problem(self) -> str | None:
        """Why one of the node's attributes cannot be read (its type), or None; without
        decoding any value; looked up once."""
        if self._problem is False:
            proto = self._proto
            self._problem = None
            if proto.attribute:
                op, domain = proto.op_type, proto.domain
                for attribute in proto.attribute:
                    found = _type_problem(op, domain, attribute.name, attribute.type)
                    if found is not None:
                        self._problem = found
                        break
        return self._problem if isinstance(self._problem, str) else None

    def __getitem__(self, key: str) -> Any:
        return self._values()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())
