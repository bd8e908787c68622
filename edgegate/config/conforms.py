"""Whether a document is valid against a JSON Schema, answered exactly and without jsonschema.

Importing jsonschema costs about 0.08 s of CPU (benchmarks/README.md), the largest part of a
pre-commit hook's time above loading its model, and nearly every policy a hook reads is valid.
:func:`conforms` decides validity the way jsonschema's Draft 2020-12 validator does, for the
keywords in :data:`KEYWORDS` (those the shipped policy schema uses); any other keyword, a
``$ref`` outside ``#/$defs/`` or an ``enum`` of containers raises :class:`Unsupported`, and the
caller asks jsonschema, which also words the problems of an invalid document.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from typing import Any

FormatCheck = Callable[[object, str], bool]
"""``check(value, format)``: whether ``value`` has ``format``; raises Unsupported for a format
it does not know."""


class Unsupported(Exception):
    """The schema uses something :func:`conforms` does not decide exactly: ask jsonschema."""


def conforms(instance: object, schema: object, formats: FormatCheck) -> bool:
    """True when ``instance`` is valid against ``schema`` (whose ``$defs`` its ``$ref`` s name)."""
    return _Evaluator(schema, formats).valid(instance, schema)


class _Evaluator:
    """One validation: the root schema ``$ref`` s resolve in, and the format checks."""

    def __init__(self, root: object, formats: FormatCheck) -> None:
        self.root = root
        self.formats = formats

    def valid(self, instance: object, schema: object) -> bool:
        """Whether ``instance`` meets every keyword of ``schema`` (a boolean schema is itself)."""
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict):
            raise Unsupported(f"a schema that is {type(schema).__name__}")
        for keyword, rule in schema.items():
            if keyword in ANNOTATIONS:
                continue
            check = KEYWORDS.get(keyword)
            if check is None:
                raise Unsupported(f"keyword {keyword!r}")
            if not check(self, rule, instance, schema):
                return False
        return True

    def resolve(self, ref: str) -> object:
        """The schema ``#/$defs/<name>`` names in the root."""
        defs = self.root.get("$defs") if isinstance(self.root, dict) else None
        name = ref.removeprefix("#/$defs/")
        if not ref.startswith("#/$defs/") or not isinstance(defs, dict) or name not in defs:
            raise Unsupported(f"$ref {ref!r}")
        return defs[name]


def _is_number(value: object) -> bool:
    """JSON Schema's number: any Python number but a bool."""
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "number": _is_number,
    "integer": lambda value: not isinstance(value, bool) and (
        isinstance(value, int) or isinstance(value, float) and value.is_integer()),
}
"""JSON Schema's types over the values YAML and JSON load as, as jsonschema checks them."""

_TRUE, _FALSE = object(), object()


def _equal(instance: object, value: object) -> bool:
    """JSON equality of ``instance`` with a scalar schema ``value``: a bool equals only a bool."""
    if isinstance(value, (list, dict)):
        raise Unsupported("an enum or const holding a container")
    if instance is value:
        return True
    if isinstance(instance, str) or isinstance(value, str):
        return instance == value
    return _unbool(instance) == _unbool(value)


def _unbool(value: object) -> object:
    """``value``, with True and False replaced by markers no number equals."""
    return _TRUE if value is True else _FALSE if value is False else value


def _type(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    names = [rule] if isinstance(rule, str) else rule
    unknown = [name for name in names if name not in TYPES]
    if unknown:
        raise Unsupported(f"type {unknown[0]!r}")
    return any(TYPES[name](instance) for name in names)


def _ref(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return ev.valid(instance, ev.resolve(rule))


def _properties(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(ev.valid(instance[key], sub) for key, sub in rule.items() if key in instance)


def _additional(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    if "patternProperties" in schema:
        raise Unsupported("patternProperties")
    if not isinstance(instance, dict):
        return True
    known = schema.get("properties", {})
    extras = [key for key in instance if key not in known]
    if isinstance(rule, dict):
        return all(ev.valid(instance[key], rule) for key in extras)
    return bool(rule) or not extras


def _property_names(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return not isinstance(instance, dict) or all(ev.valid(key, rule) for key in instance)


def _required(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return not isinstance(instance, dict) or all(key in instance for key in rule)


def _items(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    if "prefixItems" in schema:
        raise Unsupported("prefixItems")
    return not isinstance(instance, list) or all(ev.valid(item, rule) for item in instance)


def _any_of(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return any(ev.valid(instance, sub) for sub in rule)


def _if(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    branch = "then" if ev.valid(instance, rule) else "else"
    return branch not in schema or ev.valid(instance, schema[branch])


def _enum(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return any(_equal(instance, value) for value in rule)


def _const(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return _equal(instance, rule)


def _minimum(ev: _Evaluator, rule: Any, instance: Any, schema: dict) -> bool:
    return not _is_number(instance) or not instance < rule


def _exclusive_minimum(ev: _Evaluator, rule: Any, instance: Any, schema: dict) -> bool:
    return not _is_number(instance) or not instance <= rule


def _min_length(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return not isinstance(instance, str) or len(instance) >= rule


def _min_items(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return not isinstance(instance, list) or len(instance) >= rule


def _min_properties(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return not isinstance(instance, dict) or len(instance) >= rule


def _pattern(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return not isinstance(instance, str) or re.search(rule, instance) is not None


def _format(ev: _Evaluator, rule: Any, instance: object, schema: dict) -> bool:
    return ev.formats(instance, rule)


KEYWORDS: dict[str, Callable[[_Evaluator, Any, Any, dict], bool]] = {
    "type": _type, "$ref": _ref, "properties": _properties, "additionalProperties": _additional,
    "propertyNames": _property_names, "required": _required, "items": _items, "anyOf": _any_of,
    "if": _if, "enum": _enum, "const": _const, "minimum": _minimum,
    "exclusiveMinimum": _exclusive_minimum, "minLength": _min_length, "minItems": _min_items,
    "minProperties": _min_properties, "pattern": _pattern, "format": _format,
}
"""The assertion keywords decided here, each as jsonschema 4's Draft 2020-12 validator does."""

ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description",
                         "examples", "default", "then", "else",
                         "x-error", "x-increase", "x-key-noun"})
"""Keywords that assert nothing alone: ``then``/``else`` act through ``if``; ``x-`` ones word
edgegate's messages."""

