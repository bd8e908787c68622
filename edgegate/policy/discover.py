"""Find the repo root and its policy: ``--policy PATH``, else ``edgegate.yaml`` / ``.edgegate.yaml``
at the root, else ``[tool.edgegate]`` in the root's ``pyproject.toml``."""

from __future__ import annotations

import os
from pathlib import Path

from edgegate.config.document import load_pyproject
from edgegate.errors import PolicyError, UsageError
from edgegate.files import is_file

POLICY_NAMES = ("edgegate.yaml", ".edgegate.yaml")


def repo_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` that holds ``.git``; ``start`` when none does."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return start


def find_policy(root: Path, explicit: str | None = None) -> Path:
    """The policy file to use under ``root``; UsageError when there is none."""
    if explicit is not None:
        path = Path(explicit)
        if not is_file(path):
            raise UsageError(f"--policy: no such file '{explicit}'")
        return path
    for name in POLICY_NAMES:
        if is_file(root / name):
            return root / name
    pyproject = root / "pyproject.toml"
    if is_file(pyproject) and _has_tool_table(pyproject):
        return pyproject
    raise UsageError(
        f"no policy found in {root}: pass --policy PATH, or create edgegate.yaml "
        "(`edgegate init` writes one), or add [tool.edgegate] to pyproject.toml"
    )


def _has_tool_table(pyproject: Path) -> bool:
    """True when ``pyproject`` has a ``[tool.edgegate]`` table (a TOML error counts as having one,
    so loading it reports the error)."""
    try:
        return load_pyproject(str(pyproject), pyproject.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError, PolicyError):
        return True


def shown_path(path: Path) -> str:
    """``path`` as messages show it: relative to the working directory when it lies below it."""
    resolved, here = path.resolve(), Path.cwd().resolve()
    return resolved.relative_to(here).as_posix() if resolved.is_relative_to(here) else str(path)
