"""Validate a policy Document against the shipped JSON Schema; errors carry file:line:col.

The schema (``edgegate/schemas/policy.schema.json``, format ``version: 1``) is package data.
Quantities are checked by ``format: edgegate-quantity:<unit>`` with :func:`parse_quantity`.
Each jsonschema error becomes one line a person can act on: unknown keys and enum values
get a did-you-mean, a node may carry its own message in ``x-error``; a ``max_increase``
(``x-increase: <unit>``) says whether it failed as a percentage or as a quantity.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import json
from collections.abc import Iterable
from typing import Any

import jsonschema

from edgegate.config.document import Document
from edgegate.errors import PolicyError
from edgegate.units import UNIT_KINDS, QuantityError, parse_quantity

FORMAT_PREFIX = "edgegate-quantity:"
_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string",
               "integer": "an integer", "number": "a number", "boolean": "true or false"}


@functools.lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    """The policy JSON Schema shipped in the package."""
    text = importlib.resources.files("edgegate").joinpath("schemas/policy.schema.json").read_text()
    return json.loads(text)


def _format_checker() -> jsonschema.FormatChecker:
    """A FormatChecker that knows one ``edgegate-quantity:<unit>`` format per unit kind."""
    checker = jsonschema.FormatChecker(formats=())
    for kind in UNIT_KINDS:
        checker.checks(FORMAT_PREFIX + kind, raises=QuantityError)(
            functools.partial(_is_quantity, kind=kind))
    return checker


def _is_quantity(value: object, kind: str) -> bool:
    """True when ``value`` parses as a quantity of ``kind``; raises QuantityError otherwise."""
    parse_quantity(value, kind)  # type: ignore[arg-type]
    return True


def validate(document: Document, definition: str | None = None) -> list[PolicyError]:
    """Every schema problem of ``document`` (as a policy, or as ``$defs/<definition>``)."""
    schema = policy_schema()
    if definition is not None:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}", "required": ["version"]}
    validator = jsonschema.Draft202012Validator(schema, format_checker=_format_checker())
    return [problem for error in validator.iter_errors(document.data)
            for problem in _problem(document, error)]


def _problem(document: Document, error: jsonschema.ValidationError) -> list[PolicyError]:
    """The PolicyErrors one jsonschema error stands for (one per unknown key)."""
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        noun = schema.get("x-key-noun", "key")
        extra = [key for key in error.instance if key not in allowed]
        return [document.error(path + (key,), _unknown(noun, key, allowed), key=True)
                for key in extra]
    if "x-error" in schema:
        return [document.error(path, schema["x-error"])]
    if "x-increase" in schema:
        return [document.error(path, _increase_message(error.instance, schema["x-increase"]))]
    return [document.error(path, _message(error))]


def _increase_message(value: object, kind: str) -> str:
    """Why ``value`` is not a ``max_increase``: a percentage like '5%' or a quantity of ``kind``."""
    if isinstance(value, str) and value.strip().endswith("%"):
        negative = value.strip().startswith("-")
        why = "it must not be negative" if negative else "use a number and '%', like '5%'"
        return f"{describe(value)} is not a percentage: {why}"
    try:
        parse_quantity(value, kind)  # type: ignore[arg-type]
    except QuantityError as error:
        return f"{error} (or give a percentage, like '5%')"
    return f"{describe(value)} is not a percentage like '5%' or {UNIT_KINDS[kind][0]}"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'flops'?)`` when ``known`` holds a close match for ``name``, else ''."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unknown(noun: str, key: str, allowed: Iterable[str]) -> str:
    """``unknown metric 'flop' (did you mean 'flops'?)``, or the list of what is allowed."""
    hint = did_you_mean(key, allowed) or f" (expected one of: {', '.join(sorted(allowed))})"
    return f"unknown {noun} '{key}'{hint}"


def _message(error: jsonschema.ValidationError) -> str:
    """A one-line message for the validators the policy schema uses."""
    value, rule = error.instance, error.validator_value
    if error.validator == "format" and error.cause is not None:
        return str(error.cause)
    if error.validator == "type":
        wanted = [rule] if isinstance(rule, str) else list(rule)
        names = " or ".join(_TYPE_NAMES.get(name, name) for name in wanted)
        # the whole file is the wrong type (not a policy at all): name its kind, never quote it
        got = describe(value) if error.absolute_path else _kind(value)
        return f"expected {names}, got {got}"
    if error.validator == "enum":
        shown = [option for option in rule if isinstance(option, str)]  # a switch's false stands for 'off'
        options = ", ".join(f"'{option}'" for option in shown)
        return f"{describe(value)} is not one of {options}{did_you_mean(str(value), shown)}"
    if error.validator == "required":
        missing = [key for key in rule if key not in value]
        return f"missing required key '{missing[0]}'"
    if error.validator == "minimum":
        return f"{describe(value)} is below the minimum {rule}"
    if error.validator == "exclusiveMinimum":
        return f"must be more than {rule}"
    if error.validator in ("minItems", "minProperties"):
        return "must not be empty"
    if error.validator == "pattern":
        return f"{describe(value)} is not a valid name (use letters, digits, '.', '_' and '-')"
    if error.validator == "minLength":
        return "must not be empty"
    return error.message


def describe(value: object) -> str:
    """A value as a person reads it in a message: 'abc', 3, null, a list, a mapping; a long
    one shortened (``'abc...' (5,000 characters)``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = repr(value)
    return shown if len(shown) <= 60 else f"{shown[:40]}... ({len(shown):,} characters)"


def _kind(value: object) -> str:
    """What kind of YAML value ``value`` is, without its content."""
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return describe(value)
