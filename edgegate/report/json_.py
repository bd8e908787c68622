"""The check run as JSON: exactly ``RunResult.as_records()``, the versioned document
(``schema_version``) that every other reporter reads and that tools can merge or diff."""

from __future__ import annotations

import json
from typing import TextIO

from edgegate.report.facts import Record


def write(records: Record, out: TextIO) -> None:
    """Write ``records`` as indented JSON with a final newline."""
    json.dump(records, out, indent=2)
    out.write("\n")
