"""ai.onnx.ml formulas (skl2onnx's linear models, SVMs, trees, transforms) against hand counts."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from cost_helpers import case, cost_of, node
from onnx import TensorProto, helper

import edgegate
from edgegate.cost.registry import lookup
from edgegate.cost.trees import depths
from edgegate.model.info import Uncostable

ML = "ai.onnx.ml"


def ml(op_type, inputs, outputs, **attrs):
    """An ai.onnx.ml node."""
    return node(op_type, inputs, outputs, attrs, ML)


def tree(op_type, trees, **changes):
    """A one-row tree ensemble node over ``trees`` with some attributes changed."""
    return ml(op_type, [("x", (1, 3))], [("y", None)], **{**trees, **changes})


IRIS = [("x", (10, 4))]
"""Ten rows of the four iris features."""

MOVERS = [
    ml("ArrayFeatureExtractor", [("x", (10, 4)), ("i", (2,), [0, 2])], [("y", (10, 2))]),
    ml("CastMap", [("m", None)], [("y", None)], cast_to="TO_FLOAT"),
    ml("CategoryMapper", [("s", (10,))], [("y", (10,))], cats_strings=("a",), cats_int64s=(0,)),
    ml("DictVectorizer", [("m", None)], [("y", None)], string_vocabulary=("a", "b")),
    ml("FeatureVectorizer", [("a", (10, 3)), ("b", (10, 1))], [("y", None)], inputdimensions=(3,)),
    ml("LabelEncoder", [("s", (10,))], [("y", (10,))], keys_strings=("a",), values_int64s=(1,)),
    ml("OneHotEncoder", [("c", (10, 1))], [("y", (10, 1, 3))], cats_int64s=(0, 1, 2)),
    ml("ZipMap", [("p", (10, 3))], [("z", None)], classlabels_int64s=(0, 1, 2)),
]

# Regression tree of depth 2 (root -> node 2 -> leaves) and a stump of depth 1, listed out of
# node-id order to exercise the lookup by (tree, node id).
LEGACY_TREES = {
    "nodes_treeids": (0, 0, 0, 0, 0, 1, 1, 1),
    "nodes_nodeids": (2, 0, 1, 3, 4, 0, 1, 2),
    "nodes_modes": ("BRANCH_LEQ", "BRANCH_LEQ", *["LEAF"] * 3, "BRANCH_LT", "LEAF", "LEAF"),
    "nodes_truenodeids": (3, 1, 0, 0, 0, 1, 0, 0),
    "nodes_falsenodeids": (4, 2, 0, 0, 0, 2, 0, 0),
    "nodes_featureids": (0,) * 8,
    "nodes_values": (0.5,) * 8,
}

# A chain of three compares: 0 -> 2 -> 4, each with a leaf on its true side.
CHAIN = {
    "nodes_treeids": (0,) * 7,
    "nodes_nodeids": tuple(range(7)),
    "nodes_modes": ("BRANCH_LEQ", "LEAF", "BRANCH_LEQ", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF"),
    "nodes_truenodeids": (1, 0, 3, 0, 5, 0, 0),
    "nodes_falsenodeids": (2, 0, 4, 0, 6, 0, 0),
}

# TreeEnsemble (ml opset 5): tree A (root 0 -> interior 1 -> leaves) of depth 2, tree B a
# single compare (node 2) of depth 1.
ENSEMBLE = {
    "tree_roots": (0, 2),
    "nodes_truenodeids": (1, 1, 3),
    "nodes_trueleafs": (0, 1, 1),
    "nodes_falsenodeids": (0, 2, 4),
    "nodes_falseleafs": (1, 1, 1),
    "nodes_featureids": (0, 1, 2),
    "n_targets": 3,
}

CASES = [
    *(case(info, 0, 0) for info in MOVERS),
    # Multinomial logistic regression, 3 classes: MACs 10 * 4 * 3 = 120; FLOPs 240 + 30
    # intercepts + 30 scores * (softmax 5 + top-class compare 1) = 240 + 30 + 180 = 450.
    case(
        ml(
            "LinearClassifier",
            IRIS,
            [("label", (10,)), ("probs", (10, 3))],
            classlabels_ints=(0, 1, 2),
            coefficients=(0.1,) * 12,
            intercepts=(0.0,) * 3,
            post_transform="SOFTMAX",
            multi_class=1,
        ),
        120,
        450,
    ),
    # Two targets over 8 features, 5 rows: MACs 5 * 8 * 2 = 80; FLOPs 160 + 10 intercepts.
    case(
        ml(
            "LinearRegressor",
            [("x", (5, 8))],
            [("y", (5, 2))],
            coefficients=(1.0,) * 16,
            intercepts=(0.0, 0.0),
            targets=2,
        ),
        80,
        170,
    ),
    # One row given as a 1-D X of 8 features, one target, no intercept: 8 MACs, 16 FLOPs.
    case(ml("LinearRegressor", [("x", (8,))], [("y", None)], coefficients=(1.0,) * 8), 8, 16, "1d"),
    # RBF SVC, 3 classes, 2 + 3 + 1 = 6 support vectors, one-vs-one coefficients (3-1)*6 = 12:
    # MACs 4 * (6*3 + 12) = 120; FLOPs 240 + 4*6 * (3 subtractions + gamma*d + exp = 5)
    # + 4*3 scores * (NONE 0 + top-class 1) = 240 + 120 + 12 = 372.
    case(
        ml(
            "SVMClassifier",
            [("x", (4, 3))],
            [("label", (4,)), ("scores", (4, 3))],
            classlabels_ints=(0, 1, 2),
            vectors_per_class=(2, 3, 1),
            support_vectors=(0.5,) * 18,
            coefficients=(1.0,) * 12,
            rho=(0.0,) * 3,
            kernel_type="RBF",
            kernel_params=(0.1, 0.0, 3.0),
        ),
        120,
        372,
        "rbf",
    ),
    # Linear SVC with no support vectors (coefficients per class), LOGISTIC: MACs 2 * 10 = 20;
    # FLOPs 40 + 2*2 scores * (1 + 1) = 48.
    case(
        ml(
            "SVMClassifier",
            [("x", (2, 5))],
            [("label", (2,)), ("scores", (2, 2))],
            classlabels_ints=(0, 1),
            coefficients=(1.0,) * 10,
            rho=(0.0,),
            post_transform="LOGISTIC",
        ),
        20,
        48,
        "linear",
    ),
    # Polynomial SVR, 5 support vectors of 4 features: MACs 10 * (5*4 + 5) = 250;
    # FLOPs 500 + 10*5 * 3 (gamma*d + coef0, power) = 650.
    case(
        ml(
            "SVMRegressor",
            [("x", (10, 4))],
            [("y", (10, 1))],
            n_supports=5,
            support_vectors=(1.0,) * 20,
            coefficients=(1.0,) * 5,
            rho=(0.0,),
            kernel_type="POLY",
            kernel_params=(0.1, 1.0, 2.0),
        ),
        250,
        650,
    ),
    # Normalizer L2 (3 per element), MAX by default (2): 3 * 40 = 120, 2 * 40 = 80.
    case(ml("Normalizer", IRIS, [("y", None)], norm="L2"), 0, 120, "l2"),
    case(ml("Normalizer", IRIS, [("y", None)]), 0, 80, "max"),
    # Scaler (x - offset) * scale: 2 * 40 = 80; Binarizer and Imputer one compare each: 40.
    case(ml("Scaler", IRIS, [("y", None)], offset=(0.0,) * 4, scale=(1.0,) * 4), 0, 80),
    case(ml("Binarizer", IRIS, [("y", (10, 4))], threshold=0.5), 0, 40),
    case(ml("Imputer", IRIS, [("y", None)], replaced_value_float=0.0), 0, 40),
    # Trees of depth 2 and 1, 100 rows, one target: 100 * (2 + 1 compares + 2 leaf adds) = 500.
    case(ml("TreeEnsembleRegressor", [("x", (100, 3))], [("y", None)], **LEGACY_TREES), 0, 500),
    # Chain of depth 3, 2 classes, LOGISTIC: 10 * (3 + 1) + 10*2 scores * (1 + 1) = 40 + 40.
    case(
        ml(
            "TreeEnsembleClassifier",
            [("x", (10, 3))],
            [("label", (10,)), ("scores", (10, 2))],
            classlabels_int64s=(0, 1),
            post_transform="LOGISTIC",
            **CHAIN,
        ),
        0,
        80,
    ),
    # TreeEnsemble, depths 2 and 1, 3 targets, SOFTMAX (code 1): 7 * (3 + 2) + 7*3 * 5 = 140.
    case(ml("TreeEnsemble", [("x", (7, 3))], [("y", None)], post_transform=1, **ENSEMBLE), 0, 140),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


def test_depths_of_a_forest():
    # Node 0 -> (1, 2); 1 -> (3, leaf); 2, 3 leaves-only compares; 4 a leaf: 3, 2, 1, 1, 0.
    assert depths([[1, 2], [3], [], [], None], node("X")) == [3, 2, 1, 1, 0]


@pytest.mark.parametrize(
    "info",
    [
        # node 1's true branch leads back to node 0
        tree("TreeEnsemble", ENSEMBLE, nodes_truenodeids=(1, 0, 3), nodes_trueleafs=(0, 0, 1)),
        tree("TreeEnsemble", ENSEMBLE, tree_roots=(0, 5)),
        # node 2's false branch names node id 9, which tree 0 does not have
        tree("TreeEnsembleRegressor", CHAIN, nodes_falsenodeids=(2, 0, 9, 0, 6, 0, 0)),
        tree("TreeEnsembleRegressor", CHAIN, nodes_modes=("LEAF",)),
        tree("TreeEnsembleClassifier", CHAIN),
        ml("LinearClassifier", IRIS, [("y", None)], classlabels_ints=(0,), coefficients=(1.0,) * 7),
        ml("LinearRegressor", IRIS, [("y", None)], coefficients=(1.0,) * 4, post_transform="CUBE"),
        ml("SVMRegressor", IRIS, [("y", None)], support_vectors=(1.0,) * 8, kernel_type="LAPLACE"),
        ml("Normalizer", IRIS, [("y", None)], norm="L3"),
        ml("Scaler", [("x", None)], [("y", None)]),
        ml("LinearRegressor", [("x", (2, 3, 4))], [("y", None)], coefficients=(1.0,) * 4),
    ],
    ids=[
        "cycle",
        "root-out-of-range",
        "missing-child",
        "unequal-lengths",
        "no-labels",
        "uneven-coefficients",
        "post-transform",
        "kernel",
        "norm",
        "x-unknown",
        "x-rank-3",
    ],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)


def test_ml_domain_keys_are_looked_up_by_domain():
    assert lookup("LinearClassifier", ML) is not None
    assert lookup("LinearClassifier", "") is None
    assert lookup("Scaler", "ai.onnx") is None


def test_logistic_regression_export_is_estimated():
    # skl2onnx's LogisticRegression: LinearClassifier -> ZipMap, N bound to 10. The classifier
    # costs 120 MACs, 450 FLOPs as in its case above; ZipMap moves data.
    seq_map = onnx.TypeProto()
    seq_map.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
    seq_map.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    classifier = helper.make_node(
        "LinearClassifier",
        ["X"],
        ["label", "probabilities"],
        domain=ML,
        classlabels_ints=[0, 1, 2],
        coefficients=[0.1] * 12,
        intercepts=[0.0] * 3,
        post_transform="SOFTMAX",
        multi_class=1,
    )
    zipmap = helper.make_node(
        "ZipMap", ["probabilities"], ["output_probability"], domain=ML, classlabels_int64s=[0, 1, 2]
    )
    graph = helper.make_graph(
        [classifier, zipmap],
        "logreg",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ("N", 4))],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ("N",)),
            helper.make_value_info("output_probability", seq_map),
        ],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid(ML, 1)]
    )
    estimate = edgegate.estimate(model, dims={"N": 10})
    assert estimate.unestimated == ()
    assert (estimate.macs, estimate.flops) == (120, 450)


def test_random_forest_export_counts_sklearn_tree_depths():
    # skl2onnx writes a RandomForestRegressor as TreeEnsembleRegressor; sklearn itself knows
    # each tree's depth (tree_.max_depth, compares on the longest path): 3 rows * (sum of the
    # depths + one leaf add per tree).
    ensemble = pytest.importorskip("sklearn.ensemble")
    skl2onnx = pytest.importorskip("skl2onnx")
    features = np.random.default_rng(0).random((60, 5)).astype(np.float32)
    forest = ensemble.RandomForestRegressor(n_estimators=4, max_depth=5, random_state=0)
    forest.fit(features, features.sum(axis=1))
    depths_ = [tree.tree_.max_depth for tree in forest.estimators_]
    model = skl2onnx.to_onnx(forest, features[:1], target_opset={"": 17, ML: 3})
    estimate = edgegate.estimate(model, input_shapes={"X": (3, 5)})
    assert estimate.unestimated == ()
    assert estimate.flops == 3 * (sum(depths_) + len(depths_))
