"""Read a policy or target file into plain data plus the file:line:col of every key and value.

YAML is composed (``yaml.compose`` semantics, safe tags only) so each node keeps its mark;
duplicate keys are an error rather than a silent overwrite. ``[tool.edgegate]`` in
pyproject.toml reads through the same type, without positions.

Every policy, target and ``extends`` file is read by :func:`read_policy_text` (a regular file of
at most :data:`MAX_POLICY_BYTES` of UTF-8), and every way the text can fail is a PolicyError at
its position: bad YAML (control characters included), collections nested deeper than
:data:`MAX_DEPTH`, an alias bomb, a number that is not finite or has too many digits.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import yaml

from edgegate.errors import PolicyError
from edgegate.files import read_text

MAX_POLICY_BYTES = 1 << 20
"""The largest policy or target file edgegate reads (1 MiB; real ones are a few KiB)."""

MAX_DEPTH = 32
"""How deeply lists and mappings may nest in a policy or target file (the schema needs 6)."""

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    """Where a node sits: file, 1-based line and column (line/col None when unknown)."""

    file: str
    line: int | None = None
    col: int | None = None


@dataclass
class Document:
    """A loaded file: its data, and the position of each value and each mapping key by path.

    ``prefix`` names the document's place in its file (``tool.edgegate`` in pyproject.toml).
    """

    path: str
    data: Any
    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    prefix: str = ""

    def where(self, path: Path_, key: bool = False) -> Position:
        """The position of the node at ``path`` (its key when ``key``), else its nearest ancestor's."""
        table = self.keys if key else self.values
        if path in table:
            return table[path]
        for cut in range(len(path) - 1, -1, -1):
            if path[:cut] in self.values:
                return self.values[path[:cut]]
        return Position(self.path)

    def dotted(self, path: Path_) -> str:
        """``budgets.detector.limits[0]``-style name of ``path``, after the document's prefix."""
        text = self.prefix
        for part in path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text

    def error(self, path: Path_, message: str, key: bool = False) -> PolicyError:
        """A PolicyError at ``path``: ``file:line:col: dotted.path: message``."""
        where = self.where(path, key)
        name = self.dotted(path)
        return PolicyError(f"{name}: {message}" if name else message, where.file, where.line, where.col)


def read_policy_text(path: str, what: str = "policy") -> str:
    """The text of a policy, target or ``extends`` file; PolicyError when it is not a regular
    file of at most :data:`MAX_POLICY_BYTES` of UTF-8 (a FIFO, /dev/zero or a 50 MB file are
    refused before anything reads them)."""
    return read_text(path, what, MAX_POLICY_BYTES, error=PolicyError)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses collections nested deeper than :data:`MAX_DEPTH` while composing
    (PyYAML composes recursively)."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_DEPTH} levels deep",
                                           problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self.depth -= 1


def load_yaml(path: str, text: str) -> Document:
    """Compose ``text`` (the contents of ``path``) into a Document; PolicyError on bad YAML."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        document = Document(path, None)
        if node is not None:
            document.data = _construct(loader, node, (), document, _Walk())
        return document
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "cannot parse"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise PolicyError(f"invalid YAML: {problem}", path, line, col) from None
    except yaml.reader.ReaderError as error:
        line, col = _line_col(text, error.position)
        raise PolicyError(f"invalid YAML: {_reader_problem(error)}", path, line, col) from None
    except yaml.YAMLError as error:
        raise PolicyError(f"invalid YAML: {str(error).splitlines()[0]}", path) from None
    except RecursionError:
        raise PolicyError(f"invalid YAML: nested too deeply (at most {MAX_DEPTH} levels)", path) from None
    finally:
        if loader is not None:
            loader.dispose()


def _reader_problem(error: yaml.reader.ReaderError) -> str:
    """What PyYAML's reader refused, without quoting the file."""
    if isinstance(error.character, int):
        return f"the character U+{error.character:04X} is not allowed in YAML"
    return "the file is not valid UTF-8 text"


def _line_col(text: str, position: int) -> tuple[int, int]:
    """The 1-based line and column of character ``position`` in ``text``."""
    before = text[:position]
    line = before.count("\n") + 1
    return line, position - (before.rfind("\n") + 1) + 1


MAX_ALIAS_VALUES = 10_000
"""Values a file may reach again through YAML aliases: an alias bomb ("billion laughs") fails
at once instead of expanding exponentially."""

_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass
class _Walk:
    """Nodes constructed so far, nodes on the current path, and values reached again."""

    seen: set[int] = field(default_factory=set)
    open: set[int] = field(default_factory=set)
    repeats: int = 0


def _enter(node: yaml.Node, walk: _Walk) -> None:
    """Refuse a node inside itself, too many values reached through aliases, or a custom tag."""
    if id(node) in walk.open:
        raise yaml.MarkedYAMLError(problem="a YAML alias refers to a node that contains it",
                                   problem_mark=node.start_mark)
    if id(node) in walk.seen:
        walk.repeats += 1
        if walk.repeats > MAX_ALIAS_VALUES:
            raise yaml.MarkedYAMLError(
                problem=f"YAML aliases expand to more than {MAX_ALIAS_VALUES} values (an alias bomb?)",
                problem_mark=node.start_mark)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
        raise yaml.MarkedYAMLError(problem=f"the YAML tag '{node.tag}' is not allowed in a policy",
                                   problem_mark=node.start_mark)
    walk.seen.add(id(node))


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, document: Document,
               walk: _Walk) -> Any:
    """Plain data for ``node``, recording positions under ``path`` as it goes."""
    _enter(node, walk)
    walk.open.add(id(node))
    try:
        return _construct_node(loader, node, path, document, walk)
    finally:
        walk.open.discard(id(node))


