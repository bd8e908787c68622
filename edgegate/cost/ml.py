"""ai.onnx.ml predictors and transforms, as skl2onnx exports them: linear models, SVMs, scalers.

X is (N, F), or (F,) for one row. A predictor's scores (classes of a classifier, targets of a
regressor, counted from its attributes) each cost their post_transform: SOFTMAX and
SOFTMAX_ZERO 5 (as Softmax), LOGISTIC and PROBIT 1 (the elementwise rule), NONE 0; a
classifier adds one compare per score to pick its top class. The lookups and reshapes
(LabelEncoder, CategoryMapper, OneHotEncoder, ArrayFeatureExtractor, FeatureVectorizer,
ZipMap, CastMap, DictVectorizer) are data movers. The elementwise transforms count per
element of X: onnx infers no output shape for Scaler, Normalizer or Imputer.
"""

from __future__ import annotations

from edgegate.cost.common import dims, need
from edgegate.cost.norm import SOFTMAX
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable

POST_TRANSFORM: dict[str, int] = {
    "LOGISTIC": 1,
    "NONE": 0,
    "PROBIT": 1,
    "SOFTMAX": SOFTMAX,
    "SOFTMAX_ZERO": SOFTMAX,
}
"""FLOPs per score of each post_transform."""

POST_TRANSFORM_CODES = ("NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT")
"""TreeEnsemble (ai.onnx.ml 5) gives post_transform as an integer: its names in order."""

KERNEL_FLOPS: dict[str, int] = {"LINEAR": 0, "POLY": 3, "RBF": 2, "SIGMOID": 3}
"""FLOPs per (sample, support vector) after the dot product: POLY (gamma*d + coef0)^degree,
SIGMOID tanh(gamma*d + coef0), RBF exp(-gamma*d) (plus its F subtractions, counted apart)."""

NORMALIZER_FLOPS: dict[str, int] = {"L1": 3, "L2": 3, "MAX": 2}
"""FLOPs per element of Normalizer: L1/L2 as LpNormalization (|x| or x^2, add, divide); MAX a
compare and a divide."""


def rows_features(node: NodeInfo) -> tuple[int, int]:
    """(N, F) of the X input, (1, F) for a 1-D X."""
    x = dims(need(node, 0, "X"))
    if len(x) not in (1, 2):
        raise Uncostable(f"{node.op_type} node '{node.name}' has X of shape {x}, not (N, F)")
    return (x[0] if len(x) == 2 else 1), x[-1]


def scores_per_row(node: NodeInfo) -> int:
    """A classifier's class count (from its labels), a regressor's target count (default 1)."""
    if node.op_type.endswith("Classifier"):
        for key in ("classlabels_ints", "classlabels_int64s", "classlabels_strings"):
            if node.attr(key):
                return len(node.attr(key))
        raise Uncostable(f"{node.op_type} node '{node.name}' has no class labels")
    return int(node.attr("n_targets") or node.attr("targets") or 1)


def per_score(node: NodeInfo) -> int:
    """FLOPs per score: its post_transform, + 1 (the top-class compare) for a classifier."""
    value = node.attr("post_transform", "NONE")
    if isinstance(value, int):
        value = POST_TRANSFORM_CODES[value] if 0 <= value < len(POST_TRANSFORM_CODES) else value
    if value not in POST_TRANSFORM:
        raise Uncostable(f"{node.op_type} node '{node.name}' has post_transform {value!r}")
    return POST_TRANSFORM[value] + (1 if node.op_type.endswith("Classifier") else 0)


def _count(node: NodeInfo, key: str, features: int) -> int:
    """len(attribute ``key``) / F: coefficient rows or support vectors; Uncostable if uneven."""
    total = len(node.attr(key) or ())
    if total and (not features or total % features):
        raise Uncostable(f"{node.op_type} node '{node.name}': {total} {key}, {features} features")
    return total // features if total else 0


def linear(node: NodeInfo) -> OpCost:
    """LinearClassifier, LinearRegressor: MACs = N * F * rows of coefficients (targets/classes).

    FLOPs = 2 * MACs, + one add per coefficient row and sample with intercepts, + per score.
    """
    rows, features = rows_features(node)
    targets = _count(node, "coefficients", features)
    macs = rows * features * targets
    intercepts = rows * targets if node.attr("intercepts") else 0
    return OpCost(macs, 2 * macs + intercepts + rows * scores_per_row(node) * per_score(node))


def svm(node: NodeInfo) -> OpCost:
    """SVMClassifier, SVMRegressor: MACs = N * (V * F + C) for V support vectors, C coefficients.

    Per sample: a kernel dot product (or squared distance) with each support vector, then the
    decision functions weigh the kernel values (C = V for a regressor, (classes - 1) * V one
    versus one; V = 0 and C = classes * F for a linear SVM). FLOPs = 2 * MACs + N * V * the
    kernel's FLOPs (+ F subtractions for RBF) + per score; rho adds and votes are not counted.
    """
    rows, features = rows_features(node)
    vectors = _count(node, "support_vectors", features)
    kernel = node.attr("kernel_type", "LINEAR")
    if kernel not in KERNEL_FLOPS:
        raise Uncostable(f"{node.op_type} node '{node.name}' has kernel_type {kernel!r}")
    macs = rows * (vectors * features + len(node.attr("coefficients") or ()))
    per_vector = KERNEL_FLOPS[kernel] + (features if kernel == "RBF" else 0)
    scores = rows * scores_per_row(node) * per_score(node)
    return OpCost(macs, 2 * macs + rows * vectors * per_vector + scores)


def _per_input(node: NodeInfo, flops: int) -> OpCost:
    """``flops`` FLOPs per element of X (its output has X's shape; onnx infers none for some)."""
    return OpCost(0, flops * need(node, 0, "X").numel)


def normalizer(node: NodeInfo) -> OpCost:
    """Normalizer: 2 FLOPs per element for MAX, 3 for L1 and L2; the root of L2 is per row."""
    norm = node.attr("norm", "MAX")
    if norm not in NORMALIZER_FLOPS:
        raise Uncostable(f"Normalizer node '{node.name}' has norm {norm!r}")
    return _per_input(node, NORMALIZER_FLOPS[norm])


def scaler(node: NodeInfo) -> OpCost:
    """Scaler: 2 FLOPs per element, (x - offset) * scale."""
    return _per_input(node, 2)


def compare(node: NodeInfo) -> OpCost:
    """Binarizer, Imputer: one FLOP per element (a compare and select, the elementwise rule)."""
    return _per_input(node, 1)
