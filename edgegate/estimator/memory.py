"""Activation memory: tensor sizes under a precision, aliases, and the liveness peak.

A tensor is live from the layer that writes it (graph inputs: from the start) to the last
layer that reads it (graph outputs: to the end); while a layer runs its inputs and outputs
are live together. The peak is the largest sum of live bytes at any layer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from edgegate.cost.dtypes import ELEMENT_BITS, VARIABLE_SIZE, tensor_bytes
from edgegate.errors import ModelError
from edgegate.estimator.result import Layer
from edgegate.model.info import TensorInfo


def resolve(name: str, aliases: Mapping[str, str]) -> str:
    """The tensor whose storage ``name`` shares (itself unless a view or absorbed op made it)."""
    if name not in aliases:
        return name
    seen = set()
    while name in aliases and name not in seen:
        seen.add(name)
        name = aliases[name]
    return name


def size_in_bytes(tensor: TensorInfo | None, precision: str) -> int:
    """Bytes of an activation or constant at ``precision``.

    0 when its shape or dtype is unknown or its elements have no fixed size (strings); a
    dtype number that ONNX does not define is a ModelError.
    """
    if tensor is None or tensor.shape is None or not tensor.dtype or tensor.dtype in VARIABLE_SIZE:
        return 0
    if tensor.dtype not in ELEMENT_BITS:
        raise ModelError(f"tensor '{tensor.name}' has data type {tensor.dtype}, which ONNX does not define")
    return tensor_bytes(math.prod(tensor.shape), tensor.dtype, precision)


def peak_activation(
    layers: Sequence[Layer],
    sizes: Mapping[str, int],
    inputs: Iterable[str],
    outputs: Iterable[str],
) -> int:
    """The largest sum of live activation bytes while any layer runs."""
    count = len(layers)
    first: dict[str, int] = {name: 0 for name in inputs}
    last: dict[str, int] = {}
    for layer in layers:
        for name in layer.writes:
            first.setdefault(name, layer.index)
        for name in layer.reads:
            last[name] = layer.index
    for name in outputs:
        if name in first:
            last[name] = count - 1
    delta = [0] * (count + 1)
    for name, start in first.items():
        end = last.get(name)
        if end is None:
            continue
        delta[start] += sizes.get(name, 0)
        delta[end + 1] -= sizes.get(name, 0)
    peak, live = 0, 0
    for layer in layers:
        live += delta[layer.index]
        peak = max(peak, live + layer.work_bytes)
    return peak
