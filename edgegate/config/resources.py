"""The shipped presets and targets: ``policies/`` of the source tree, packaged as ``edgegate._policies``.

An installed wheel carries them as the package ``edgegate._policies`` (pyproject maps it to
the top-level ``policies/`` directory); a source checkout that is not installed reads the
directory itself.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable


def policies_root() -> Traversable:
    """The directory holding ``presets/`` and ``targets/``."""
    try:
        return importlib.resources.files("edgegate._policies")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "policies"


def _yaml_files(kind: str) -> dict[str, Traversable]:
    """``{name: file}`` for each ``<name>.yaml`` under ``kind`` (presets or targets)."""
    folder = policies_root().joinpath(kind)
    if not folder.is_dir():
        return {}
    return {entry.name[: -len(".yaml")]: entry for entry in folder.iterdir()
            if entry.name.endswith(".yaml") and entry.is_file()}


def presets() -> dict[str, Traversable]:
    """The shipped presets by name (``extends: <name>``)."""
    return _yaml_files("presets")


def targets() -> dict[str, Traversable]:
    """The shipped hardware targets by name (``target: <name>``)."""
    return _yaml_files("targets")
