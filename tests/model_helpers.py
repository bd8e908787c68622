"""Build small test models from onnx's text syntax, with weights given by shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import onnx
import onnx.parser
import pytest
from onnx import numpy_helper

from tests.onnx_versions import older

Weight = Sequence[int] | np.ndarray

HEADER = '<ir_version: 8, opset_import: ["" : 17]>\n'


def parse(text: str, weights: Mapping[str, Weight] | None = None, header: str = HEADER) -> onnx.ModelProto:
    """A model from the text syntax; ``weights`` adds initializers (a shape means float32 ones).
    The texts use the syntax of the onnx the tests are written for (tests/onnx_versions.py): an
    older parser that cannot read one skips the test."""
    try:
        model = onnx.parser.parse_model(header + text)
    except onnx.parser.ParseError as error:
        if not older():
            raise
        pytest.skip(f"onnx {onnx.__version__}'s parser cannot read this model text ({str(error)[:80]})")
    for name, weight in (weights or {}).items():
        array = weight if isinstance(weight, np.ndarray) else np.ones(tuple(weight), np.float32)
        model.graph.initializer.append(numpy_helper.from_array(array, name))
    return model


def save(model: onnx.ModelProto, path) -> str:
    """Write the model and return its path as a string."""
    onnx.save(model, str(path))
    return str(path)
