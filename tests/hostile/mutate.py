"""Byte-level and field-level mutation of valid models and policies.

``mutate_model(rng, data)`` and ``mutate_policy(rng, text)`` take a valid seed and return a
hostile neighbour; ``mutate_fields(rng, model)`` sets a random integer/string field anywhere in
a parsed ModelProto to an extreme value (dims, attributes, opset versions, data types...).
Seeds: the repo's example models and policies, plus gen.models' small builders.
"""

from __future__ import annotations

import random
from pathlib import Path

import onnx
from google.protobuf.message import Message

from edgegate.model.names import is_repeated
from tests.hostile import models as M
from tests.hostile.models import EXTREME_INTS

SRC = Path(__file__).resolve().parents[2]

MAGIC_BYTES = [b"\x00", b"\xff", b"\x80" * 10, b"\xff" * 9 + b"\x01", b"\x7f", b"\x08\x80\x80\x80\x80\x10",
               b"\x12\x00", b"\x1a\xff\xff\xff\xff\x0f", b"\x0a\x80\x80\x80\x80\x80\x80\x80\x80\x01"]
POLICY_TOKENS = ["\x00", "\t", "\ufeff", "\ufffe", "[", "]", "{", "}", "&a ", "*a", "!!python/name:x ",
                 "!!float ", "'", '"', "\n", "  ", "...", "---", ": ", "- ", "? ", "%", "#", "|", ">",
                 "1e400", "9" * 5000, ".nan", "-.inf", "[z-a]", "[!]", "**/" * 12, "*a" * 10,
                 "/proc/self/environ", "/etc/passwd", "\udcff", "\x85", "\u2028", "\r", "<<: ",
                 "::error title=PWNED::PWNED", "##[error]PWNED", "\\", "~", "null", "-1", "0"]


def seed_models() -> list[bytes]:
    seeds = [p.read_bytes() for p in sorted((SRC / "examples").glob("*.onnx"))]
    seeds += [M.conv_model(), M.relu_model(), M.loop_with_dims([1, 4]), M.scan_model(1),
              M.function_model("too_few_inputs")]
    return seeds


def seed_policies() -> list[str]:
    found = [p.read_text() for p in sorted((SRC / "tests/policies/valid").glob("*.yaml"))]
    found += [p.read_text() for p in sorted((SRC / "policies/presets").glob("*.yaml"))]
    found += [p.read_text() for p in sorted((SRC / "policies/targets").glob("*.yaml"))]
    found.append((SRC / "examples/edgegate.yaml").read_text())
    return found


def mutate_model(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4, 8])):
        if not out:
            break
        kind = rng.randrange(8)
        at = rng.randrange(len(out))
        if kind == 0:
            out[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            out[at:at + 4] = bytes(rng.randrange(256) for _ in range(4))
        elif kind == 2:
            out[at:at] = rng.choice(MAGIC_BYTES)
        elif kind == 3:
            del out[at:at + rng.randint(1, 16)]
        elif kind == 4:
            del out[rng.randrange(len(out) + 1):]
        elif kind == 5:
            other = rng.randrange(len(out))
            out[at:at] = out[other:other + rng.randint(1, 64)]
        elif kind == 6:
            out[at] = rng.choice([0x00, 0x7F, 0x80, 0xFF, 0x08, 0x0A, 0x12])
        else:
            out += rng.choice(MAGIC_BYTES)
    return bytes(out)


def _ints_fields(message: Message, found: list) -> None:
    for descriptor, value in message.ListFields():
        if descriptor.type == descriptor.TYPE_MESSAGE:
            items = value if is_repeated(descriptor) else [value]
            for item in items:
                _ints_fields(item, found)
        elif descriptor.cpp_type in (descriptor.CPPTYPE_INT64, descriptor.CPPTYPE_INT32,
                                     descriptor.CPPTYPE_UINT64, descriptor.CPPTYPE_ENUM):
            found.append((message, descriptor))


def mutate_fields(rng: random.Random, data: bytes) -> bytes:
    """Set one to three integer fields (anywhere in the model) to extreme values."""
    model = onnx.ModelProto()
    model.ParseFromString(data)
    found: list = []
    _ints_fields(model, found)
    for _ in range(rng.randint(1, 3)):
        if not found:
            break
        message, descriptor = rng.choice(found)
        value = rng.choice(EXTREME_INTS)
        if descriptor.cpp_type == descriptor.CPPTYPE_INT32 or descriptor.cpp_type == descriptor.CPPTYPE_ENUM:
            value = max(min(value, 2**31 - 1), -(2**31))
        if descriptor.cpp_type == descriptor.CPPTYPE_UINT64:
            value = abs(value) % 2**64
        try:
            if is_repeated(descriptor):
                field = getattr(message, descriptor.name)
                if len(field):
                    field[rng.randrange(len(field))] = value
            else:
                setattr(message, descriptor.name, value)
        except (ValueError, TypeError):
            pass
    return model.SerializeToString()


def mutate_policy(rng: random.Random, text: str) -> str:
    lines = text.splitlines()
    for _ in range(rng.choice([1, 1, 2, 3])):
        kind = rng.randrange(7)
        if not lines:
            lines = ["version: 1"]
        at = rng.randrange(len(lines))
        if kind == 0:
            col = rng.randrange(len(lines[at]) + 1)
            lines[at] = lines[at][:col] + rng.choice(POLICY_TOKENS) + lines[at][col:]
        elif kind == 1:
            del lines[at]
        elif kind == 2:
            lines.insert(at, lines[rng.randrange(len(lines))])
        elif kind == 3:
            lines[at] = rng.choice(["", " ", "  ", "\t"]) + lines[at].lstrip() if rng.random() < 0.5 else " " + lines[at]
        elif kind == 4:
            import re
            lines[at] = re.sub(r"\d+(\.\d+)?", lambda _: rng.choice(["1e400", "9" * 5000, "-1", "0", ".nan",
                                                                     "1e999999", "0x10", "²"]), lines[at], count=1)
        elif kind == 5:
            col = rng.randrange(len(lines[at]) + 1)
            lines[at] = lines[at][:col] + chr(rng.choice([0, 9, 0x85, 0xFEFF, 0xFFFE, 0x2028, 0xD800 + 0xFF, 0x1F600]))\
                + lines[at][col:]
        else:
            lines[at] = lines[at].replace(":", ": [" * rng.randint(1, 3), 1)
    return "\n".join(lines) + "\n"
