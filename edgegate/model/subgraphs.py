"""Shapes inside If, Loop and Scan bodies, and If nodes whose condition is known.

onnx's shape inference sees the outer graph's shapes from inside a subgraph but not the values
of its constants, so a branch that reshapes an outer tensor by an outer shape constant (what
torch.onnx writes for torch.cond: every constant goes in the main graph) learns nothing. Each
subgraph is therefore taken out as a model of its own, whose inputs are its formal inputs
(typed from the node's inputs) and the outer tensors it reads (the constants among them with
their values), and completed by the same inference and folding loop as the main graph; the
shapes found are written back. An If whose condition is constant once the bindings are known
is replaced by the branch it takes, so the graph after it is inferred through that branch.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper, numpy_helper

from edgegate.errors import ModelError
from edgegate.model.domains import DEFAULT_DOMAINS
from edgegate.model.graph import Folding, Provenance, Scope
from edgegate.model.info import TensorInfo
from edgegate.model.order import captured_names, subgraphs

CONTROL_FLOW = frozenset({"If", "Loop", "Scan"})


@dataclass
class Completion:
    """What completing one model's shapes carries between rounds and into its subgraphs.

    ``injected``: provenance of initializers that replaced folded nodes (edgegate.model.graph);
    ``dropped``: the branches of Ifs replaced by their taken branch, whose stored constants
    still count as params, and ``conditions`` their conditions (the If still reads one: the
    stored constants it is computed from count as params, as when it is not known);
    ``done``: per control-flow node, the outer facts it was last completed with, so a
    subgraph is redone only when they grow.
    """

    injected: dict[str, Provenance] = field(default_factory=dict)
    dropped: list[onnx.GraphProto] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    done: dict[str, tuple] = field(default_factory=dict)


Complete = Callable[[onnx.ModelProto, Completion], "tuple[onnx.ModelProto, Folding]"]
"""Infer and fold a model to completion (edgegate.model.shapes): used on each subgraph."""


def _condition(node: onnx.NodeProto, scope: Scope) -> bool | None:
    """The If node's condition when it is a known constant, else None."""
    tensor = scope.get(node.input[0]) if node.input and node.input[0] else None
    if tensor is None or tensor.value is None or np.asarray(tensor.value).size != 1:
        return None
    return bool(np.asarray(tensor.value).reshape(-1)[0])


def _branch(node: onnx.NodeProto, name: str) -> onnx.GraphProto | None:
    found = [a.g for a in node.attribute if a.name == name and a.type == onnx.AttributeProto.GRAPH]
    return found[0] if found else None


def _defined(graph: onnx.GraphProto) -> set[str]:
    """Every name a graph defines: inputs, initializers, node outputs, in nested graphs too."""
    names = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    for node in graph.node:
        names.update(o for o in node.output if o)
        for sub in subgraphs(node):
            names |= _defined(sub)
    return names


def _rename(graph: onnx.GraphProto, mapping: dict[str, str]) -> None:
    """Rename ``mapping``'s keys everywhere in ``graph`` (nested graphs included)."""
    for node in graph.node:
        node.input[:] = [mapping.get(n, n) for n in node.input]
        node.output[:] = [mapping.get(n, n) for n in node.output]
        for sub in subgraphs(node):
            _rename(sub, mapping)
    for items in (graph.input, graph.output, graph.value_info, graph.initializer):
        for item in items:
            item.name = mapping.get(item.name, item.name)


def _inlined(node: onnx.NodeProto, branch: onnx.GraphProto, taken: set[str]) -> list[onnx.NodeProto]:
    """The branch's nodes in place of the If node, its outputs renamed to the If's outputs.

    Names the branch defines that the rest of the model also uses get a fresh suffix.
    """
    body = copy.deepcopy(branch)
    clashes = _defined(body) & taken
    if clashes:
        _rename(body, {name: f"{name}__{node.name or 'if'}_taken" for name in clashes})
    nodes = list(body.node)
    for result, inner in zip(node.output, body.output):
        if result:
            nodes.append(helper.make_node("Identity", [inner.name], [result]))
    body.ClearField("node")
    inits = list(body.initializer)
    for tensor in inits:
        nodes.insert(0, helper.make_node("Constant", [], [tensor.name], value=tensor))
    return nodes


def inline_known_ifs(graph: onnx.GraphProto, scope: Scope, completion: Completion) -> bool:
    """Replace each If whose condition ``scope`` knows by the branch it takes; True if any.

    The branch not taken is kept in ``completion.dropped`` (its stored constants are params).
    """
    ifs = [node for node in graph.node if node.op_type == "If"]
    if not any(_condition(node, scope) is not None for node in ifs):
        return False
    changed = False
    nodes: list[onnx.NodeProto] = []
    names = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    for node in graph.node:
        names.update(n for n in [*node.input, *node.output] if n)
        if node.op_type != "If":
            for sub in subgraphs(node):
                names |= _defined(sub)
    for node in graph.node:
        condition = _condition(node, scope) if node.op_type == "If" else None
        then, other = _branch(node, "then_branch"), _branch(node, "else_branch")
        if node.domain not in DEFAULT_DOMAINS or condition is None or then is None or other is None:
            nodes.append(node)
            continue
        taken, dropped = (then, other) if condition else (other, then)
        inlined = _inlined(node, taken, names)
        names.update(n for item in inlined for n in item.output)
        nodes.extend(inlined)
        completion.dropped.append(copy.deepcopy(dropped))
        completion.conditions.append(node.input[0])
        changed = True
    if changed:
        del graph.node[:]
        graph.node.extend(nodes)
    return changed


