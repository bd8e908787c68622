"""Protobuf wire-format walk that copies an ONNX ModelProto without its big tensor payloads.

The walk reads the file by offset (``pread`` in windows of :data:`WINDOW` bytes, never a
memory map, whose page faults would pull whole payload folios into the process). It
descends only into fields that can hold tensors (graphs, nodes, attributes, functions,
training info, sparse tensors) and only when a field is longer than
:data:`PAYLOAD_THRESHOLD`, since a shorter message cannot hold a bigger payload; everything
else is stepped over by its length. A TensorProto whose payload fields (raw_data,
float_data, int32_data, string_data, int64_data, double_data, uint64_data) total more than
the threshold loses them; name, dims, data_type, segment, data_location, external_data,
doc_string and metadata stay. The kept byte ranges are then read once, straight into the
output buffer. Field numbers are those of onnx/onnx.proto.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PAYLOAD_THRESHOLD = 1024
"""Serialized payload bytes (tags and lengths included) above which a tensor's data is
dropped. Shape-like constants (Reshape shapes, Slice starts, Resize scales) are far smaller."""

WINDOW = 16 * 1024
"""Bytes read at a time while walking a message's fields."""

_MAX_HEADER = 20  # a field key and a length (or varint value), at most 10 bytes each
_NO_NAMES: Mapping[int, tuple[str, int]] = MappingProxyType({})

# TensorProto fields that carry the values (onnx.proto: float_data=4, int32_data=5,
# string_data=6, int64_data=7, raw_data=9, double_data=10, uint64_data=11) and its name.
_TENSOR_PAYLOAD = frozenset({4, 5, 6, 7, 9, 10, 11})
_TENSOR_NAME = 8 << 3 | 2

MODEL_FIELDS: Mapping[int, tuple[str, int]] = {
    1: ("ir_version", 0), 2: ("producer_name", 2), 3: ("producer_version", 2), 4: ("domain", 2),
    5: ("model_version", 0), 6: ("doc_string", 2), 7: ("graph", 2), 8: ("opset_import", 2),
    14: ("metadata_props", 2), 20: ("training_info", 2), 25: ("functions", 2),
    26: ("configuration", 2),
}
"""ModelProto's fields: name and wire type (0 varint, 2 length-delimited), by number."""


