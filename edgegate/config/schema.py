"""Validate a policy Document against the shipped JSON Schema; errors carry file:line:col.

The schema (``edgegate/schemas/policy.schema.json``, format ``version: 1``) is package data.
Quantities are checked by ``format: edgegate-quantity:<unit>`` with :func:`parse_quantity`.
A valid document is recognised by :func:`conforms`, without importing jsonschema (0.08 s of
CPU, most of a hook's overhead); any other is handed to jsonschema, which finds and
:mod:`edgegate.config.problems` words every problem.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from typing import Any

from edgegate.config.conforms import Unsupported, conforms
from edgegate.config.document import Document
from edgegate.config.quantities import FORMATS, is_quantity
from edgegate.errors import PolicyError
from edgegate.units import QuantityError


@functools.lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    """The policy JSON Schema shipped in the package."""
    text = importlib.resources.files("edgegate").joinpath("schemas/policy.schema.json").read_text()
    return json.loads(text)


def validate(document: Document, definition: str | None = None) -> list[PolicyError]:
    """Every schema problem of ``document`` (as a policy, or as ``$defs/<definition>``)."""
    schema = policy_schema()
    if definition is not None:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}", "required": ["version"]}
    try:
        if conforms(document.data, schema, _has_format):
            return []
    except Unsupported:
        pass
    # jsonschema is imported only for a document that may be invalid (see the module docstring)
    from edgegate.config.problems import problems
    return problems(document, schema)


def _has_format(value: object, name: str) -> bool:
    """Whether ``value`` has the quantity format ``name``, as the problems' FormatChecker says."""
    if name not in FORMATS:
        raise Unsupported(f"format {name!r}")
    try:
        return is_quantity(value, FORMATS[name])
    except QuantityError:
        return False
