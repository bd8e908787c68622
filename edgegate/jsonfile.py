"""Read a JSON file that edgegate wrote earlier (a baseline, a check result, a history), with
one-line errors; write JSON that is safe to print in a CI log.

Reading goes through the file gate (:func:`edgegate.files.read_text`: a regular file of at
most :data:`MAX_JSON_BYTES`), refuses what Python's ``json`` would accept but no edgegate
document holds (``NaN``, ``Infinity``, numbers that overflow a float, integers too long to
convert) and documents nested deeper than :data:`MAX_JSON_DEPTH`, so whatever walks the data
next (schema validation, the reporters) never recurses without bound.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from edgegate.errors import UsageError
from edgegate.files import read_text

MAX_JSON_BYTES = 256 << 20
"""The largest JSON input (a baseline, a merged check result, a history) edgegate reads."""

MAX_JSON_DEPTH = 64
"""The deepest nesting of lists and objects in a JSON input; edgegate's own documents use
fewer than 10 levels."""


class _Refused(ValueError):
    """A JSON value edgegate refuses; the message says which."""


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is out of range")
    return value


def _constant(text: str) -> float:
    raise _Refused(f"{text} is not a number JSON allows")


def parse_json(text: str) -> Any:
    """``text`` parsed; ValueError (with the reason) for what :func:`read_json` refuses."""
    try:
        data = json.loads(text, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    depth = nesting(data)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested {depth} levels deep, more than {MAX_JSON_DEPTH}")
    return data


def nesting(data: Any) -> int:
    """How deeply lists and objects nest in ``data`` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def read_json(path: str | Path, what: str, missing: str = "no such file") -> Any:
    """The parsed content of ``path``; UsageError naming the file when it is missing
    (``missing``), not a regular file, too big, or not JSON (``not a {what}: ...``)."""
    text = read_text(path, what, MAX_JSON_BYTES, missing=missing)
    try:
        return parse_json(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"not a {what}: cannot read it as JSON ({error})", str(path)) from None
    except ValueError as error:
        raise UsageError(f"not a {what}: {_first_line(error)}", str(path)) from None


def _first_line(error: Exception) -> str:
    """An exception's message, first line, at most 200 characters."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:200]


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps(value, **options)`` with every ``##[`` written ``#\\u0023[``: the same
    document to a JSON reader, but a line no GitHub runner reads as a workflow command."""
    return json.dumps(value, **options).replace("##[", "#\\u0023[")
