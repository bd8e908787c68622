"""What an op's inputs are for: which carry shape-like data, and which ops only relabel.

Per the cost model, shape-like inputs (Reshape's shape, Slice's starts/ends/axes/steps, ...)
are never params and never DRAM traffic, and a node that only feeds them is free shape
arithmetic; a view op's output is its input. These are facts about ONNX ops, read while
analyzing a graph; an op missing here has only data inputs. Keys are those of
:func:`edgegate.model.domains.op_key`, sorted (a test keeps them so).
"""

from __future__ import annotations

from edgegate.model.domains import op_key

SHAPE_INPUTS: dict[str, frozenset[int]] = {
    "AffineGrid": frozenset({1}),
    "CenterCropPad": frozenset({1}),
    "Clip": frozenset({1, 2}),
    "Col2Im": frozenset({1, 2}),
    "ConstantOfShape": frozenset({0}),
    "CumProd": frozenset({1}),
    "CumSum": frozenset({1}),
    "DFT": frozenset({1, 2}),
    "Dropout": frozenset({1, 2}),
    "Expand": frozenset({1}),
    "GRU": frozenset({4}),
    "LSTM": frozenset({4}),
    "MaxUnpool": frozenset({2}),
    "NonMaxSuppression": frozenset({2, 3, 4}),
    "OneHot": frozenset({1}),
    "Pad": frozenset({1, 3}),
    "RNN": frozenset({4}),
    "Range": frozenset({0, 1, 2}),
    "ReduceL1": frozenset({1}),
    "ReduceL2": frozenset({1}),
    "ReduceLogSum": frozenset({1}),
    "ReduceLogSumExp": frozenset({1}),
    "ReduceMax": frozenset({1}),
    "ReduceMean": frozenset({1}),
    "ReduceMin": frozenset({1}),
    "ReduceProd": frozenset({1}),
    "ReduceSum": frozenset({1}),
    "ReduceSumSquare": frozenset({1}),
    "Reshape": frozenset({1}),
    "Resize": frozenset({1, 2, 3}),
    "STFT": frozenset({1, 3}),
    "Shape": frozenset({0}),
    "Size": frozenset({0}),
    "Slice": frozenset({1, 2, 3, 4}),
    "Split": frozenset({1}),
    "Squeeze": frozenset({1}),
    "Tile": frozenset({1}),
    "TopK": frozenset({1}),
    "Trilu": frozenset({1}),
    "Unsqueeze": frozenset({1}),
    "Upsample": frozenset({1}),
    "com.microsoft.Attention": frozenset({6}),
    "com.microsoft.GroupQueryAttention": frozenset({5, 6}),
    "com.microsoft.MultiHeadAttention": frozenset({8}),
}

VIEWS = frozenset({"Dropout", "Flatten", "Identity", "Reshape", "Squeeze", "Unsqueeze"})
"""Default-domain ops whose output aliases their input: no layer, no memory of their own."""

NO_SHAPE_INPUTS: frozenset[int] = frozenset()


def shape_inputs(op_type: str, domain: str) -> frozenset[int]:
    """Indices of the op's inputs that carry shape-like data (none for an unknown op)."""
    return SHAPE_INPUTS.get(op_key(op_type, domain), NO_SHAPE_INPUTS)


def is_view(op_type: str, domain: str) -> bool:
    """True when the op's output is its input relabelled (Reshape, Squeeze, Identity...)."""
    return op_key(op_type, domain) in VIEWS
