"""Build Targets from validated data: the shipped ``policies/targets/*.yaml`` or a policy's ``targets:``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edgegate.config import resources
from edgegate.config.document import Document, Path_, PolicyProblems, load_yaml
from edgegate.config.schema import validate
from edgegate.errors import PolicyError
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
    )
    return target, problems


def load_shipped_target(name: str) -> Target:
    """The shipped target ``name``; PolicyError (with file:line:col) when its file is invalid."""
    entry = resources.targets()[name]
    document = load_yaml(str(entry), entry.read_text(encoding="utf-8"))
    problems = validate(document, definition="target")
    if not problems:
        target, problems = target_from_data(name, document.data, document, ())
    if problems:
        raise PolicyProblems(problems)
    return target
