"""Shapes guessed ahead of onnx's next inference round, node by node, with onnx's own rules.

onnx's data propagation stops at shape arithmetic it has no rule for (Div, Mod, Max, Sqrt,
Identity and more): every tensor after such a link is unknown until edgegate folds the link
and onnx infers the whole graph again. An exported network repeats that arithmetic in every
block (a chunk, a window partition, a head split), so folding alone takes one round per block:
40 whole-graph rounds for a 3,600-node Hiera. A look-ahead carries the fold past those links
within one round: a node whose outputs are still unknown, whose inputs' shapes are known, gets
its output shapes from onnx's inference of that node alone (``infer_node_outputs``, the rule
whole-graph inference applies to it), given the values of its constant shape operands.

What is guessed so is never reported: edgegate.model.shapes guesses in a child process (the
rules are native code), replays the guesses to fold, injects the constants folded from them,
infers the whole graph again, and keeps that round only when onnx's whole-graph shapes equal
every guess; else it undoes the round and goes on round by round, as without guessing. Only
pure shape rules of default-domain ops without subgraphs are asked for (:data:`OPS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

import onnx
from onnx import helper, numpy_helper, shape_inference

from edgegate.errors import ModelError
from edgegate.model.domains import DEFAULT_DOMAINS
from edgegate.model.info import TensorInfo
from edgegate.model.order import RawNode
from edgegate.model.roles import shape_inputs
from edgegate.model.tensors import value_info


class Tensors(Protocol):
    """What is known of a graph's tensors by name (edgegate.model.graph.Scope)."""

    def get(self, name: str) -> TensorInfo | None:
        """The tensor's info, or None when nothing declares it."""


T = TypeVar("T")

Guess = Callable[[RawNode, Tensors], "list[TensorInfo] | None"]
"""Output infos guessed for a node whose outputs inference left unknown, or None."""

OPS = frozenset({
    "Abs", "Add", "And", "ArgMax", "ArgMin", "AveragePool", "BatchNormalization", "Cast", "CastLike",
    "Ceil", "Clip", "Concat", "Conv", "ConvTranspose", "Cos", "CumSum", "DepthToSpace", "Div",
    "Dropout", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather",
    "GatherElements", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Greater",
    "GreaterOrEqual", "GroupNormalization", "HardSigmoid", "HardSwish", "Identity",
    "InstanceNormalization", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log",
    "LogSoftmax", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mish", "Mod", "Mul", "Neg", "Not",
    "Or", "Pad", "Pow", "PRelu", "Reciprocal", "ReduceL2", "ReduceMax", "ReduceMean", "ReduceMin",
    "ReduceProd", "ReduceSum", "Relu", "Reshape", "Resize", "Round", "Selu", "Sigmoid", "Sign",
    "Sin", "Slice", "Softmax", "Softplus", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub",
    "Sum", "Tanh", "Tile", "Transpose", "Trilu", "Unsqueeze", "Where", "Xor",
})
"""Default-domain ops whose shape rule onnx is asked for: pure functions of input shapes and
constant shape operands, the ops that sit between an exported network's shape arithmetic."""

_REFUSALS = (shape_inference.InferenceError, onnx.checker.ValidationError, onnx.defs.SchemaError,
             RuntimeError, ValueError, TypeError, KeyError, IndexError, ArithmeticError)
"""What onnx's rule raises when it refuses a node: each means no guess."""

MAX_OPERAND_VALUES = 4096
"""The most elements a constant shape operand may have to be handed to onnx's rule."""


class LookAhead:
    """Guesses a node's output shapes from its inputs' by onnx's rule for that node alone."""

    def __init__(self, model: onnx.ModelProto) -> None:
        opsets = {(o.domain if o.domain != "ai.onnx" else ""): o.version for o in model.opset_import}
        self.version = opsets.get("", 0)
        self.opset_imports = list(model.opset_import)
        self.ir_version = model.ir_version

    def __call__(self, node: RawNode, scope: Tensors) -> list[TensorInfo] | None:
        """The output infos of ``node`` when onnx's rule gives every output a concrete shape;
        None when it is not asked (another op, an input of unknown shape or type) or gives less."""
        if node.op_type not in OPS or node.domain not in DEFAULT_DOMAINS or node.graphs:
            return None
        types: dict[str, onnx.TypeProto] = {}
        data: dict[str, onnx.TensorProto] = {}
        operands = shape_inputs(node.op_type, node.domain)
        for index, name in enumerate(node.inputs):
            if not name:
                continue
            tensor = scope.get(name)
            if tensor is None or tensor.shape is None or not tensor.dtype:
                return None
            types[name] = helper.make_tensor_type_proto(tensor.dtype, tensor.shape)
            if index in operands and tensor.value is not None and tensor.value.size <= MAX_OPERAND_VALUES:
                data[name] = numpy_helper.from_array(tensor.value, name)
        try:
            schema = onnx.defs.get_schema(node.op_type, self.version, "")
            inferred = shape_inference.infer_node_outputs(
                schema, node.proto, types, data, opset_imports=self.opset_imports, ir_version=self.ir_version,
            )
        except _REFUSALS:
            return None
        return self._outputs(node, inferred)

    @staticmethod
    def _outputs(node: RawNode, inferred: Mapping[str, onnx.TypeProto]) -> list[TensorInfo] | None:
        """The guessed infos, or None unless every named output has a concrete shape."""
        types = _each_output(node, inferred)
        if types is None:
            return None
        guesses = []
        for name, found in zip([name for name in node.outputs if name], types):
            try:
                guess = value_info(helper.make_value_info(name, found))
            except ModelError:
                return None
            if guess.shape is None or not guess.dtype:
                return None
            guesses.append(guess)
        return guesses


def _each_output(node: RawNode, found: Mapping[str, T]) -> list[T] | None:
    """What ``found`` holds for each output the node names, or None when it lacks one."""
    values = []
    for name in node.outputs:
        if not name:
            continue
        value = found.get(name)
        if value is None:
            return None
        values.append(value)
    return values


def replay(guesses: Mapping[str, TensorInfo]) -> Guess:
    """A Guess that gives the ``guesses`` a LookAhead made (in a child) for each node's outputs."""

    def guess(node: RawNode, scope: Tensors) -> list[TensorInfo] | None:
        return _each_output(node, guesses)

    return guess