def _typed(name: str, tensor: TensorInfo | None, fallback: onnx.ValueInfoProto | None = None
           ) -> onnx.ValueInfoProto:
    """A graph input named ``name`` with ``tensor``'s dtype and shape (as far as known)."""
    if tensor is not None and tensor.dtype:
        shape = list(tensor.shape) if tensor.shape is not None else None
        return helper.make_tensor_value_info(name, tensor.dtype, shape)
    if fallback is not None:
        value = copy.deepcopy(fallback)
        value.name = name
        return value
    return helper.make_tensor_value_info(name, 0, None)


def _formal_inputs(node: onnx.NodeProto, graph: onnx.GraphProto, scope: Scope) -> list[onnx.ValueInfoProto]:
    """The subgraph's own inputs, typed from the control-flow node's inputs where known."""
    formal = list(graph.input)
    outer = [scope.get(name) if name else None for name in node.input]
    if node.op_type == "Loop":
        known: list[TensorInfo | None] = [
            TensorInfo("", (), onnx.TensorProto.INT64), TensorInfo("", (), onnx.TensorProto.BOOL),
            *outer[2:],
        ]
    elif node.op_type == "Scan":
        scanned = next((a.i for a in node.attribute if a.name == "num_scan_inputs"), 0)
        axes = next((list(a.ints) for a in node.attribute if a.name == "scan_input_axes"), [])
        states = len(outer) - scanned
        known = list(outer[:states])
        for index, tensor in enumerate(outer[states:]):
            axis = axes[index] if index < len(axes) else 0
            if tensor is None or tensor.shape is None:
                known.append(tensor)
                continue
            if not tensor.shape:  # a scalar has no axis to scan: nothing is known of a slice
                known.append(None)
                continue
            shape = list(tensor.shape)
            del shape[axis % len(shape)]
            known.append(TensorInfo(tensor.name, tuple(shape), tensor.dtype))
    else:
        known = []
    return [_typed(value.name, known[i] if i < len(known) else None, value) for i, value in enumerate(formal)]


def _standalone(node: onnx.NodeProto, graph: onnx.GraphProto, scope: Scope, model: onnx.ModelProto
                ) -> tuple[onnx.ModelProto, set[str]]:
    """``graph`` as a model of its own, and the names of the outer tensors it was given."""
    inner = copy.deepcopy(graph)
    inputs = _formal_inputs(node, inner, scope)
    outer: set[str] = set()
    constants: list[onnx.TensorProto] = []
    for name in sorted(captured_names(inner)):
        tensor = scope.get(name)
        outer.add(name)
        if tensor is not None and tensor.is_constant and tensor.value is not None:
            constants.append(numpy_helper.from_array(np.asarray(tensor.value), name))
        else:
            inputs.append(_typed(name, tensor))
    del inner.input[:]
    inner.input.extend(inputs)
    inner.initializer.extend(constants)
    standalone = helper.make_model(inner, opset_imports=list(model.opset_import))
    standalone.ir_version = model.ir_version
    standalone.functions.extend(model.functions)
    return standalone, outer


def _signature(node: onnx.NodeProto, scope: Scope) -> tuple:
    """What the outer graph knows about everything the node reads: shapes, constant values."""
    names = [n for n in node.input if n] + sorted(n for g in subgraphs(node) for n in captured_names(g))
    facts = []
    for name in names:
        tensor = scope.get(name)
        value = None if tensor is None or tensor.value is None else np.asarray(tensor.value).tobytes()
        facts.append((name, None if tensor is None else tensor.shape, value))
    return tuple(facts)


def _write_back(graph: onnx.GraphProto, inferred: onnx.ModelProto, outer: set[str]) -> None:
    """Put what completing the standalone model found into the original subgraph."""
    result = inferred.graph
    formal = {v.name for v in graph.input}
    del graph.node[:]
    graph.node.extend(result.node)
    own = {t.name for t in graph.initializer}
    graph.initializer.extend(t for t in result.initializer if t.name not in outer and t.name not in own)
    del graph.value_info[:]
    graph.value_info.extend(v for v in result.value_info if v.name not in outer and v.name not in formal)
    del graph.output[:]
    graph.output.extend(result.output)


def _control_nodes(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """The graph's If, Loop and Scan nodes (one list comprehension: it runs every round)."""
    return [node for node in graph.node if node.op_type in CONTROL_FLOW and node.domain in DEFAULT_DOMAINS]


def complete_subgraphs(model: onnx.ModelProto, folding: Folding, completion: Completion,
                       complete: Complete) -> bool:
    """Complete the shapes inside every If/Loop/Scan body of ``model``'s graph; True if any
    subgraph was (re)done, with the outer facts in ``folding``'s scope."""
    changed = False
    for index, node in enumerate(_control_nodes(model.graph)):
        key = f"{index}:{node.name}:{','.join(node.output)}"
        signature = _signature(node, folding.scope)
        if completion.done.get(key) == signature:
            continue
        completion.done[key] = signature
        for graph in subgraphs(node):
            standalone, outer = _standalone(node, graph, folding.scope, model)
            nested = Completion(injected=completion.injected)
            try:
                inferred, _ = complete(standalone, nested)
            except ModelError:
                continue
            completion.dropped.extend(nested.dropped)
            _write_back(graph, inferred, outer)
            changed = True
    return changed
