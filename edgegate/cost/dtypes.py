"""Element sizes of ONNX dtypes, and the precision override (``model``, ``fp16``, ``int8``).

Sizes follow the ONNX TensorProto.DataType definitions (onnx/onnx.proto); 4-bit types
count as half a byte and are rounded up per tensor. An unknown dtype raises.
"""

from __future__ import annotations

from onnx import TensorProto

ELEMENT_BITS: dict[int, int] = {
    TensorProto.BFLOAT16: 16,
    TensorProto.BOOL: 8,
    TensorProto.COMPLEX128: 128,
    TensorProto.COMPLEX64: 64,
    TensorProto.DOUBLE: 64,
    TensorProto.FLOAT: 32,
    TensorProto.FLOAT16: 16,
    TensorProto.FLOAT8E4M3FN: 8,
    TensorProto.FLOAT8E4M3FNUZ: 8,
    TensorProto.FLOAT8E5M2: 8,
    TensorProto.FLOAT8E5M2FNUZ: 8,
    TensorProto.INT16: 16,
    TensorProto.INT32: 32,
    TensorProto.INT4: 4,
    TensorProto.INT64: 64,
    TensorProto.INT8: 8,
    TensorProto.UINT16: 16,
    TensorProto.UINT32: 32,
    TensorProto.UINT4: 4,
    TensorProto.UINT64: 64,
    TensorProto.UINT8: 8,
}

FLOAT_TYPES: frozenset[int] = frozenset(
    {
        TensorProto.BFLOAT16,
        TensorProto.DOUBLE,
        TensorProto.FLOAT,
        TensorProto.FLOAT16,
    }
)

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

