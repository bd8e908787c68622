"""ONNX element types: each TensorProto.DataType code with its name and bits per element.

The codes are those of ``onnx/onnx.proto`` (a test checks the table against the installed
onnx); 2-, 4- and 6-bit types count their bits. Strings have no fixed size (``None``). Kept as
a table so that naming or sizing a dtype never needs to import onnx.
"""

from __future__ import annotations

DTYPES: dict[int, tuple[str, int | None]] = {
    1: ("FLOAT", 32),
    2: ("UINT8", 8),
    3: ("INT8", 8),
    4: ("UINT16", 16),
    5: ("INT16", 16),
    6: ("INT32", 32),
    7: ("INT64", 64),
    8: ("STRING", None),
    9: ("BOOL", 8),
    10: ("FLOAT16", 16),
    11: ("DOUBLE", 64),
    12: ("UINT32", 32),
    13: ("UINT64", 64),
    14: ("COMPLEX64", 64),
    15: ("COMPLEX128", 128),
    16: ("BFLOAT16", 16),
    17: ("FLOAT8E4M3FN", 8),
    18: ("FLOAT8E4M3FNUZ", 8),
    19: ("FLOAT8E5M2", 8),
    20: ("FLOAT8E5M2FNUZ", 8),
    21: ("UINT4", 4),
    22: ("INT4", 4),
    23: ("FLOAT4E2M1", 4),
    24: ("FLOAT8E8M0", 8),
    25: ("UINT2", 2),
    26: ("INT2", 2),
    27: ("FLOAT6E2M3", 6),
    28: ("FLOAT6E3M2", 6),
}
"""ONNX dtype code -> (TensorProto.DataType name, bits per element or None when variable)."""

FLOAT, UINT8, INT8, INT32, INT64, STRING, BOOL, FLOAT16, DOUBLE, BFLOAT16 = (
    1, 2, 3, 6, 7, 8, 9, 10, 11, 16
)


def dtype_name(code: int) -> str:
    """The TensorProto.DataType name of ``code`` (``FLOAT``), or the code itself when unknown."""
    entry = DTYPES.get(code)
    return entry[0] if entry else str(code)
