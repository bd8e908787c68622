"""An unbound input dimension under ``edgegate check``: advice in policy terms.

The estimator's BindingError tells a command-line user to pass ``--dim``/``--input-shape``;
the gate has no such options, its bindings are a budget's ``dims:`` and ``input_shapes:``.
The error names the input and dimension in attributes (``input_name``; ``dim_index``, None
when the input declares no shape at all; ``dim_name``, the symbol, None when anonymous);
an error without them is kept as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from edgegate.errors import BindingError
from edgegate.rules.subject import InputFact


def _key(name: str) -> str:
    """``name`` as a YAML mapping key, quoted when it holds more than letters, digits, _ . -."""
    return name if re.fullmatch(r"[A-Za-z_][\w.-]*", name) else json.dumps(name)


def policy_advice(error: BindingError, budget: str, inputs: Sequence[InputFact]) -> BindingError:
    """``error`` advising ``dims:``/``input_shapes:`` in budget ``budget`` instead of options;
    ``inputs`` (the model's, as declared) give the example shape."""
    name = getattr(error, "input_name", None)
    if name is None:
        return error
    index = getattr(error, "dim_index", None)
    symbol = getattr(error, "dim_name", None)
    where = f"in the policy budget '{budget}'"
    if index is None:
        message = f"input '{name}' has no declared shape: set input_shapes: {{{_key(name)}: [...]}} {where}"
    else:
        dims = next((value.dims for value in inputs if value.name == name), ())
        shape = ", ".join(str(dim) if isinstance(dim, int) and dim >= 0 else "N" for dim in dims) or "..."
        problem = f"dimension {index} ('{symbol}') is unbound" if symbol else f"dimension {index} has no size"
        by_name = f"dims: {{{_key(symbol)}: N}} or " if symbol else ""
        message = f"input '{name}' {problem}: set {by_name}input_shapes: {{{_key(name)}: [{shape}]}} {where}"
    return BindingError(message, error.path)
