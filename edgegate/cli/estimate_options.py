"""Options shared by every command that estimates models: bindings, precision, fusion."""

from __future__ import annotations

import argparse
import math
import re
from typing import Any

from edgegate.cost.dtypes import PRECISION_BITS
from edgegate.errors import UsageError
from edgegate.estimator.fusion import FUSIONS

_COUNT = re.compile(r"[0-9]{1,100}", re.ASCII)
"""A size: ASCII digits only (``str.isdigit`` also takes ``²``), at most 100 of them (Python
refuses to convert more than 4,300; the bindings refuse more than 2^63 - 1)."""


def _pair(text: str, option: str, example: str) -> tuple[str, str]:
    """NAME=VALUE split at the last '=' (a name may hold anything else: optimum names a
    dimension 'past_sequence_length + sequence_length'), both stripped."""
    name, equals, value = text.rpartition("=")
    name, value = name.strip(), value.strip()
    if not equals or not name or not value or any(c.isspace() for c in value):
        raise UsageError(f"{option} '{text}' is not NAME=VALUE (for example {option} {example})")
    return name, value


def _count(text: str) -> int | None:
    """``text`` as a non-negative size, or None when it is not one."""
    return int(text) if _COUNT.fullmatch(text) else None


def parse_dim(text: str) -> tuple[str, int]:
    """``batch=1`` -> ("batch", 1); 0 is a size (an empty KV cache: past_sequence_length=0)."""
    name, value = _pair(text, "--dim", "batch=1")
    size = _count(value)
    if size is None:
        raise UsageError(f"--dim {name}: '{value}' is not a non-negative integer")
    return name, size


def parse_shape(text: str) -> tuple[str, tuple[int, ...]]:
    """``images=1x3x640x640`` (or commas) -> ("images", (1, 3, 640, 640)); 0 sizes allowed."""
    name, value = _pair(text, "--input-shape", "images=1x3x640x640")
    sizes = [_count(part) for part in re.split(r"[x,]", value)]
    if any(size is None for size in sizes):
        raise UsageError(
            f"--input-shape {name}: '{value}' is not a shape of non-negative integers like 1x3x224x224"
        )
    return name, tuple(size for size in sizes if size is not None)


def finite_float(text: str) -> float:
    """An option's number, finite (``nan`` and ``inf`` are refused); argparse names the option
    in its error."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def parse_trips(text: str) -> tuple[str, int]:
    """``loop_1=8`` -> ("loop_1", 8): a Loop's trip count when edgegate cannot derive it."""
    name, value = _pair(text, "--loop-trips", "default=8")
    trips = _count(value)
    if trips is None:
        raise UsageError(f"--loop-trips {name}: '{value}' is not a non-negative integer")
    return name, trips


def parse_value(text: str) -> tuple[str, float]:
    """``sr=16000`` -> ("sr", 16000.0): a scalar input given a constant value."""
    name, value = _pair(text, "--input-value", "sr=16000")
    try:
        return name, finite_float(value)
    except argparse.ArgumentTypeError:
        raise UsageError(f"--input-value {name}: '{value}' is not a finite number") from None


def add_binding_arguments(parser: argparse.ArgumentParser) -> None:
    """--dim, --input-shape, --input-value and --loop-trips."""
    parser.add_argument("--dim", action="append", default=[], metavar="NAME=N",
                        help="bind a symbolic dimension, e.g. --dim batch=1 (repeatable)")
    parser.add_argument("--input-shape", action="append", default=[], metavar="INPUT=SHAPE",
                        help="bind a whole input shape, e.g. --input-shape images=1x3x640x640")
    parser.add_argument("--input-value", action="append", default=[], metavar="INPUT=V",
                        help="give a scalar input a constant value, e.g. --input-value sr=16000")
    parser.add_argument("--loop-trips", action="append", default=[], metavar="NODE=N",
                        help="trip count of a Loop whose count cannot be derived, by node name"
                        " or 'default' for any, e.g. --loop-trips default=8")


def add_estimate_arguments(parser: argparse.ArgumentParser) -> None:
    """The bindings, --precision and --fusion."""
    add_binding_arguments(parser)
    parser.add_argument("--precision", choices=list(PRECISION_BITS), default="model",
                        help="element size: each tensor's own dtype (model), or as if float"
                        " tensors were fp32/fp16/int8 (default: model)")
    parser.add_argument("--fusion", choices=list(FUSIONS), default="paper",
                        help="paper: fold BN and fuse activations into Conv/Gemm/MatMul;"
                        " none: every node is its own layer (default: paper)")


def bindings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for ``edgegate.estimate`` from the parsed binding options."""
    return {
        "dims": dict(parse_dim(t) for t in args.dim),
        "input_shapes": dict(parse_shape(t) for t in args.input_shape),
        "input_values": dict(parse_value(t) for t in args.input_value),
        "loop_trips": dict(parse_trips(t) for t in args.loop_trips),
    }
