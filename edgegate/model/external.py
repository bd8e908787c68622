"""Bring the small tensors a model keeps in external data files into the model, by offset.

Big weights in external files are never read (their shapes and dtypes are all an estimate
needs). Small ones can be what shape arithmetic needs: a writer given a size threshold of 0
(onnx's ``save`` when asked, onnx_ir's default) moves a Reshape's 1-element shape constant
out of the model too, and without its value every node after it is left without a shape.
Each such tensor of at most :data:`~edgegate.model.wire.PAYLOAD_THRESHOLD` bytes (the size up
to which an embedded tensor keeps its values) is read by offset and put in the model as raw
data, as if the file had embedded it. Whatever cannot be read this way (a missing or odd
data file, a location outside the model's folder, a range past the file's end) stays
external, as before: its value is unknown.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import onnx

from edgegate.model.order import all_graphs
from edgegate.model.wire import PAYLOAD_THRESHOLD

MAX_INLINED = 4096
"""The most external tensors read per model (at most 4 MiB): shape constants are a few per
layer; a model with more small external tensors keeps the rest unread."""

_FIXED_SIZE: dict[int, int] = {
    onnx.TensorProto.FLOAT: 4, onnx.TensorProto.UINT8: 1, onnx.TensorProto.INT8: 1,
    onnx.TensorProto.UINT16: 2, onnx.TensorProto.INT16: 2, onnx.TensorProto.INT32: 4,
    onnx.TensorProto.INT64: 8, onnx.TensorProto.BOOL: 1, onnx.TensorProto.FLOAT16: 2,
    onnx.TensorProto.DOUBLE: 8, onnx.TensorProto.UINT32: 4, onnx.TensorProto.UINT64: 8,
    onnx.TensorProto.BFLOAT16: 2,
}
"""Bytes per element of the dtypes whose raw data is elements back to back."""


def _tensors(model: onnx.ModelProto) -> Iterator[onnx.TensorProto]:
    """Every initializer and Constant node value of every graph and function."""
    for graph in all_graphs(model):
        yield from getattr(graph, "initializer", ())
        for node in graph.node:
            if node.op_type == "Constant":
                yield from (a.t for a in node.attribute if a.type == onnx.AttributeProto.TENSOR)


def _expected_bytes(tensor: onnx.TensorProto) -> int | None:
    """The raw size of the tensor when it is small enough to inline, else None."""
    width = _FIXED_SIZE.get(tensor.data_type)
    if width is None or any(d < 0 for d in tensor.dims):
        return None
    size = width
    for dim in tensor.dims:
        size *= dim
        if size > PAYLOAD_THRESHOLD:
            return None
    return size


def _placement(tensor: onnx.TensorProto) -> tuple[str, int, int | None] | None:
    """(location, offset, length or None) from the tensor's external_data, or None if unusable."""
    entries = {entry.key: entry.value for entry in tensor.external_data}
    location = entries.get("location", "")
    try:
        offset = int(entries.get("offset", "0"))
        length = int(entries["length"]) if "length" in entries else None
    except ValueError:
        return None
    if not location or offset < 0 or (length is not None and length < 0):
        return None
    return location, offset, length


def _data_file(folder: str, location: str) -> str | None:
    """The path of a data file named relative to the model's folder, or None for a name that
    is absolute, leads out of the folder (by ``..`` or a symlink), or is not a regular file."""
    if "\0" in location or os.path.isabs(location):
        return None
    try:
        path = os.path.realpath(os.path.join(folder, location))
        inside = path.startswith(os.path.join(os.path.realpath(folder), ""))
        return path if inside and stat.S_ISREG(os.stat(path).st_mode) else None
    except (OSError, ValueError):
        return None


class _DataFiles:
    """Open data files, each opened once, read by offset."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self._open: dict[str, int | None] = {}

    def read(self, location: str, offset: int, size: int) -> bytes | None:
        """``size`` bytes at ``offset`` of the data file, or None when they cannot all be read."""
        if location not in self._open:
            path = _data_file(self._folder, location)
            try:
                self._open[location] = None if path is None else os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                self._open[location] = None
        descriptor = self._open[location]
        if descriptor is None:
            return None
        try:
            data = os.pread(descriptor, size, offset)
        except (OSError, OverflowError):
            return None
        return data if len(data) == size else None

    def close(self) -> None:
        """Close every file opened."""
        for descriptor in self._open.values():
            if descriptor is not None:
                os.close(descriptor)


def uses_external_data(model: onnx.ModelProto) -> bool:
    """True when an initializer of the main graph is external: where writers put weights, so
    a model without one is not searched further."""
    return any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)


def inline_small_external(model: onnx.ModelProto, model_path: str) -> int:
    """Read each small external tensor of ``model`` (a file at ``model_path``) into the model as
    raw data; return how many were read."""
    if not uses_external_data(model):
        return 0
    files = _DataFiles(os.path.dirname(os.path.abspath(model_path)))
    inlined = 0
    try:
        for tensor in _tensors(model):
            if inlined >= MAX_INLINED:
                break
            if tensor.data_location != onnx.TensorProto.EXTERNAL:
                continue
            size, placement = _expected_bytes(tensor), _placement(tensor)
            if size is None or placement is None or placement[2] not in (None, size):
                continue
            data = files.read(placement[0], placement[1], size)
            if data is not None:
                tensor.ClearField("external_data")
                tensor.data_location = onnx.TensorProto.DEFAULT
                tensor.raw_data = data
                inlined += 1
    finally:
        files.close()
    return inlined