class WireError(Exception):
    """The bytes break the wire format at ``offset``; ``truncated`` if the file ends too early.

    ``number`` is the offending field's number when known (0 otherwise).
    """

    def __init__(self, problem: str, offset: int, truncated: bool = False, number: int = 0
                 ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.offset = offset
        self.truncated = truncated
        self.number = number


class Source:
    """A file read by offset, so the bytes of skipped payloads are never read nor mapped."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size

    def read(self, start: int, end: int) -> bytes:
        """The bytes in [start, end), fewer only at the end of the file."""
        return os.pread(self.fd, end - start, start)

    def read_into(self, target: memoryview, start: int) -> None:
        """Fill ``target`` with the bytes from ``start`` on."""
        while len(target):
            done = os.preadv(self.fd, [target], start)
            if done == 0:
                raise WireError("file shrank while being read", start, truncated=True)
            target, start = target[done:], start + done


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode the varint at ``pos``; return (value, position after it).

    Raises IndexError when ``buf`` ends first, ValueError past 10 bytes.
    """
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("a varint longer than 10 bytes")


def encode_varint(value: int) -> bytes:
    """The base-128 varint encoding of a non-negative integer."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


Field = tuple[int, int, int, int, int]
"""One field: (key, offset of the field, of its length or value, of its body, of its end).

The key is ``number << 3 | wire_type``; see :func:`ld_key`."""


def ld_key(number: int) -> int:
    """The key of length-delimited field ``number`` (wire type 2: strings, bytes, messages)."""
    return number << 3 | 2


def fields(source: Source, start: int, end: int, longer_than: int = -1,
           names: Mapping[int, tuple[str, int]] = _NO_NAMES) -> Iterator[Field]:
    """The fields of the message in [start, end) whose value is over ``longer_than`` bytes.

    Reads in windows and checks every field, yielded or not; ``names`` labels errors. Only
    the top-level message (the whole file) can be truncated; a nested one is corrupt.
    """
    buf, buf_len, base, pos = b"", 0, start, start
    whole_file = start == 0 and end == source.size
    try:
        while pos < end:
            local = pos - base
            if local + _MAX_HEADER > buf_len and base + buf_len < end:
                buf, base, local = source.read(pos, min(end, pos + WINDOW)), pos, 0
                buf_len = len(buf)
            key = buf[local]
            if key < 0x80:
                local += 1
            else:
                key, local = read_varint(buf, local)
            value_at, wire = local, key & 7
            if wire == 2:
                length = buf[local]
                if length < 0x80:
                    local += 1
                else:
                    length, local = read_varint(buf, local)
            elif wire == 0:
                length = read_varint(buf, local)[1] - local
            elif wire == 1 or wire == 5:
                length = 8 if wire == 1 else 4
            else:
                raise WireError(f"invalid wire type {wire} at offset {pos}", pos, number=key >> 3)
            body = base + local
            if body + length > end:
                raise _overrun(key >> 3, pos, length, end - body, whole_file, names)
            if length > longer_than:
                yield key, pos, base + value_at, body, body + length
            pos = body + length
    except IndexError:
        problem = f"the data ends inside the field at offset {pos}"
        raise WireError(problem, pos, whole_file) from None
    except ValueError as error:
        raise WireError(f"{error} at offset {pos}", pos) from None


def _overrun(number: int, pos: int, length: int, remaining: int, at_eof: bool,
             names: Mapping[int, tuple[str, int]]) -> WireError:
    """The error for a field whose declared length runs past the end of its message or file."""
    label = f"'{names[number][0]}'" if number in names else str(number)
    where = "" if at_eof else " of its message"
    problem = f"field {label} at offset {pos} declares {length} bytes but only {remaining} remain"
    return WireError(problem + where, pos, at_eof, number)


MAX_DEPTH = 100
"""Messages nested deeper than this are refused, as protobuf's own parser refuses them (upb's
default limit is 100): the walk never recurses past it."""


@dataclass
class _Walk:
    """One strip in progress: the source, the names of tensors whose payload was dropped, and
    how deeply the walk is nested."""

    source: Source
    stripped: list[str] = field(default_factory=list)
    depth: int = 0


Piece = bytes | tuple[int, int]  # a new length header, or a kept [start, end) of the file
_Rewriter = Callable[[_Walk, int, int], "tuple[list[Piece], int] | None"]


def _rewrite_fields(walk: _Walk, start: int, end: int, children: Mapping[int, _Rewriter]
                    ) -> tuple[list[Piece], int] | None:
    """Rewrite the message in [start, end), recursing into long ``children`` fields.

    Returns (pieces, length) of the new message body, or None when nothing changed.
    """
    pieces: list[Piece] = []
    total, copy_from = 0, start
    for key, _, length_at, body, field_end in fields(walk.source, start, end, PAYLOAD_THRESHOLD):
        if key not in children:
            continue
        result = children[key](walk, body, field_end)
        if result is None:
            continue
        child, child_len = result
        header = encode_varint(child_len)
        pieces += [(copy_from, length_at), header, *child]
        total += length_at - copy_from + len(header) + child_len
        copy_from = field_end
    if not pieces:
        return None
    pieces.append((copy_from, end))
    return pieces, total + end - copy_from


def _rewrite_tensor(walk: _Walk, start: int, end: int) -> tuple[list[Piece], int] | None:
    """Drop a TensorProto's payload fields when they total more than the threshold."""
    kept: list[tuple[int, int]] = []
    payload, name = 0, b""
    for key, field_start, _, body, field_end in fields(walk.source, start, end):
        if key >> 3 in _TENSOR_PAYLOAD:
            payload += field_end - field_start
            continue
        if key == _TENSOR_NAME:
            name = walk.source.read(body, field_end)
        if kept and kept[-1][1] == field_start:
            kept[-1] = (kept[-1][0], field_end)
        else:
            kept.append((field_start, field_end))
    if payload <= PAYLOAD_THRESHOLD:
        return None
    if name:
        walk.stripped.append(name.decode("utf-8", "replace"))
    pieces: list[Piece] = [*kept]
    return pieces, sum(b - a for a, b in kept)


