"""Read a JSON file that edgegate wrote earlier (a baseline, a check result), with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgegate.errors import UsageError


def read_json(path: str | Path, what: str, missing: str = "no such file") -> Any:
    """The parsed content of ``path``; UsageError naming the file when it is missing
    (``missing``) or is not JSON (``not a {what}: ...``)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(missing, str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"not a {what}: cannot read it as JSON ({error})", str(path)) from None
