"""Screen what onnx's native shape inference is handed before it runs.

onnx's C++ data propagation (``infer_shapes(..., data_prop=True)``) turns every 1-D integer
tensor it meets into a list of dimensions, one element at a time, and steps through Slice
with C ``int`` arithmetic. A Slice step near 2^31 or 2^63 overflows it (a segfault, which no
``except`` can catch, or a loop that allocates until memory runs out), and a 1-D tensor of a
billion elements is a billion dimensions (minutes, then ``std::bad_alloc``). Python cannot
recover from either, so :func:`infer_screened` infers without data propagation first and
looks for them, in every graph (subgraphs and functions too): a Slice whose constant step is
beyond :data:`MAX_SLICE_STEP`, and a tensor of rank 1 that has (declared or inferred), or a
constant shape operand that makes, more than :data:`MAX_SHAPE_VALUES` elements. With one of
them, or when every shape is already known, that first result is the result; otherwise
inference runs again with data propagation, within :data:`DATA_PROPAGATION_BYTES` of memory
beyond what the process uses (where the OS can limit it), and should that run out, the first
result stands. edgegate's own folding (bounded by ``edgegate.model.fold``) evaluates
the shape arithmetic data propagation did not.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence

import numpy as np
import onnx
from onnx import shape_inference

from edgegate.errors import ModelError
from edgegate.model.fold import MAX_FOLD_ELEMENTS
from edgegate.model.isolate import retire
from edgegate.model.order import all_graphs
from edgegate.model.tensors import tensor_value

MAX_SHAPE_VALUES = MAX_FOLD_ELEMENTS
"""The most elements a rank-0 or rank-1 tensor may have for onnx's data propagation to run."""

MAX_SLICE_STEP = 1 << 16
"""The largest Slice step (in magnitude) data propagation is handed; onnx's crashes from 2^31-1
(a step beyond a tensor's length selects what a step of its length selects)."""

_SHAPE_OPERAND = {"ConstantOfShape": 0, "Expand": 1, "Reshape": 1, "Tile": 1}
"""Ops whose output shape is (or scales with) a constant operand's value, by its input index."""


_WATCHED = frozenset({"Slice", "Pad", "OneHot", "Range", *_SHAPE_OPERAND})


def _constants(graph: onnx.GraphProto | onnx.FunctionProto) -> dict[str, np.ndarray]:
    """The small integer constants a graph defines (initializers and Constant nodes), by name."""
    found: dict[str, np.ndarray] = {}
    tensors = [(t.name, t) for t in getattr(graph, "initializer", ())]
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx") and node.output:
            for attribute in node.attribute:
                if attribute.name == "value" and attribute.type == onnx.AttributeProto.TENSOR:
                    tensors.append((node.output[0], attribute.t))
                elif attribute.name in ("value_ints", "value_int"):
                    found[node.output[0]] = np.asarray(list(attribute.ints) or [attribute.i])
    for name, tensor in tensors:
        if tensor.data_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
            value = tensor_value(tensor)
            if value is not None:
                found[name] = value
    return found


def _declared_sizes(graph: onnx.GraphProto | onnx.FunctionProto) -> Iterator[tuple[str, int]]:
    """(name, elements) of each declared tensor of rank 1 and each integer initializer of rank
    0 or 1 (the ones data propagation reads element by element)."""
    if not isinstance(graph, onnx.GraphProto):
        return
    values = [*graph.input, *graph.value_info, *graph.output]
    for value in values:
        dims = value.type.tensor_type.shape.dim
        if len(dims) == 1 and dims[0].dim_value > 0:
            yield value.name, dims[0].dim_value
    for tensor in graph.initializer:
        if len(tensor.dims) <= 1 and tensor.data_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
            yield tensor.name, math.prod(tensor.dims)


