"""Every way a policy Document breaks its schema, found by jsonschema, each as one line with
file:line:col.

Each jsonschema error becomes one line a person can act on: unknown keys and enum values get
a did-you-mean, a node may carry its own message in ``x-error``; a ``max_increase``
(``x-increase: <unit>``) says whether it failed as a percentage or as a quantity.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import jsonschema

from edgegate.config.document import Document
from edgegate.config.quantities import FORMATS, is_quantity
from edgegate.config.wording import describe, did_you_mean, value_kind
from edgegate.errors import PolicyError
from edgegate.units import UNIT_KINDS, QuantityError, parse_quantity

_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string",
               "integer": "an integer", "number": "a number", "boolean": "true or false"}


def problems(document: Document, schema: dict[str, Any]) -> list[PolicyError]:
    """Every problem jsonschema finds in ``document`` against ``schema``, in its order."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=format_checker())
    return [problem for error in validator.iter_errors(document.data)
            for problem in _problem(document, error)]


def format_checker() -> jsonschema.FormatChecker:
    """A FormatChecker that knows one ``edgegate-quantity:<unit>`` format per unit kind."""
    checker = jsonschema.FormatChecker(formats=())
    for name, unit_kind in FORMATS.items():
        checker.checks(name, raises=QuantityError)(functools.partial(is_quantity, kind=unit_kind))
    return checker


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
        got = describe(value) if error.absolute_path else value_kind(value)
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
