"""Make every text field of a loaded model a ``str``: the one place names are decoded.

protobuf (upb) hands back a ``string`` field whose bytes are not valid UTF-8 as ``bytes``, and
every later ``str`` operation on it (sorting, printing, JSON, SARIF) would fail. The loader
calls :func:`decode_names` once after parsing: each such field, anywhere in the message
(nodes, tensors, attributes, subgraphs, functions, dimension names, metadata), is replaced by
its text with the odd bytes as ``\\xNN`` escapes, so names stay distinct and printable and
nothing past the loader ever sees ``bytes`` where a name belongs.
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

_STRING = FieldDescriptor.TYPE_STRING
_MESSAGE = FieldDescriptor.TYPE_MESSAGE


def is_repeated(field: FieldDescriptor) -> bool:
    """True for a repeated field, in every protobuf: ``is_repeated`` where it has one (4.21 has
    not), else ``label``, which newer ones deprecate."""
    flag = getattr(field, "is_repeated", None)
    return bool(flag) if flag is not None else field.label == FieldDescriptor.LABEL_REPEATED


_REPEATED: dict[FieldDescriptor, bool] = {}


def decode_names(message: Message) -> int:
    """Replace every ``string`` field of ``message`` (recursively, without recursion) that
    holds bytes by its text; return how many were replaced."""
    replaced = 0
    stack = [message]
    while stack:
        current = stack.pop()
        for field, value in current.ListFields():
            kind = field.type
            if kind != _STRING and kind != _MESSAGE:
                continue
            repeated = _REPEATED.get(field)
            if repeated is None:
                repeated = _REPEATED[field] = is_repeated(field)
            if kind == _MESSAGE:
                if repeated:
                    stack.extend(value)
                else:
                    stack.append(value)
            elif repeated:
                for index, item in enumerate(value):
                    if isinstance(item, bytes):
                        value[index] = item.decode("utf-8", "backslashreplace")
                        replaced += 1
            elif isinstance(value, bytes):
                setattr(current, field.name, value.decode("utf-8", "backslashreplace"))
                replaced += 1
    return replaced

