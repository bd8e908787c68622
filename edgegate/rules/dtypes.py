"""dtypes: the element types weights and inputs must have (e.g. an int8 deployment).

.. code-block:: yaml

    dtypes:
      weights: [int8]          # constant tensors of rank >= 2: kernels and matrices
      inputs: [uint8, int8]
      severity: error

Biases, scales and zero points (rank <= 1) are not weights here, so a quantized model with
int32 biases and float scales passes ``weights: [int8]``.
"""

from __future__ import annotations

from collections.abc import Iterator

from edgegate.model.dtypes import dtype_name as onnx_dtype_name
from edgegate.rules.findings import Finding
from edgegate.rules.subject import Subject

ID = "dtypes"
SUMMARY = "Weights and inputs have the required element types."
_RENAMED = {"float": "float32", "double": "float64"}


def dtype_name(dtype: int) -> str:
    """The policy spelling of an ONNX dtype: float32, float64, int8, bfloat16..."""
    name = onnx_dtype_name(dtype).lower()
    return _RENAMED.get(name, name)


def check(subject: Subject) -> Iterator[Finding]:
    """Failing findings per offending weight dtype and input, or one passing finding."""
    options = subject.budget.options.get(ID)
    if options is None:
        return
    severity = options.get("severity", "error")
    failures = []
    if "weights" in options:
        by_dtype: dict[str, list[str]] = {}
        for name, weight_dtype in subject.facts.weights:
            by_dtype.setdefault(dtype_name(weight_dtype), []).append(name)
        for name_of_dtype, names in sorted(by_dtype.items()):
            if name_of_dtype not in options["weights"]:
                failures.append((f"{len(names)} weight tensor{'s' if len(names) > 1 else ''} "
                                 f"{'are' if len(names) > 1 else 'is'} {name_of_dtype}, first '{names[0]}'"
                                 f" (allowed: {', '.join(options['weights'])})", names[0]))
    for value in subject.facts.inputs if "inputs" in options else ():
        dtype = dtype_name(value.dtype)
        if dtype not in options["inputs"]:
            failures.append((f"input '{value.name}' is {dtype} (allowed: {', '.join(options['inputs'])})",
                             value.name))
    for message, node in failures:
        yield subject.finding(ID, severity, False, message, node=node)
    if not failures:
        yield subject.finding(ID, severity, True, "weights and inputs have the required dtypes")
