"""Validate the JSON documents edgegate reads back against the schemas it publishes.

A check result (``merge`` inputs), a baseline (``check --baseline``) and a history line
(``trend``, ``plot history``) come from files anyone can edit. Each is checked against its
schema in ``edgegate/schemas/`` when it is loaded, so a malformed one is one UsageError naming
the file and the JSON path of the first problem, and nothing downstream needs guarding. The
reader (:func:`edgegate.jsonfile.read_json`) has already refused non-finite numbers and
nesting deeper than the schemas allow.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from typing import TYPE_CHECKING, Any

from edgegate.errors import UsageError

if TYPE_CHECKING:
    import jsonschema

SCHEMAS = ("baseline", "check", "history")
"""The documents read back, by schema file name (``edgegate/schemas/<name>.schema.json``)."""


@functools.cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """The validator of the shipped schema ``name``."""
    # imported when a document is read back, not by every run (0.08 s: see config/schema.py)
    import jsonschema
    text = importlib.resources.files("edgegate").joinpath(f"schemas/{name}.schema.json").read_text()
    return jsonschema.Draft202012Validator(json.loads(text))


def problem(name: str, document: Any) -> str | None:
    """The first way ``document`` breaks schema ``name`` (``models[0].budget: ...``), or None."""
    from jsonschema.exceptions import best_match
    error = best_match(validator(name).iter_errors(document))
    if error is None:
        return None
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return f"{where.lstrip('.')}: {message}" if where else message


def require(name: str, document: Any, what: str, path: str, line: int | None = None) -> None:
    """UsageError (``not a {what}: ...``, at ``path`` and ``line``) unless ``document`` fits
    schema ``name``."""
    found = problem(name, document)
    if found is not None:
        raise UsageError(f"not a {what}: {found}", path, line)
