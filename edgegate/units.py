"""Human units: format quantities for people (``4.09 GMAC``, ``12.3 MiB``) and parse them back.

Bytes are formatted with binary prefixes (KiB = 1024 B); counts (FLOP, MAC, params) and rates
with decimal ones (k = 1000). Parsing accepts both for bytes (``4 MiB`` vs ``4 MB``) and is
exact: numbers are read as fractions, so ``1.1 GFLOP`` is exactly 1100000000.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

BINARY_PREFIXES: tuple[tuple[str, int], ...] = (
    ("Ti", 1024**4),
    ("Gi", 1024**3),
    ("Mi", 1024**2),
    ("Ki", 1024),
)
DECIMAL_PREFIXES: tuple[tuple[str, int], ...] = (
    ("T", 10**12),
    ("G", 10**9),
    ("M", 10**6),
    ("k", 10**3),
)
_UNPREFIXED = frozenset({"ms", "fps"})


def percent(before: int | float | None, after: int | float | None) -> float | None:
    """Change from ``before`` to ``after`` in percent of ``before``; None when either is missing
    or ``before`` is 0 (no meaningful percentage)."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / before * 100


class QuantityError(ValueError):
    """A quantity string that does not parse; the message says what is accepted."""


def _three_digits(value: float) -> str:
    """``value`` with three significant digits, no exponent (4.09, 12.3, 512)."""
    if not math.isfinite(value):
        return str(value)
    if value >= 100 or value == int(value):
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_quantity(value: int | float, unit: str) -> str:
    """Format ``value`` of base ``unit`` with a prefix: bytes binary, everything else decimal.

    A number past what a float holds (only a document edited by hand has one) is shown in
    scientific notation rather than failing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} {unit}"
    if isinstance(value, int) and abs(value) >= MAX_QUANTITY * 1024:
        return f"{Decimal(value):.3g} {unit}"
    if unit == "FLOP/B":
        return f"{value:.2f} FLOP/B" if value < 100 else f"{value:.0f} FLOP/B"
    if unit in _UNPREFIXED:
        return f"{_three_digits(value) if abs(value) >= 1 else f'{value:.3g}'} {unit}"
    prefixes = BINARY_PREFIXES if unit == "B" else DECIMAL_PREFIXES
    magnitude = abs(value)
    for prefix, scale in prefixes:
        if magnitude >= scale:
            return f"{_three_digits(value / scale)} {prefix}{unit}"
    return f"{value:g} {unit}" if isinstance(value, float) else f"{value} {unit}"


def _scaled(base: str, prefixes: tuple[tuple[str, int], ...]) -> dict[str, Fraction]:
    """``{prefix + base: scale}`` for each prefix, plus the bare base unit."""
    table = {prefix + base: Fraction(scale) for prefix, scale in prefixes}
    table[base] = Fraction(1)
    return table


_BYTES = _scaled("B", BINARY_PREFIXES + DECIMAL_PREFIXES)
_PER_SECOND = {f"{name}/s": scale for name, scale in _BYTES.items()}
_COUNT_PREFIXES = {prefix: Fraction(scale) for prefix, scale in DECIMAL_PREFIXES}


def _count(*names: str) -> dict[str, Fraction]:
    """A count unit under each of its spellings, decimal prefixes, and bare prefixes."""
    table = dict(_COUNT_PREFIXES)
    for name in names:
        table.update(_scaled(name, DECIMAL_PREFIXES))
    return table


UNIT_KINDS: dict[str, tuple[str, dict[str, Fraction]]] = {
    "B": ("a size in bytes", _BYTES),
    "B/s": ("a bandwidth", _PER_SECOND),
    "FLOP": ("a FLOP count", _count("FLOP", "FLOPs")),
    "FLOP/B": ("an arithmetic intensity", {"FLOP/B": Fraction(1)}),
    "FLOP/s": ("a compute rate", _count("FLOP/s", "FLOPS", "OP/s", "OPS")),
    "MAC": ("a MAC count", _count("MAC", "MACs")),
    "fps": ("a frame rate", {"fps": Fraction(1)}),
    "ms": ("a time", {"ms": Fraction(1), "s": Fraction(1000), "us": Fraction(1, 1000),
                      "µs": Fraction(1, 1000)}),
    "param": ("a parameter count", _count("param", "params")),
}
"""Each unit kind: its noun for messages and the spellings it accepts, mapped to their scale."""

EXAMPLES: dict[str, str] = {
    "B": "B, kB, MB, GB (1000) or KiB, MiB, GiB (1024)",
    "B/s": "B/s, kB/s, MB/s, GB/s or KiB/s, MiB/s, GiB/s",
    "FLOP": "FLOP, kFLOP, MFLOP, GFLOP, TFLOP",
    "FLOP/B": "FLOP/B",
    "FLOP/s": "FLOP/s, GFLOP/s, TFLOP/s, GOP/s, TOPS",
    "MAC": "MAC, kMAC, MMAC, GMAC",
    "fps": "fps",
    "ms": "ms, s, us",
    "param": "params, kparams, Mparams, or a bare k/M/G",
}
"""The accepted spellings, as messages list them."""

_QUANTITY = re.compile(r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:[eE]([+-]?[0-9]+))?\s*(\S*(?:\s+\S+)?)",
                       re.ASCII)
_HINTS = {"KB": "KB is ambiguous: use kB (1000 B) or KiB (1024 B)"}

MAX_QUANTITY = 2**63 - 1
"""The largest quantity a policy or target may state, in its base unit: sizes and counts are
64-bit in ONNX, and no rate or time comes near it."""
MAX_DIGITS = 40
"""Digits a quantity's number may have (before its exponent): more say nothing a float can hold."""
MAX_EXPONENT = 400
"""The largest exponent a quantity may write (``1e400``); bigger ones are refused before
anything computes ``10**exponent``."""