def _construct_node(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, document: Document,
                    walk: _Walk) -> Any:
    """:func:`_construct` for one node already entered."""
    document.values[path] = _position(document.path, node)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                raise yaml.MarkedYAMLError(problem="a mapping key must be a plain value",
                                           problem_mark=key_node.start_mark)
            if key in result:
                first = document.keys[path + (key,)]
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key '{key}' (first at line {first.line})",
                    problem_mark=key_node.start_mark,
                )
            document.keys[path + (key,)] = _position(document.path, key_node)
            result[key] = _construct(loader, value_node, path + (key,), document, walk)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, path + (index,), document, walk)
                for index, item in enumerate(node.value)]
    return _scalar(loader, node)


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A scalar's value; a MarkedYAMLError for a number that is not finite or is too long to
    convert (Python refuses integers of more than 4,300 digits)."""
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError:
        raise yaml.MarkedYAMLError(problem="a number with too many digits",
                                   problem_mark=node.start_mark) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise yaml.MarkedYAMLError(problem=f"{node.value!r} is not a finite number",
                                   problem_mark=node.start_mark)
    return value


def _position(path: str, node: yaml.Node) -> Position:
    """The 1-based position where ``node`` starts."""
    return Position(path, node.start_mark.line + 1, node.start_mark.column + 1)


_EDGEGATE_TABLE = re.compile(
    r"""^[ \t]*(\[[ \t]*tool[ \t]*\.[ \t]*["']?edgegate\b|tool[ \t]*\.[ \t]*["']?edgegate\b)""", re.MULTILINE)
"""A line that may open or set the ``[tool.edgegate]`` table: a ``[tool.edgegate...]`` header or
a ``tool.edgegate...`` dotted key (a ``[tool]`` table with an ``edgegate`` key is caught by
:data:`_TOOL_TABLE` and the key)."""

_TOOL_TABLE = re.compile(r"^[ \t]*\[[ \t]*tool[ \t]*\][^\n]*\n"  # a [tool] header, then lines
                         r"(?:(?![ \t]*\[)[^\n]*\n)*?"  # up to the next header
                         r"""[ \t]*["']?edgegate\b""", re.MULTILINE)  # to an edgegate key
"""A ``[tool]`` table whose lines (up to the next table header) set an ``edgegate`` key."""


def load_pyproject(path: str, text: str) -> Document | None:
    """The ``[tool.edgegate]`` table of a pyproject.toml as a Document, or None when it has none.

    Python 3.10 has no TOML reader: there a pyproject.toml without the table (most projects
    have one) is still no policy, and one that may have it is an error saying what is needed.
    """
    if sys.version_info < (3, 11):
        if _EDGEGATE_TABLE.search(text) is None and _TOOL_TABLE.search(text) is None:
            return None
        raise PolicyError("reading [tool.edgegate] needs Python 3.11 or later (tomllib)", path)
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"invalid TOML: {error}", path) from None
    except RecursionError:
        raise PolicyError("invalid TOML: nested too deeply", path) from None
    except ValueError as error:  # an integer of more than 4,300 digits
        raise PolicyError(f"invalid TOML: {str(error).splitlines()[0][:120]}", path) from None
    tool = data.get("tool", {})
    table = tool.get("edgegate") if isinstance(tool, dict) else None
    if table is None:
        return None
    if _nesting(table) > MAX_DEPTH:
        raise PolicyError(f"[tool.edgegate] is nested more than {MAX_DEPTH} levels deep", path)
    bad = _non_finite(table)
    if bad is not None:
        raise PolicyError(f"tool.edgegate.{bad}: not a finite number", path)
    return Document(path, table, prefix="tool.edgegate")


def _nesting(data: Any) -> int:
    """How deeply lists and tables nest in ``data``, without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _non_finite(data: Any) -> str | None:
    """The dotted path of the first float in ``data`` that is not finite (TOML allows nan and
    inf), or None; ``data`` nests at most :data:`MAX_DEPTH` levels."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return where or "value"
        if isinstance(value, dict):
            stack.extend((item, f"{where}.{key}" if where else str(key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{index}]") for index, item in enumerate(value))
    return None


class PolicyProblems(PolicyError):
    """Problems found in a policy, in file order, one per position: ``str()`` shows the first,
    ``problems`` holds all."""

    def __init__(self, found: list[PolicyError]) -> None:
        unique: dict[tuple[str | None, int | None, int | None], PolicyError] = {}
        for problem in found:
            unique.setdefault((problem.path, problem.line, problem.col), problem)
        problems = sorted(unique.values(), key=lambda p: (p.path or "", p.line or 0, p.col or 0))
        first, more = problems[0], len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(first.message + suffix, first.path, first.line, first.col)
        self.problems = problems
