"""Build Targets from validated data: the shipped ``policies/targets/*.yaml``, a policy's
``targets:``, or a target file of one's own (``edgegate target measure`` writes one).

A target is named by a shipped name, or by a path: a value with a ``/`` or a ``.yaml``/``.yml``
ending, as ``extends:`` in a policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edgegate.config import resources
from edgegate.config.document import Document, Path_, PolicyProblems, load_yaml, read_policy_text
from edgegate.config.schema import validate
from edgegate.errors import PolicyError, UsageError
from edgegate.files import is_file
from edgegate.target.types import Target
from edgegate.units import parse_quantity


def target_from_data(
    name: str, data: Mapping[str, Any], document: Document, path: Path_
) -> tuple[Target, list[PolicyError]]:
    """The Target that schema-valid ``data`` (at ``path`` in ``document``) describes, and its problems."""
    problems = []
    peak = {precision: float(parse_quantity(value, "FLOP/s"))
            for precision, value in data["peak"].items()}
    bandwidth = float(parse_quantity(data["dram_bandwidth"], "B/s"))
    for precision, value in peak.items():
        if value == 0:
            problems.append(document.error(path + ("peak", precision), "must be more than 0"))
    if bandwidth == 0:
        problems.append(document.error(path + ("dram_bandwidth",), "must be more than 0"))
    efficiency = {precision: {name: float(value) for name, value in table.items()}
                  for precision, table in data.get("efficiency", {}).items() if precision != "version"}
    for precision in efficiency:
        if precision not in peak:
            problems.append(document.error(path + ("efficiency", precision),
                                           f"the target lists no {precision} peak for this efficiency",
                                           key=True))
    ops = data.get("supported_ops")
    target = Target(
        name=name,
        peak=peak,
        dram_bandwidth=bandwidth,
        onchip_bytes=int(parse_quantity(data.get("onchip_bytes", 0), "B")),
        weight_store_bytes=int(parse_quantity(data.get("weight_store_bytes", 0), "B")),
        supported_ops=None if ops is None else frozenset(ops),
        description=data.get("description", ""),
        source=document.where(path).file,
        efficiency=efficiency,
    )
    return target, problems


def load_shipped_target(name: str) -> Target:
    """The shipped target ``name``; PolicyError (with file:line:col) when its file is invalid."""
    entry = resources.targets()[name]
    return _target_document(name, load_yaml(str(entry), entry.read_text(encoding="utf-8")))


def is_target_path(value: str) -> bool:
    """True when ``value`` names a target file rather than a target: a ``/`` or a YAML ending."""
    return "/" in value or "\\" in value or value.endswith((".yaml", ".yml"))


def load_target_file(path: str, name: str | None = None) -> Target:
    """The target in the YAML file ``path``, named ``name`` (default: the path); PolicyError when
    it is missing or invalid, with file:line:col."""
    document = load_yaml(path, read_policy_text(path, "target file"))
    if not isinstance(document.data, dict):
        raise PolicyError("a target file is a mapping with at least 'version: 1', 'peak' and"
                          " 'dram_bandwidth'", path)
    return _target_document(name or path, document)


def resolve_target(value: str) -> Target:
    """The target ``value`` names on a command line: a target file, or a shipped target."""
    if is_target_path(value):
        if not is_file(value):
            raise UsageError(f"--target: no such target file '{value}'")
        return load_target_file(value)
    known = resources.targets()
    if value not in known:
        raise UsageError(f"--target: unknown target '{value}' (shipped: {', '.join(sorted(known))};"
                         " or give a target file, NAME.yaml)")
    return load_shipped_target(value)


def _target_document(name: str, document: Document) -> Target:
    """The Target a whole target file's Document describes; PolicyProblems when invalid."""
    problems = validate(document, definition="target")
    if not problems:
        target, problems = target_from_data(name, document.data, document, ())
    if problems:
        raise PolicyProblems(problems)
    return target
