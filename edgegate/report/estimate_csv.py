"""``edgegate estimate --format csv``: one row per layer, exact integers, for spreadsheets.

Model paths and layer and op names come from the file: each goes through
:func:`~edgegate.printable.printable`, so a row is one line and never a workflow command.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TextIO

from edgegate.estimator.result import Layer
from edgegate.estimator.serialize import LAYER_FIELDS, layer_record
from edgegate.printable import printable
from edgegate.target.roofline import LayerTiming

TARGET_FIELDS: tuple[str, ...] = ("op_class", "efficiency", "target_dram_bytes", "latency_ms", "bound")
"""The columns ``--target`` adds: each layer's op class, efficiency, DRAM bytes there, time, bound."""


def write_layers(rows: Sequence[tuple[str, Layer]], out: TextIO,
                 timings: Sequence[LayerTiming] | None = None) -> None:
    """Write (model, layer) rows as CSV with a header; op types joined by '+'. With ``timings``
    (one per row, on a target), the TARGET_FIELDS columns follow."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["model", *LAYER_FIELDS, *(TARGET_FIELDS if timings is not None else ())])
    for number, (model, layer) in enumerate(rows):
        record = layer_record(layer)
        record["op_types"] = printable("+".join(layer.op_types))
        record["name"] = printable(str(record["name"]))
        extra: list[object] = []
        if timings is not None:
            timing = timings[number]
            extra = [timing.op_class, timing.efficiency, timing.dram_bytes, timing.seconds * 1000,
                     timing.bound]
        writer.writerow([printable(model), *(record[name] for name in LAYER_FIELDS), *extra])
