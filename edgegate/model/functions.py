"""Check a model's local functions before onnx's inliner sees them.

What onnx's inliner does with a function table it cannot inline depends on the onnx installed:
onnx 1.23 refuses a recursive function, a function defined twice and a call chain deeper than
it allows, while onnx 1.16 dies of a stack overflow on recursion (SIGSEGV), silently inlines the
later of two definitions and inlines any depth; both stop at a call with more inputs than the
function takes with a message naming the inliner's C++ source. :func:`check_local_functions`
refuses these itself, so every onnx gives the same answer, in the same words.
"""

from __future__ import annotations

import onnx

from edgegate.errors import ModelError
from edgegate.model.order import all_graphs, raw_node, subgraphs

MAX_CALL_DEPTH = 100
"""The most local functions a chain of calls may nest (onnx 1.23's inliner takes 257)."""

FunctionId = tuple[str, str, str]
"""A local function as a call names it: (domain, name, overload)."""


def _label(function: FunctionId) -> str:
    domain, name, overload = function
    return f"{domain}::{name}" + (f":{overload}" if overload else "")


def _called(function: onnx.FunctionProto, known: dict[FunctionId, onnx.FunctionProto]) -> list[FunctionId]:
    """The local functions ``function``'s nodes call (in its body and in the graphs of its
    nodes' attributes), in order, each once."""
    calls: dict[FunctionId, None] = {}
    stack: list[onnx.FunctionProto | onnx.GraphProto] = [function]
    while stack:
        for node in stack.pop().node:
            callee = (node.domain, node.op_type, node.overload)
            if callee in known:
                calls[callee] = None
            stack.extend(subgraphs(node))
    return list(calls)


def check_local_functions(model: onnx.ModelProto) -> None:
    """ModelError when a local function is defined twice, is called with more inputs or outputs
    than it has, calls itself (directly or through others), or starts a chain of calls more than
    :data:`MAX_CALL_DEPTH` functions deep."""
    known: dict[FunctionId, onnx.FunctionProto] = {}
    for function in model.functions:
        key = (function.domain, function.name, function.overload)
        if key in known:
            raise ModelError(f"local functions cannot be inlined: {_label(key)} is defined twice")
        known[key] = function
    _check_arity(model, known)
    calls = {key: _called(function, known) for key, function in known.items()}
    depth: dict[FunctionId, int] = {}
    for start in calls:
        cycle = _cycle_from(start, calls, depth)
        if cycle is not None:
            raise ModelError("local functions cannot be inlined: a function calls itself: "
                             + " -> ".join(_label(step) for step in cycle))
        if depth[start] > MAX_CALL_DEPTH:
            raise ModelError(f"local functions cannot be inlined: calls from {_label(start)} nest"
                             f" {depth[start]} functions deep, more than {MAX_CALL_DEPTH}")


def _check_arity(model: onnx.ModelProto, known: dict[FunctionId, onnx.FunctionProto]) -> None:
    """ModelError for a call (anywhere in the model) with more inputs or outputs than the
    local function it calls has; fewer is allowed (optional ones left out)."""
    for graph in all_graphs(model):
        for node in graph.node:
            function = known.get((node.domain, node.op_type, node.overload))
            if function is None:
                continue
            for what, given, has in (("inputs", node.input, function.input),
                                     ("outputs", node.output, function.output)):
                if len(given) > len(has):
                    raise ModelError(f"local functions cannot be inlined: node '{raw_node(node).label}' calls"
                                     f" {_label((function.domain, function.name, function.overload))}"
                                     f" with {len(given)} {what}; it has {len(has)}")


def _cycle_from(start: FunctionId, calls: dict[FunctionId, list[FunctionId]],
                depth: dict[FunctionId, int]) -> list[FunctionId] | None:
    """Fill ``depth`` (the longest chain of calls from each function, itself included) for
    everything ``start`` reaches, depth first and without recursion; the path of a cycle when
    one is found instead."""
    path: list[FunctionId] = []
    on_path: set[FunctionId] = set()
    stack: list[tuple[FunctionId, bool]] = [(start, False)]
    while stack:
        key, leaving = stack.pop()
        if leaving:
            path.pop()
            on_path.discard(key)
            depth[key] = 1 + max((depth[callee] for callee in calls[key]), default=0)
            continue
        if key in depth:
            continue
        if key in on_path:
            return [*path[path.index(key):], key]
        path.append(key)
        on_path.add(key)
        stack.append((key, True))
        stack.extend((callee, False) for callee in reversed(calls[key]))
    return None
