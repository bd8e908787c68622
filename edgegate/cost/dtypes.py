"""Element sizes of ONNX dtypes, and the precision override (``model``, ``fp16``, ``int8``).

Sizes follow the ONNX TensorProto.DataType definitions (onnx/onnx.proto); 2-, 4- and 6-bit
types count their bits and are rounded up to whole bytes per tensor. Strings have no fixed
size (``VARIABLE_SIZE``); any other unknown dtype raises.
"""

from __future__ import annotations

from onnx import TensorProto

_BITS_BY_NAME: dict[str, int] = {
    "BFLOAT16": 16,
    "BOOL": 8,
    "COMPLEX128": 128,
    "COMPLEX64": 64,
    "DOUBLE": 64,
    "FLOAT": 32,
    "FLOAT16": 16,
    "FLOAT4E2M1": 4,
    "FLOAT6E2M3": 6,
    "FLOAT6E3M2": 6,
    "FLOAT8E4M3FN": 8,
    "FLOAT8E4M3FNUZ": 8,
    "FLOAT8E5M2": 8,
    "FLOAT8E5M2FNUZ": 8,
    "FLOAT8E8M0": 8,
    "INT16": 16,
    "INT2": 2,
    "INT32": 32,
    "INT4": 4,
    "INT64": 64,
    "INT8": 8,
    "UINT16": 16,
    "UINT2": 2,
    "UINT32": 32,
    "UINT4": 4,
    "UINT64": 64,
    "UINT8": 8,
}

ELEMENT_BITS: dict[int, int] = {
    TensorProto.DataType.Value(name): bits
    for name, bits in _BITS_BY_NAME.items()
    if name in TensorProto.DataType.keys()
}
"""Bits per element by ONNX dtype (types newer than the installed onnx are left out)."""

FLOAT_TYPES: frozenset[int] = frozenset(
    {
        TensorProto.BFLOAT16,
        TensorProto.DOUBLE,
        TensorProto.FLOAT,
        TensorProto.FLOAT16,
    }
)

VARIABLE_SIZE: frozenset[int] = frozenset({TensorProto.STRING})
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
        name = TensorProto.DataType.Name(dtype) if dtype in TensorProto.DataType.values() else dtype
        raise ValueError(f"no element size known for ONNX dtype {name}") from None


def tensor_bytes(numel: int, dtype: int, precision: str = "model") -> int:
    """Bytes of ``numel`` elements of ``dtype`` under ``precision``, rounded up to a byte."""
    return -(-numel * element_bits(dtype, precision) // 8)

