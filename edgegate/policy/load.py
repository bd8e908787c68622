"""Load a policy file: read, validate against the schema, resolve ``extends:``, build the Policy.

``extends: <name>`` takes a shipped preset; a value with a ``/`` or a ``.yaml``/``.yml`` ending
is a file path relative to the extending file. The child's mappings merge into the parent's
key by key; any other value (a list, a number) replaces the parent's. Every file is
validated on its own, so each error points at the file and line that holds it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from edgegate.config import resources
from edgegate.config.document import (
    Document,
    PolicyProblems,
    load_pyproject,
    load_yaml,
    read_policy_text,
)
from edgegate.config.schema import validate
from edgegate.config.wording import did_you_mean
from edgegate.errors import PolicyError
from edgegate.files import is_file
from edgegate.policy.build import build_policy
from edgegate.policy.types import Policy


def load_policy(path: str | Path) -> Policy:
    """The Policy in ``path`` (YAML, or pyproject.toml's ``[tool.edgegate]``); PolicyError if
    invalid. Its ``sources`` are ``path`` and every file its ``extends`` chain read.

    A run asks for its policy several times (the check, its workers, the notices); a policy
    loaded before is returned again while every file it was read from (its sources and
    target files) still holds the same bytes, since parsing and validating are what cost.
    """
    key = _key(str(path))
    known = _LOADED.get(key) if key is not None else None
    if known is not None and _contents(known[0]) == known[1]:
        return known[2]
    document = read_document(str(path))
    sources: list[str] = []
    policy = build_policy(resolve(document, (_identity(str(path)),), sources))
    policy = replace(policy, sources=tuple(sources))
    files = tuple(dict.fromkeys([*policy.sources, *(t.source for t in policy.targets.values())]))
    contents = _contents(files)
    if key is not None and contents is not None:
        if len(_LOADED) >= _LOADED_MAX:
            del _LOADED[next(iter(_LOADED))]
        _LOADED[key] = (files, contents, policy)
    return policy


_LOADED: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...], Policy]] = {}
_LOADED_MAX = 8
"""Policies kept by :func:`load_policy` (by working directory and path), oldest dropped."""


def _key(path: str) -> tuple[str, str] | None:
    """The memo key of ``path``: the working directory and the path; None without a
    working directory (it was deleted)."""
    try:
        return os.getcwd(), path
    except OSError:
        return None


def _contents(files: tuple[str, ...]) -> tuple[str, ...] | None:
    """The text of each of ``files``, or None when one cannot be read as a policy file."""
    try:
        return tuple(read_policy_text(file) for file in files)
    except PolicyError:
        return None


MAX_EXTENDS = 32
"""The longest ``extends`` chain (files read after the first); presets need one."""


def read_document(path: str) -> Document:
    """Read one policy file as a Document; PolicyError when it cannot be read or parsed."""
    text = read_policy_text(path)
    if Path(path).name == "pyproject.toml":
        document = load_pyproject(path, text)
        if document is None:
            raise PolicyError("has no [tool.edgegate] table", path)
        return document
    return load_yaml(path, text)


def resolve(document: Document, chain: tuple[str, ...], sources: list[str] | None = None) -> Document:
    """``document`` validated and merged over everything it extends; the path of each file
    read is appended to ``sources``, child first. The chain is walked in a loop, at most
    :data:`MAX_EXTENDS` files deep."""
    documents: list[Document] = []
    while True:
        if sources is not None:
            sources.append(document.path)
        if document.data is None:
            raise PolicyError("the policy is empty: it needs at least 'version: 1' and a budget",
                              document.path)
        problems = validate(document)
        if problems:
            raise PolicyProblems(problems)
        documents.append(document)
        extends = document.data.get("extends")
        if extends is None:
            break
        if len(chain) > MAX_EXTENDS:
            raise document.error(("extends",), f"the extends chain is longer than {MAX_EXTENDS} files")
        parent_path, document = _read_parent(document, extends, chain)
        chain += (parent_path,)
    merged = documents.pop()
    while documents:
        merged = merge(merged, documents.pop())
    return merged


def _read_parent(document: Document, extends: str, chain: tuple[str, ...]) -> tuple[str, Document]:
    """The identity and Document of what ``extends`` names; PolicyError if missing or a cycle."""
    if "/" in extends or "\\" in extends or extends.endswith((".yaml", ".yml")):
        path = str(Path(document.path).parent / extends)
        if not is_file(path):
            raise document.error(("extends",), f"no such file '{extends}' next to this policy")
        identity = _identity(path)
        if identity in chain:
            raise document.error(("extends",), f"extends cycle: {' -> '.join(chain + (identity,))}")
        return identity, read_document(path)
    shipped = resources.presets()
    if extends not in shipped:
        raise document.error(("extends",), _unknown_preset(extends, sorted(shipped)))
    entry = shipped[extends]
    identity = f"preset:{extends}"
    if identity in chain:
        raise document.error(("extends",), f"extends cycle: {' -> '.join(chain + (identity,))}")
    return identity, load_yaml(str(entry), entry.read_text(encoding="utf-8"))


def _identity(path: str) -> str:
    """A file's identity for cycle detection: its resolved path."""
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name the OS refuses
        return os.path.abspath(path)


def _unknown_preset(name: str, known: list[str]) -> str:
    """``unknown preset 'x' (did you mean 'y'?)`` plus the presets there are."""
    return f"unknown preset '{name}'{did_you_mean(name, known)}; shipped presets: {', '.join(known)}"


def merge(parent: Document, child: Document) -> Document:
    """``child`` over ``parent``: mappings merge key by key, other values replace."""
    data = _merge_data(parent.data, child.data)
    data.pop("extends", None)
    replaced = [path for path in child.values
                if not isinstance(_at(child.data, path), dict)]
    values = {path: where for path, where in parent.values.items()
              if not any(_under(path, cut) for cut in replaced)}
    keys = {path: where for path, where in parent.keys.items()
            if not any(_under(path, cut) for cut in replaced)}
    values.update(child.values)
    keys.update(child.keys)
    return Document(child.path, data, values, keys, child.prefix)


def _merge_data(parent: Any, child: Any) -> Any:
    """Deep merge of mappings; anything else in ``child`` wins."""
    if isinstance(parent, dict) and isinstance(child, dict):
        merged = dict(parent)
        for key, value in child.items():
            merged[key] = _merge_data(parent[key], value) if key in parent else value
        return merged
    return child


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    """The value at ``path`` in ``data``."""
    for part in path:
        data = data[part]
    return data


def _under(path: tuple[Any, ...], cut: tuple[Any, ...]) -> bool:
    """True when ``path`` lies strictly inside ``cut``."""
    return len(path) > len(cut) and path[: len(cut)] == cut
