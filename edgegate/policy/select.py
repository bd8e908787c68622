"""Which models a budget applies to: include/exclude globs over paths relative to the repo root.

Globs use ``/`` as separator: ``*`` and ``?`` stay within one path segment, ``**/`` spans any
number of directories (``models/**/*.onnx``), ``**`` elsewhere any characters, ``[abc]``,
``[a-z]`` and ``[!abc]`` (or ``[^abc]``) are character classes (never matching ``/``). As in
.gitignore, a glob without a ``/`` matches the file name at any depth (``*.onnx``), and a
leading ``/`` (or ``./``) anchors a glob at the repo root (``/net.onnx`` is only the top one).

Matching never backtracks: a glob is compiled to a small automaton whose set of live states
advances one character at a time (each state set's step is cached), so a match costs at most
the path's length times the glob's, whatever the glob. A glob that cannot be compiled (a
reversed range ``[z-a]``, an empty class ``[!]``, more than :data:`MAX_GLOB_CHARS` characters)
is a :class:`GlobError`; policies report it at the glob's line (:func:`glob_problem`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from edgegate.errors import UsageError
from edgegate.policy.types import Budget

MAX_GLOB_CHARS = 1024
"""The longest glob a policy or ``--model`` may give."""

_STEP_CACHE = 4096
"""Cached steps per glob before the cache starts over (a bound on memory, not on time)."""


class GlobError(ValueError):
    """A glob that cannot be compiled; the message says why."""


@dataclass(frozen=True)
class _Token:
    """One glob element: ``lit`` (a character), ``one`` (``?``), ``set`` (a class), ``star``
    (``*``), ``any`` (``**`` within a segment) or ``dirs`` (``**/``)."""

    kind: str
    char: str = ""
    ranges: tuple[tuple[str, str], ...] = ()
    negated: bool = False

    def takes(self, char: str) -> bool:
        """True when this one-character token matches ``char``."""
        if self.kind == "lit":
            return char == self.char
        if char == "/":
            return False
        if self.kind == "one":
            return True
        inside = any(low <= char <= high for low, high in self.ranges)
        return inside != self.negated


def _class(body: str, pattern: str) -> _Token:
    """The character class ``[body]``; GlobError when it is empty or has a reversed range."""
    negated = body[:1] in ("!", "^")
    items = body[1:] if negated else body
    if not items:
        raise GlobError(f"glob '{pattern}': the character class [{body}] matches nothing")
    ranges = []
    index = 0
    while index < len(items):
        low = items[index]
        if index + 2 < len(items) and items[index + 1] == "-":
            high = items[index + 2]
            if low > high:
                raise GlobError(f"glob '{pattern}': bad character range {low}-{high}")
            ranges.append((low, high))
            index += 3
        else:
            ranges.append((low, low))
            index += 1
    return _Token("set", ranges=tuple(ranges), negated=negated)


def _tokens(pattern: str) -> tuple[_Token, ...]:
    """The glob's elements, after anchoring (a glob without ``/`` matches at any depth)."""
    if len(pattern) > MAX_GLOB_CHARS:
        raise GlobError(f"glob of {len(pattern)} characters: at most {MAX_GLOB_CHARS}")
    original = pattern
    if pattern.startswith(("/", "./")):
        pattern = pattern[pattern.index("/") + 1:]
    elif "/" not in pattern:
        pattern = "**/" + pattern
    tokens: list[_Token] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            token, index = _Token("dirs"), index + 3
        elif pattern.startswith("**", index):
            token, index = _Token("any"), index + 2
        elif char == "*":
            token, index = _Token("star"), index + 1
        elif char == "?":
            token, index = _Token("one"), index + 1
        elif char == "[" and pattern.find("]", index + 1) > index + 1:
            closing = pattern.find("]", index + 1)
            token, index = _class(pattern[index + 1:closing], original), closing + 1
        else:
            token, index = _Token("lit", char), index + 1
        if not (tokens and token.kind in ("star", "dirs", "any") and tokens[-1] == token):
            tokens.append(token)  # a repeated '*' or '**/' matches what one does
    return tuple(tokens)


@dataclass
class Glob:
    """A compiled glob: ``matches(path)`` runs its automaton over ``path``.

    States are token positions (``len(tokens)`` accepts); ``-(i + 1)`` is "inside a directory
    name" of the ``**/`` at position ``i``.
    """

    pattern: str
    tokens: tuple[_Token, ...]
    steps: dict[tuple[frozenset[int], str], frozenset[int]] = field(default_factory=dict)

    def _closure(self, states: set[int]) -> frozenset[int]:
        """``states`` plus the positions reachable without a character (past ``*``-like tokens)."""
        todo = list(states)
        while todo:
            state = todo.pop()
            if 0 <= state < len(self.tokens) and self.tokens[state].kind in ("star", "any", "dirs"):
                if state + 1 not in states:
                    states.add(state + 1)
                    todo.append(state + 1)
        return frozenset(states)

    def _step(self, states: frozenset[int], char: str) -> frozenset[int]:
        """The states after reading ``char``."""
        found: set[int] = set()
        for state in states:
            if state < 0:  # inside a directory name of the '**/' at -state - 1
                found.add(state if char != "/" else -state - 1)
                continue
            if state == len(self.tokens):
                continue
            token = self.tokens[state]
            if token.kind == "dirs":
                found.add(state if char == "/" else -state - 1)
            elif token.kind == "any" or (token.kind == "star" and char != "/"):
                found.add(state)
            elif token.kind not in ("star", "any") and token.takes(char):
                found.add(state + 1)
        return self._closure(found)

    def matches(self, path: str) -> bool:
        """True when the glob selects the relative posix ``path``."""
        states = self._closure({0})
        for char in path:
            key = (states, char)
            following = self.steps.get(key)
            if following is None:
                if len(self.steps) >= _STEP_CACHE:
                    self.steps.clear()
                following = self.steps[key] = self._step(states, char)
            states = following
            if not states:
                return False
        return len(self.tokens) in states


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: str) -> Glob:
    """The compiled glob; GlobError when it cannot be one."""
    return Glob(pattern, _tokens(pattern))


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable glob, or None when it is one."""
    try:
        compile_glob(pattern)
    except GlobError as error:
        return str(error)
    return None


def option_globs(patterns: Iterable[str], option: str) -> tuple[str, ...]:
    """``patterns`` given to a command-line ``option``; UsageError for one that is no glob."""
    found = tuple(patterns)
    for pattern in found:
        problem = glob_problem(pattern)
        if problem is not None:
            raise UsageError(f"{option}: {problem}")
    return found


def matches(path: str, patterns: Iterable[str]) -> bool:
    """True when the relative posix ``path`` matches any of ``patterns`` (GlobError for a glob
    that cannot be compiled; policies and options check theirs first)."""
    return any(compile_glob(pattern).matches(path) for pattern in patterns)


def selects(budget: Budget, path: str) -> bool:
    """True when ``budget`` applies to the model at relative posix ``path``."""
    return matches(path, budget.include) and not matches(path, budget.exclude)
