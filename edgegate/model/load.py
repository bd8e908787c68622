"""Read an ONNX file for estimation: no big weight payloads (embedded or external), clear errors.

The file is read by offset and copied without tensor payloads over
:data:`~edgegate.model.wire.PAYLOAD_THRESHOLD` bytes (see :mod:`edgegate.model.wire`), so a
model with gigabytes of weights loads as fast as the same graph with none. Small tensors
keep their values for shape folding. A tensor whose payload was dropped keeps its name,
dims and dtype; :func:`payload_dropped` tells it apart. Sparse initializers become dense
initializers without values (edgegate.model.sparse), as a runtime densifies them. External
data files are opened only for their small tensors (edgegate.model.external), read by
offset; big ones are never read.
"""

from __future__ import annotations

import errno
import math
import os
import stat
from dataclasses import dataclass
from typing import BinaryIO

import onnx
from google.protobuf.message import DecodeError

from edgegate.errors import ModelError
from edgegate.model.external import inline_small_external
from edgegate.model.names import decode_names
from edgegate.model.sparse import densify_sparse_initializers
from edgegate.model.wire import Source, WireError, strip_payloads

LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"

_PAYLOAD_FIELDS = ("raw_data", "float_data", "int32_data", "int64_data", "double_data",
                   "uint64_data", "string_data")

_OPEN_ERRORS = {
    errno.ENOENT: "no such file",
    errno.ENOTDIR: "no such file (a parent is not a directory)",
    errno.EISDIR: "is a directory, not an ONNX file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "symlink loop",
    errno.ENAMETOOLONG: "file name too long",
}


@dataclass(frozen=True)
class LoadedModel:
    """A model read by :func:`load_model_info`.

    ``stripped`` names the tensors whose payload was dropped (initializers, sparse values and
    named attribute tensors); ``file_bytes`` is the size of the .onnx file itself.
    """

    model: onnx.ModelProto
    stripped: frozenset[str]
    file_bytes: int


def load_model(path: str | os.PathLike[str]) -> onnx.ModelProto:
    """The ModelProto in ``path``, without big payloads (embedded or external); ModelError if bad."""
    return load_model_info(path).model


def load_model_info(path: str | os.PathLike[str]) -> LoadedModel:
    """Like :func:`load_model`, plus which tensors lost their payload and the file size."""
    shown = os.fspath(path)
    data, stripped, size = _read_stripped(shown)
    model = onnx.ModelProto()
    try:
        model.ParseFromString(bytes(data))  # protobuf before 5 takes bytes only, not a bytearray
    except DecodeError as error:
        raise ModelError(f"not an ONNX model: protobuf decode error ({error})", shown) from None
    except UnicodeDecodeError as error:
        raise ModelError(_not_utf8(error), shown) from None
    if not model.HasField("graph"):
        raise ModelError(f"not an ONNX model: {_describe_content(data)}has no graph", shown)
    normalize(model)
    inline_small_external(model, shown)
    return LoadedModel(model, frozenset(stripped), size)


def _not_utf8(error: UnicodeDecodeError) -> str:
    """The problem of a text field whose bytes are not UTF-8, under protobuf's pure-Python
    backend (``PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python``), which refuses to parse one; the
    default backend reads it and edgegate.model.names escapes the odd bytes."""
    field = str(error).rpartition(" in field: ")[2] or "a text field"
    return (f"{field} is not valid UTF-8, which protobuf's pure-Python backend cannot read"
            " (its default backend can, from protobuf 4.21 on, with PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"
            " unset)")


def normalize(model: onnx.ModelProto) -> None:
    """What every model gets before edgegate reads it, from a file or in memory: names decoded
    to text (edgegate.model.names), sparse initializers densified (edgegate.model.sparse)."""
    decode_names(model)
    densify_sparse_initializers(model)


def payload_dropped(tensor: onnx.TensorProto) -> bool:
    """True when the loader dropped this tensor's values: elements, no data, not external."""
    if tensor.data_location == onnx.TensorProto.EXTERNAL or math.prod(tensor.dims) == 0:
        return False
    return not any(len(getattr(tensor, name)) for name in _PAYLOAD_FIELDS)


def _read_stripped(path: str) -> tuple[bytearray, tuple[str, ...], int]:
    """Read the file without big payloads; return (stripped bytes, stripped names, file size)."""
    with _open(path) as file:
        info = os.fstat(file.fileno())
        if info.st_size == 0:
            raise ModelError("file is empty (0 bytes), not an ONNX model", path)
        source = Source(file.fileno(), info.st_size)
        head = source.read(0, 256)
        if head.startswith(LFS_POINTER_PREFIX):
            problem = f"is a Git LFS pointer, not the model{_lfs_size(head)}"
            raise ModelError(f"{problem}: run `git lfs pull` to fetch it", path)
        try:
            result = strip_payloads(source)
        except WireError as error:
            if error.truncated:
                problem = f"truncated ONNX file ({info.st_size} bytes): {error.problem}"
            else:
                problem = f"not an ONNX model: {_describe_content(head)}{error.problem}"
            raise ModelError(problem, path) from None
        except OSError as error:
            raise ModelError(f"cannot read: {error.strerror}", path) from None
    return result.data, result.stripped, info.st_size


def _open(path: str) -> BinaryIO:
    """Open a regular file for reading; ModelError naming why it cannot be."""
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISREG(mode):  # checked first: open() blocks on a FIFO without a writer
            return open(path, "rb")
        problem = _OPEN_ERRORS[errno.EISDIR] if stat.S_ISDIR(mode) else "not a regular file"
    except OSError as error:
        problem = _OPEN_ERRORS.get(error.errno or 0, f"cannot open: {error.strerror}")
    except ValueError:  # os.stat refuses a name holding a NUL byte
        problem = "cannot open: the file name holds a NUL byte"
    raise ModelError(problem, path)


def _describe_content(head: bytes | bytearray) -> str:
    """'looks like a text file; ' when the first bytes are printable text, else ''."""
    text = bytes(head[:256]).decode("utf-8", "replace")
    printable = sum(ch.isprintable() or ch in "\t\n\r" for ch in text)
    return "looks like a text file; " if text and printable >= len(text) - 1 else ""


def _lfs_size(head: bytes) -> str:
    """' of N bytes' from an LFS pointer's ``size N`` line, or '' when it has none."""
    for line in head.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(" ")
        if key == "size" and value.isdigit():
            return f" of {int(value)} bytes"
    return ""