def _message(children: dict[int, _Rewriter]) -> _Rewriter:
    """A rewriter for a message type whose tensor-holding fields are ``children``."""

    def rewrite(walk: _Walk, start: int, end: int) -> tuple[list[Piece], int] | None:
        walk.depth += 1
        try:
            if walk.depth > MAX_DEPTH:
                raise WireError(f"messages nested more than {MAX_DEPTH} levels deep at offset {start}", start)
            return _rewrite_fields(walk, start, end, children)
        finally:
            walk.depth -= 1

    return rewrite


def _table(children: dict[int, _Rewriter]) -> dict[int, _Rewriter]:
    """``children`` keyed by length-delimited field key instead of field number."""
    return {ld_key(number): rewrite for number, rewrite in children.items()}


# The message types that can hold tensors, by onnx.proto field number. Filled in after
# creation because graphs and attributes refer to each other.
_GRAPH: dict[int, _Rewriter] = {}
_ATTRIBUTE: dict[int, _Rewriter] = {}
_NODE = _table({5: _message(_ATTRIBUTE)})  # NodeProto.attribute
_SPARSE = _table({1: _rewrite_tensor, 2: _rewrite_tensor})  # SparseTensorProto.values, indices
_GRAPH.update(_table({
    1: _message(_NODE),  # GraphProto.node
    5: _rewrite_tensor,  # initializer
    15: _message(_SPARSE),  # sparse_initializer
}))
_ATTRIBUTE.update(_table({
    5: _rewrite_tensor,  # AttributeProto.t
    6: _message(_GRAPH),  # g
    10: _rewrite_tensor,  # tensors
    11: _message(_GRAPH),  # graphs
    22: _message(_SPARSE),  # sparse_tensor
    23: _message(_SPARSE),  # sparse_tensors
}))
_FUNCTION = _table({
    7: _message(_NODE),  # FunctionProto.node
    11: _message(_ATTRIBUTE),  # attribute_proto (default attribute values)
})
_TRAINING = _table({
    1: _message(_GRAPH),  # TrainingInfoProto.initialization
    2: _message(_GRAPH),  # algorithm
})
_MODEL = _table({7: _message(_GRAPH), 20: _message(_TRAINING), 25: _message(_FUNCTION)})


@dataclass(frozen=True)
class Stripped:
    """A ModelProto's bytes without big payloads, and the names of tensors that lost theirs."""

    data: bytearray
    stripped: tuple[str, ...]


def check_model_fields(source: Source) -> None:
    """Walk ModelProto's top-level fields; WireError for a truncated file or non-ONNX bytes."""
    try:
        for key, field_start, _, _, _ in fields(source, 0, source.size, names=MODEL_FIELDS):
            number, wire = key >> 3, key & 7
            if field_start == 0 and MODEL_FIELDS.get(number, ("", -1))[1] != wire:
                problem = f"starts with field {number} of wire type {wire}, not a ModelProto field"
                raise WireError(problem, 0)
    except WireError as error:
        if error.truncated and error.number and error.number not in MODEL_FIELDS:
            raise WireError(error.problem, error.offset) from None  # not ONNX rather than truncated
        raise


def strip_payloads(source: Source) -> Stripped:
    """Copy the serialized ModelProto in ``source`` without tensor payloads over the threshold."""
    check_model_fields(source)
    walk = _Walk(source)
    result = _rewrite_fields(walk, 0, source.size, _MODEL)
    pieces, total = result if result is not None else ([(0, source.size)], source.size)
    data = bytearray(total)
    view, at = memoryview(data), 0
    for piece in pieces:
        if isinstance(piece, bytes):
            view[at:at + len(piece)] = piece
            at += len(piece)
        else:
            source.read_into(view[at:at + piece[1] - piece[0]], piece[0])
            at += piece[1] - piece[0]
    view.release()
    return Stripped(data, tuple(walk.stripped))
