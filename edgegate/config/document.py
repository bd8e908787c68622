"""Read a policy or target file into plain data plus the file:line:col of every key and value.

YAML is composed (``yaml.compose`` semantics, safe tags only) so each node keeps its mark;
duplicate keys are an error rather than a silent overwrite. ``[tool.edgegate]`` in
pyproject.toml reads through the same type, without positions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import yaml

from edgegate.errors import PolicyError

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


def load_yaml(path: str, text: str) -> Document:
    """Compose ``text`` (the contents of ``path``) into a Document; PolicyError on bad YAML."""
    loader = yaml.SafeLoader(text)
    try:
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
    except yaml.YAMLError as error:
        raise PolicyError(f"invalid YAML: {error}", path) from None
    finally:
        loader.dispose()


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
    return loader.construct_object(node, deep=True)


def _position(path: str, node: yaml.Node) -> Position:
    """The 1-based position where ``node`` starts."""
    return Position(path, node.start_mark.line + 1, node.start_mark.column + 1)


def load_pyproject(path: str, text: str) -> Document | None:
    """The ``[tool.edgegate]`` table of a pyproject.toml as a Document, or None when it has none."""
    if sys.version_info < (3, 11):
        raise PolicyError("reading [tool.edgegate] needs Python 3.11 or later (tomllib)", path)
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"invalid TOML: {error}", path) from None
    table = data.get("tool", {}).get("edgegate")
    return None if table is None else Document(path, table, prefix="tool.edgegate")


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