def parse_quantity(text: str | int | float, unit_kind: str) -> int | float:
    """``text`` in the base unit of ``unit_kind`` (a key of UNIT_KINDS); a plain number is the base.

    Whole results are exact ints (``4 MiB`` -> 4194304); others are the nearest float.
    Raises QuantityError naming the spellings the kind accepts.
    """
    noun, spellings = UNIT_KINDS[unit_kind]
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise QuantityError(
            f"{text!r} is not {noun}: expected a number or a string like '{_example(unit_kind)}'"
        )
    if isinstance(text, float) and not math.isfinite(text):
        raise QuantityError(f"{text!r} is not {noun}: it must be finite")
    number, unit = (Fraction(text), "") if not isinstance(text, str) else _split(text, noun, unit_kind)
    spelled = re.sub(r"\s+", "", unit)
    if unit and spelled not in spellings:
        hint = _HINTS.get(unit) or f"use {EXAMPLES[unit_kind]}, or a plain number in {unit_kind}"
        raise QuantityError(f"{_shown(text)} is not {noun}: unknown unit '{unit}' ({hint})")
    if number < 0:
        raise QuantityError(f"{_shown(text)} is not {noun}: it must not be negative")
    value = number * (spellings[spelled] if unit else 1)
    if value > MAX_QUANTITY:
        raise QuantityError(f"{_shown(text)} is not {noun}: it is more than 2^63 - 1 {unit_kind}")
    return value.numerator if value.denominator == 1 else float(value)


def _shown(text: str | int | float) -> str:
    """A quantity as messages quote it: repr, shortened past 60 characters."""
    shown = repr(text)
    return shown if len(shown) <= 60 else f"{shown[:40]}... ({len(shown)} characters)"


def _split(text: str, noun: str, unit_kind: str) -> tuple[Fraction, str]:
    """The number and the unit (which may be ``M params``) of a quantity string."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None:
        raise QuantityError(
            f"{_shown(text)} is not {noun}: expected a number and a unit, like '{_example(unit_kind)}'"
        )
    mantissa, exponent, unit = match.groups()
    if len(mantissa) > MAX_DIGITS:
        raise QuantityError(f"{_shown(text)} is not {noun}: more than {MAX_DIGITS} digits")
    if exponent is not None and (len(exponent) > 5 or abs(int(exponent)) > MAX_EXPONENT):
        raise QuantityError(f"{_shown(text)} is not {noun}: the exponent is out of range")
    number = Fraction(mantissa) * Fraction(10) ** int(exponent or 0)
    return number, unit


def _example(unit_kind: str) -> str:
    """One well-formed quantity of the kind, for messages."""
    return {"B": "4 MiB", "B/s": "2 GB/s", "FLOP": "8 GFLOP", "FLOP/B": "25 FLOP/B",
            "FLOP/s": "4 TOPS", "MAC": "600 MMAC", "fps": "30 fps", "ms": "33 ms",
            "param": "5M params"}[unit_kind]


def round_limit(value: int | float | Fraction, unit: str, up: bool = True) -> str:
    """A limit near ``value`` that reads well and parses back: two significant digits, rounded
    away from ``value`` (up for a maximum, down for a minimum), in ``format_quantity``'s prefix.
    """
    scale, prefix = 1, ""
    if unit not in _UNPREFIXED and unit != "FLOP/B":
        prefixes: tuple[tuple[str, int], ...] = BINARY_PREFIXES if unit == "B" else DECIMAL_PREFIXES
        for name, size in prefixes:
            if abs(Fraction(value)) >= size:
                scale, prefix = size, name
                break
    scaled = Fraction(value) / scale
    if scaled == 0:
        return f"0 {unit}"
    step = Fraction(10) ** (math.floor(math.log10(scaled)) - 1)
    steps = math.ceil(scaled / step) if up else math.floor(scaled / step)
    rounded = steps * step
    digits = f"{float(rounded):.10g}"
    return f"{digits} {prefix}{unit}"
