"""How values and near-miss names read in a policy error: ``'abc'``, ``null``, did-you-mean."""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'flops'?)`` when ``known`` holds a close match for ``name``, else ''."""
    import difflib  # 1 ms: needed only to word a policy error

    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


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


def value_kind(value: object) -> str:
    """What kind of YAML value ``value`` is, without its content."""
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return describe(value)