def _node_hazard(node: onnx.NodeProto, constants: dict[str, np.ndarray]) -> str | None:
    """Why data propagation must not see ``node``, or None."""
    if node.domain not in ("", "ai.onnx"):
        return None
    inputs = list(node.input)

    def constant(index: int) -> np.ndarray | None:
        return constants.get(inputs[index]) if index < len(inputs) and inputs[index] else None

    if node.op_type == "Slice":
        steps = constant(4)
        if steps is not None and steps.size and int(np.abs(steps.astype(object)).max()) > MAX_SLICE_STEP:
            return f"Slice node '{node.name}' has a step beyond {MAX_SLICE_STEP}"
    if node.op_type in _SHAPE_OPERAND:
        shape = constant(_SHAPE_OPERAND[node.op_type])
        if shape is not None and shape.size == 1 and abs(int(shape.ravel()[0])) > MAX_SHAPE_VALUES:
            return f"{node.op_type} node '{node.name}' makes a 1-D tensor of {int(shape.ravel()[0])} elements"
    if node.op_type == "Pad":
        pads = constant(1)
        if pads is not None and pads.size == 2 and int(np.abs(pads.astype(object)).sum()) > MAX_SHAPE_VALUES:
            return f"Pad node '{node.name}' pads a 1-D tensor by more than {MAX_SHAPE_VALUES} elements"
    if node.op_type == "OneHot":
        depth = constant(1)
        if depth is not None and depth.size == 1 and abs(int(depth.ravel()[0])) > MAX_SHAPE_VALUES:
            return f"OneHot node '{node.name}' has a depth beyond {MAX_SHAPE_VALUES}"
    if node.op_type == "Range":
        values = [constant(index) for index in range(3)]
        if all(value is not None and value.size == 1 for value in values):
            start, limit, delta = (int(value.ravel()[0]) for value in values if value is not None)
            if delta and (limit - start) // delta > MAX_SHAPE_VALUES:
                return f"Range node '{node.name}' makes {(limit - start) // delta} elements"
    return None


def data_propagation_hazard(model: onnx.ModelProto) -> str | None:
    """Why onnx's data propagation must not run on ``model`` (one reason), or None when it may."""
    for graph in all_graphs(model):
        for name, size in _declared_sizes(graph):
            if size > MAX_SHAPE_VALUES:
                return f"tensor '{name}' is 1-D with {size} elements"
        watched = [node for node in graph.node if node.op_type in _WATCHED]
        constants = _constants(graph) if watched else {}
        for node in watched:
            hazard = _node_hazard(node, constants)
            if hazard is not None:
                return hazard
    return None


def _dims_set(dims: Sequence[onnx.TensorShapeProto.Dimension], sizes: list[int]) -> bool:
    """True when every dimension has a value (``sizes``: their values, read once); only a 0
    needs a second look, to tell a set 0 from a symbolic or absent dimension."""
    return 0 not in sizes or all(size or dims[i].HasField("dim_value") for i, size in enumerate(sizes))


def _outputs_in(graph: onnx.GraphProto, complete: set[str]) -> bool:
    """True when every output every node of ``graph`` names is in ``complete``."""
    for node in graph.node:
        for name in node.output:
            if name and name not in complete:
                return False
    return True


def _survey(inferred: onnx.ModelProto) -> tuple[bool, str | None]:
    """(every output of every node of the main graph has a fully known shape, a 1-D tensor
    longer than :data:`MAX_SHAPE_VALUES` in any graph: data propagation would turn it into as
    many dimensions) of an inference's result."""
    graph = inferred.graph
    complete: set[str] = {t.name for t in graph.initializer}
    hazard = None
    for values in (graph.input, graph.value_info, graph.output):
        for value in values:
            tensor_type = value.type.tensor_type
            dims = tensor_type.shape.dim
            sizes = [d.dim_value for d in dims]
            if len(sizes) == 1 and sizes[0] > MAX_SHAPE_VALUES:
                hazard = f"tensor '{value.name}' is 1-D with {sizes[0]} elements"
            if tensor_type.HasField("shape") and _dims_set(dims, sizes):
                complete.add(value.name)
    if hazard is None:
        for sub in all_graphs(inferred):
            if sub is not graph:
                hazard = next((f"tensor '{name}' is 1-D with {size} elements"
                               for name, size in _declared_sizes(sub) if size > MAX_SHAPE_VALUES), None)
                if hazard is not None:
                    break
    return _outputs_in(graph, complete), hazard


COUNT_ATTRIBUTES = {"Scan": "num_scan_inputs"}
"""Attributes that count some of a node's inputs, by default-domain op. onnx before 1.23 sizes
its work by such a count before it checks it against the inputs (a Scan with num_scan_inputs
2**40 runs out of memory, -1 fails in a C++ vector; without the attribute, onnx 1.16 crashes),
so a node whose count is not between 1 and its inputs is hidden from inference, as an op of
:data:`HIDDEN_DOMAIN` no schema knows: its outputs stay unknown, and edgegate says why it
cannot cost it."""

