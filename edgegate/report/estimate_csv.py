"""``edgegate estimate --format csv``: one row per layer, exact integers, for spreadsheets."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TextIO

from edgegate.estimator.result import Layer
from edgegate.estimator.serialize import LAYER_FIELDS, layer_record


def write_layers(rows: Sequence[tuple[str, Layer]], out: TextIO) -> None:
    """Write (model, layer) rows as CSV with a header; op types joined by '+'."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["model", *LAYER_FIELDS])
    for model, layer in rows:
        record = layer_record(layer)
        record["op_types"] = "+".join(layer.op_types)
        writer.writerow([model, *(record[name] for name in LAYER_FIELDS)])
