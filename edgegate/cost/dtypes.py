"""Element sizes of ONNX dtypes, and the precision override (``model``, ``fp16``, ``int8``).

Sizes are those of :data:`edgegate.model.dtypes.DTYPES`; 2-, 4- and 6-bit types are rounded up
to whole bytes per tensor. Strings have no fixed size (``VARIABLE_SIZE``); any other unknown
dtype raises.
"""

from __future__ import annotations

from edgegate.model.dtypes import BFLOAT16, DOUBLE, DTYPES, FLOAT, FLOAT16, STRING, dtype_name

ELEMENT_BITS: dict[int, int] = {code: bits for code, (_, bits) in DTYPES.items() if bits}
"""Bits per element by ONNX dtype."""

FLOAT_TYPES: frozenset[int] = frozenset({BFLOAT16, DOUBLE, FLOAT, FLOAT16})

VARIABLE_SIZE: frozenset[int] = frozenset({STRING})
"""Dtypes whose elements have no fixed size: a tensor of them cannot be sized from the graph."""

PRECISION_BITS: dict[str, int | None] = {"model": None, "fp32": 32, "fp16": 16, "int8": 8}


def element_bits(dtype: int, precision: str = "model") -> int:
    """Bits per element of ``dtype`` under ``precision`` (which changes float tensors only)."""
    override = PRECISION_BITS[precision]
    if override is not None and dtype in FLOAT_TYPES:
        return override
    try:
        return ELEMENT_BITS[dtype]
    except KeyError:
        raise ValueError(f"no element size known for ONNX dtype {dtype_name(dtype)}") from None


def tensor_bytes(numel: int, dtype: int, precision: str = "model") -> int:
    """Bytes of ``numel`` elements of ``dtype`` under ``precision``, rounded up to a byte."""
    return -(-numel * element_bits(dtype, precision) // 8)