HIDDEN_DOMAIN = "edgegate.hidden"

Held = list[tuple[int, int, str | None]]
"""Nodes hidden from inference: (graph, as :func:`all_graphs` orders them; node; its domain,
None when the field was not set)."""


def _hide_bad_counts(model: onnx.ModelProto) -> Held:
    """Hide each node of ``model`` whose :data:`COUNT_ATTRIBUTES` attribute is not between 1 and
    its number of inputs; return where they are, to be shown again."""
    held: Held = []
    for ordinal, graph in enumerate(all_graphs(model)):
        for index, node in enumerate(graph.node):
            name = COUNT_ATTRIBUTES.get(node.op_type)
            if name is not None and node.domain in ("", "ai.onnx") and any(
                    attribute.name == name and not 1 <= attribute.i <= len(node.input)
                    for attribute in node.attribute):
                held.append((ordinal, index, node.domain if node.HasField("domain") else None))
                node.domain = HIDDEN_DOMAIN
    if held:
        model.opset_import.add(domain=HIDDEN_DOMAIN, version=1)
    return held


def _show(model: onnx.ModelProto, held: Held) -> None:
    """Give the nodes :func:`_hide_bad_counts` hid in ``model`` (or in a copy of it) their domain back."""
    if not held:
        return
    graphs = list(all_graphs(model))
    for ordinal, index, domain in held:
        node = graphs[ordinal].node[index]
        if domain is None:
            node.ClearField("domain")
        else:
            node.domain = domain
    kept = [opset for opset in model.opset_import if opset.domain != HIDDEN_DOMAIN]
    del model.opset_import[:]
    model.opset_import.extend(kept)


def infer_screened(model: onnx.ModelProto) -> onnx.ModelProto:
    """onnx's shape inference of ``model`` (nodes whose count is no count of their inputs hidden
    from it: :data:`COUNT_ATTRIBUTES`), as :func:`_infer_screened` runs it."""
    held = _hide_bad_counts(model)
    try:
        inferred = _infer_screened(model)
    finally:
        _show(model, held)
    _show(inferred, held)
    return inferred


def _infer_screened(model: onnx.ModelProto) -> onnx.ModelProto:
    """onnx's shape inference of ``model``, with data propagation only where it is safe and
    needed: first without it; that result is final when it leaves no shape unknown, or when
    it (or the model itself) holds a hazard; otherwise again with data propagation, falling
    back to the first result if that runs out of memory. ModelError when inference itself
    runs out of memory. Either way the child this runs in is retired (edgegate.model.isolate)."""
    try:
        with memory_cap(INFERENCE_BYTES):
            plain = shape_inference.infer_shapes(model, data_prop=False)
    except MemoryError:
        retire()
        raise ModelError("shape inference ran out of memory: the model's tensors are too big") from None
    complete, hazard = _survey(plain)
    if complete or hazard or data_propagation_hazard(model):
        return plain
    try:
        with memory_cap(DATA_PROPAGATION_BYTES):
            return shape_inference.infer_shapes(model, data_prop=True)
    except MemoryError:
        retire()
        return plain


INFERENCE_BYTES = 4 << 30
"""The most memory (address space) onnx's inference without data propagation may take beyond
what the process already uses. onnx before 1.23 gives ConstantOfShape of a 1-D tensor of n
elements n dimensions, one at a time: a Pad of an empty shape by 10^9 took 24 GB before the
kernel killed it. Past the cap the allocation fails, and the model is a model error."""

DATA_PROPAGATION_BYTES = 512 << 20
"""The most memory (address space) onnx's data propagation may take beyond what the process
already uses: past it the allocation fails, and the result without data propagation stands."""


def _address_space() -> int | None:
    """The process's address space in bytes (Linux), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def memory_cap(extra: int) -> Iterator[None]:
    """Within the block, allocations past the current address space plus ``extra`` bytes fail
    (a MemoryError, or std::bad_alloc in native code); where the OS offers no such limit
    (``RLIMIT_AS`` on Linux), the block runs unlimited."""
    try:
        import resource
    except ImportError:  # Windows
        yield
        return
    used = _address_space()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = None if used is None else used + extra
    if cap is None or (soft != resource.RLIM_INFINITY and soft <= cap):
        yield
        return
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
