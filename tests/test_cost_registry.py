"""Meta-tests of the op cost registry: order, coverage, shape inputs, docs and hand cases."""

from __future__ import annotations

import re
from pathlib import Path

import onnx.defs
import pytest
import test_cost_attention
import test_cost_contrib
import test_cost_conv
import test_cost_einsum
import test_cost_elementwise
import test_cost_loss
import test_cost_matmul
import test_cost_misc
import test_cost_ml
import test_cost_movers
import test_cost_nchwc
import test_cost_norm
import test_cost_pool
import test_cost_quant
import test_cost_recurrent
import test_cost_reduce
import test_cost_resize
import test_cost_spectral
from cost_helpers import case_key
from onnx_versions import skip_unless_defined

from edgegate.cost.registry import OPS, lookup
from edgegate.metrics import METRICS
from edgegate.model import roles

DOC = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"

ML = "ai.onnx.ml."

FAMILIES = [
    test_cost_attention,
    test_cost_contrib,
    test_cost_conv,
    test_cost_einsum,
    test_cost_elementwise,
    test_cost_loss,
    test_cost_matmul,
    test_cost_misc,
    test_cost_ml,
    test_cost_movers,
    test_cost_nchwc,
    test_cost_norm,
    test_cost_pool,
    test_cost_quant,
    test_cost_recurrent,
    test_cost_reduce,
    test_cost_resize,
    test_cost_spectral,
]

COST_MODEL_TABLE = (
    "Conv ConvTranspose Gemm MatMul AveragePool GlobalAveragePool MaxPool GlobalMaxPool Add Sub"
    " Mul Div BatchNormalization Reshape Flatten Squeeze Unsqueeze Identity Dropout"
    # the precise rules' data movers and shape-input ops
    " Concat Split Slice Transpose Pad Gather Resize Tile Expand Cast DepthToSpace TopK"
    " ConstantOfShape Range Clip Shape Size"
).split()

TORCHVISION_EXPORTS = (
    "Conv Gemm MatMul Relu Clip HardSigmoid HardSwish Sigmoid Mul Add Sub Div Pow Sqrt Erf Tanh"
    " MaxPool AveragePool GlobalAveragePool GlobalMaxPool BatchNormalization Concat Split Slice"
    " Transpose Reshape Flatten Shape Gather Unsqueeze Squeeze ReduceMean ReduceSum"
    " LayerNormalization Softmax Dropout Identity Cast Expand Where Equal ConstantOfShape Range"
    " Pad LRN"
).split()

COST_MODEL_SHAPE_INPUTS = {
    "Clip": {1, 2},
    "ConstantOfShape": {0},
    "Expand": {1},
    "Pad": {1, 3},
    "Range": {0, 1, 2},
    "Reshape": {1},
    "Resize": {1, 2, 3},
    "Shape": {0},
    "Size": {0},
    "Slice": {1, 2, 3, 4},
    "Split": {1},
    "Squeeze": {1},
    "Tile": {1},
    "TopK": {1},
    "Unsqueeze": {1},
    "OneHot": {1},
    "ReduceMean": {1},
    "ReduceSum": {1},
}
"""The cost model's shape-like inputs, by op (Pad's constant_value, input 2, is data)."""


def test_keys_are_sorted():
    assert list(OPS) == sorted(OPS)


@pytest.mark.parametrize("key", OPS)
def test_entry_is_well_formed(key):
    formula = OPS[key]
    assert callable(formula)
    assert formula.__doc__ and formula.__doc__.strip()


def test_roles_tables_are_sorted_and_name_costed_ops():
    assert list(roles.SHAPE_INPUTS) == sorted(roles.SHAPE_INPUTS)
    assert set(roles.SHAPE_INPUTS) <= set(OPS)
    assert roles.VIEWS <= set(OPS)


@pytest.mark.parametrize("key", [k for k in OPS if "." not in k or k.startswith(ML)])
def test_standard_keys_are_onnx_ops_with_those_inputs(key):
    domain, _, op_type = key.rpartition(".")
    skip_unless_defined(op_type, domain)
    schema = onnx.defs.get_schema(op_type, domain=domain)
    indices = roles.SHAPE_INPUTS.get(key, frozenset())
    assert all(isinstance(i, int) and 0 <= i < len(schema.inputs) for i in indices)


@pytest.mark.parametrize(
    "ops", [COST_MODEL_TABLE, TORCHVISION_EXPORTS], ids=["cost-model", "torchvision"]
)
def test_required_ops_are_present(ops):
    assert [op for op in ops if op not in OPS] == []


@pytest.mark.parametrize(("key", "indices"), sorted(COST_MODEL_SHAPE_INPUTS.items()))
def test_shape_inputs_follow_the_cost_model(key, indices):
    assert roles.shape_inputs(key, "") == frozenset(indices)


def test_lookup_normalizes_the_default_domain():
    assert lookup("Conv", "") is OPS["Conv"]
    assert lookup("Conv", "ai.onnx") is OPS["Conv"]
    assert lookup("Attention", "com.microsoft") is OPS["com.microsoft.Attention"]
    assert lookup("Attention", "") is OPS["Attention"] is not OPS["com.microsoft.Attention"]
    assert lookup("TreeEnsemble", "ai.onnx.ml") is OPS["ai.onnx.ml.TreeEnsemble"]
    assert lookup("TreeEnsemble", "") is None
    assert lookup("Conv", "com.example") is None
    assert lookup("NoSuchOp", "") is None


def test_every_entry_has_a_hand_computed_case():
    tested = {case_key(param) for family in FAMILIES for param in family.CASES}
    # NonMaxSuppression has no formula; test_cost_movers checks it is always unestimated.
    assert sorted(set(OPS) - tested) == ["NonMaxSuppression"]


def doc_ops() -> list[str]:
    """The op keys listed in docs/metrics.md's "Op formulas" table."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Op formulas", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def test_doc_lists_every_op_once_and_nothing_else():
    listed = doc_ops()
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(OPS)


def test_doc_lists_every_metric():
    text = DOC.read_text(encoding="utf-8")
    assert [name for name in METRICS if f"`{name}`" not in text] == []
