"""A small protobuf encoder for ONNX messages, to write what onnx.helper will not.

onnx.helper (and protobuf's Python API) refuse names that are not UTF-8 and type-check
attributes; the wire format does neither. Each function returns the serialized bytes of one
message; names and strings are ``str`` (encoded as UTF-8) or raw ``bytes`` (written as they
are). Sub-messages may also be bytes serialized by onnx itself (``SerializeToString()``).
Field numbers are onnx/onnx.proto's.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

Text = str | bytes

# AttributeProto.AttributeType
UNDEFINED, FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS, TENSORS, GRAPHS = range(11)
SPARSE_TENSOR, SPARSE_TENSORS, TYPE_PROTO, TYPE_PROTOS = 11, 12, 13, 14


def varint(value: int) -> bytes:
    """Base-128 varint; negatives as 64-bit two's complement (10 bytes), as protobuf does."""
    if value < 0:
        value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _b(text: Text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def fv(number: int, value: int) -> bytes:
    """A varint field."""
    return varint(number << 3) + varint(value)


def fb(number: int, data: Text) -> bytes:
    """A length-delimited field (string, bytes or message)."""
    data = _b(data)
    return varint(number << 3 | 2) + varint(len(data)) + data


def ff(number: int, value: float) -> bytes:
    """A 32-bit float field."""
    return varint(number << 3 | 5) + struct.pack("<f", value)


def opset(domain: Text, version: int) -> bytes:
    return fb(1, domain) + fv(2, version)


def dim(value: int | Text | None) -> bytes:
    """A TensorShapeProto.Dimension: an int (dim_value), a name (dim_param) or unknown."""
    if value is None:
        return b""
    if isinstance(value, int):
        return fv(1, value)
    return fb(2, value)


def tensor_type(elem_type: int, dims: Sequence[int | Text | None] | None) -> bytes:
    """A TypeProto holding a tensor type (no shape when ``dims`` is None)."""
    body = fv(1, elem_type)
    if dims is not None:
        body += fb(2, b"".join(fb(1, dim(d)) for d in dims))
    return fb(1, body)


def value_info(name: Text, elem_type: int = 1, dims: Sequence[int | Text | None] | None = None,
               type_bytes: bytes | None = None) -> bytes:
    return fb(1, name) + fb(2, type_bytes if type_bytes is not None else tensor_type(elem_type, dims))


def tensor(name: Text, dims: Sequence[int], data_type: int = 1, raw: bytes | None = None,
           int64s: Iterable[int] = (), floats: Iterable[float] = (), external: bool = False) -> bytes:
    body = b"".join(fv(1, d) for d in dims) + fv(2, data_type) + fb(8, name)
    int64s, floats = list(int64s), list(floats)
    if int64s:
        body += fb(7, b"".join(varint(v) for v in int64s))
    if floats:
        body += fb(4, b"".join(struct.pack("<f", v) for v in floats))
    if raw is not None:
        body += fb(9, raw)
    if external:
        body += fb(13, fb(1, "location") + fb(2, "weights.bin")) + fv(14, 1)
    return body


def attr(name: Text, kind: int, *, i: int | None = None, f: float | None = None,
         s: Text | None = None, t: bytes | None = None, g: bytes | None = None,
         ints: Iterable[int] = (), floats: Iterable[float] = (), strings: Iterable[Text] = (),
         graphs: Iterable[bytes] = (), tensors: Iterable[bytes] = (),
         ref_attr_name: Text | None = None) -> bytes:
    """An AttributeProto whose declared ``kind`` need not match the value given."""
    body = fb(1, name) + fv(20, kind)
    if f is not None:
        body += ff(2, f)
    if i is not None:
        body += fv(3, i)
    if s is not None:
        body += fb(4, s)
    if t is not None:
        body += fb(5, t)
    if g is not None:
        body += fb(6, g)
    body += b"".join(ff(7, x) for x in floats)
    ints = list(ints)
    if ints:
        body += fb(8, b"".join(varint(x) for x in ints))
    body += b"".join(fb(9, x) for x in strings)
    body += b"".join(fb(10, x) for x in tensors)
    body += b"".join(fb(11, x) for x in graphs)
    if ref_attr_name is not None:
        body += fb(21, ref_attr_name)
    return body


def node(op_type: Text, inputs: Sequence[Text], outputs: Sequence[Text], name: Text = "",
         domain: Text = "", attrs: Sequence[bytes] = ()) -> bytes:
    body = b"".join(fb(1, x) for x in inputs) + b"".join(fb(2, x) for x in outputs)
    if name:
        body += fb(3, name)
    body += fb(4, op_type)
    body += b"".join(fb(5, a) for a in attrs)
    if domain:
        body += fb(7, domain)
    return body


def sparse_tensor(values: bytes, indices: bytes, dims: Sequence[int]) -> bytes:
    """A SparseTensorProto: serialized values and indices tensors, and the dense dims."""
    return fb(1, values) + fb(2, indices) + b"".join(fv(3, d) for d in dims)


def graph(nodes: Sequence[bytes], name: Text = "g", inputs: Sequence[bytes] = (),
          outputs: Sequence[bytes] = (), initializers: Sequence[bytes] = (),
          value_infos: Sequence[bytes] = (), sparse_initializers: Sequence[bytes] = ()) -> bytes:
    return (b"".join(fb(1, n) for n in nodes) + fb(2, name)
            + b"".join(fb(5, t) for t in initializers)
            + b"".join(fb(11, v) for v in inputs) + b"".join(fb(12, v) for v in outputs)
            + b"".join(fb(13, v) for v in value_infos)
            + b"".join(fb(15, t) for t in sparse_initializers))


def function(name: Text, domain: Text, inputs: Sequence[Text], outputs: Sequence[Text],
             nodes: Sequence[bytes], opsets: Sequence[bytes] = (), attributes: Sequence[Text] = ()
             ) -> bytes:
    return (fb(1, name) + b"".join(fb(4, x) for x in inputs) + b"".join(fb(5, x) for x in outputs)
            + b"".join(fb(6, a) for a in attributes) + b"".join(fb(7, n) for n in nodes)
            + b"".join(fb(9, o) for o in (opsets or [opset("", 17)])) + fb(10, domain))


def model(graph_bytes: bytes, opsets: Sequence[bytes] | None = None, ir_version: int = 8,
          functions: Sequence[bytes] = (), producer: Text = "hostile") -> bytes:
    """A ModelProto (opset 17 of the default domain unless ``opsets`` is given)."""
    return (fv(1, ir_version) + fb(2, producer) + fb(7, graph_bytes)
            + b"".join(fb(8, o) for o in (opsets if opsets is not None else [opset("", 17)]))
            + b"".join(fb(25, f) for f in functions))
