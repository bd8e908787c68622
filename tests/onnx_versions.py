"""What the installed onnx knows, for tests whose expectations need a newer one than the oldest
edgegate supports (pyproject.toml: onnx>=1.16; .ci/run runs the suite on both ends).

The tests' expectations are written against :data:`WRITTEN_FOR`, the onnx CI's main run
installs. An older onnx defines fewer ops and data types, its shape inference knows less (what
edgegate then cannot cost is listed as unestimated, never counted as zero), and its text parser
reads less syntax: a test that needs more than the installed onnx has is skipped, saying what
it needs. On :data:`WRITTEN_FOR` and later nothing is skipped for this.
"""

from __future__ import annotations

import re

import onnx
import pytest


def version(text: str) -> tuple[int, int]:
    """(major, minor) of a version string: "1.16.0" -> (1, 16); "1.19.0rc1" -> (1, 19)."""
    match = re.match(r"(\d+)\.(\d+)", text)
    assert match is not None, text
    return int(match.group(1)), int(match.group(2))


ONNX = version(onnx.__version__)
WRITTEN_FOR = (1, 23)


def older() -> bool:
    """True when the installed onnx is older than the one the expectations are written for."""
    return ONNX < WRITTEN_FOR


def _needs(minimum: tuple[int, int], what: str) -> str:
    return f"needs onnx {minimum[0]}.{minimum[1]} or later: {what} (installed: onnx {onnx.__version__})"


def needs_onnx(minimum: tuple[int, int], what: str) -> pytest.MarkDecorator:
    """Skip the test under an onnx before ``minimum``, which lacks ``what``."""
    return pytest.mark.skipif(ONNX < minimum, reason=_needs(minimum, what))


def skip_before(minimum: tuple[int, int], what: str) -> None:
    """:func:`needs_onnx` inside a test (for some of its parameters)."""
    if ONNX < minimum:
        pytest.skip(_needs(minimum, what))


def skip_unless_defined(op_type: str, domain: str = "") -> None:
    """Skip when an older onnx does not define ``op_type``; on :data:`WRITTEN_FOR` the test runs
    (and fails, if onnx really lacks it)."""
    if older() and not onnx.defs.has(op_type, domain):
        pytest.skip(f"onnx {onnx.__version__} does not define {domain or 'ai.onnx'}.{op_type}")
