"""Which models a budget applies to: include/exclude globs over paths relative to the repo root.

Globs use ``/`` as separator: ``*`` and ``?`` stay within one path segment, ``**`` spans any
number of directories (``models/**/*.onnx``), ``[abc]`` is a character class. As in
.gitignore, a glob without a ``/`` matches the file name at any depth (``*.onnx``), and a
leading ``/`` (or ``./``) anchors a glob at the repo root (``/net.onnx`` is only the top one).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from edgegate.policy.types import Budget


@functools.lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """The compiled regular expression that matches the relative paths ``pattern`` selects."""
    if pattern.startswith(("/", "./")):
        pattern = pattern[pattern.index("/") + 1 :]
    elif "/" not in pattern:
        pattern = "**/" + pattern
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:[^/]*/)*")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        else:
            char = pattern[index]
            closing = pattern.find("]", index + 1)
            if char == "[" and closing > index + 1:
                body = pattern[index + 1 : closing].replace("\\", "\\\\")
                parts.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                index = closing + 1
                continue
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
            index += 1
    return re.compile("".join(parts))


def matches(path: str, patterns: Iterable[str]) -> bool:
    """True when the relative posix ``path`` matches any of ``patterns``."""
    return any(glob_regex(pattern).fullmatch(path) for pattern in patterns)


def selects(budget: Budget, path: str) -> bool:
    """True when ``budget`` applies to the model at relative posix ``path``."""
    return matches(path, budget.include) and not matches(path, budget.exclude)
