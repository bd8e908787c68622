"""The policy schema's quantity formats: ``format: edgegate-quantity:<unit kind>``."""

from __future__ import annotations

from edgegate.units import UNIT_KINDS, parse_quantity

FORMAT_PREFIX = "edgegate-quantity:"
FORMATS = {FORMAT_PREFIX + kind: kind for kind in UNIT_KINDS}
"""Each quantity format the schema may name, with the unit kind it parses."""


def is_quantity(value: object, kind: str) -> bool:
    """True when ``value`` parses as a quantity of ``kind``; raises QuantityError otherwise."""
    parse_quantity(value, kind)  # type: ignore[arg-type]
    return True
