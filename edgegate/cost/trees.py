"""Tree ensembles: ai.onnx.ml TreeEnsemble, TreeEnsembleClassifier, TreeEnsembleRegressor.

A sample walks each tree from its root to a leaf, one compare per interior node on its path.
The path it takes depends on the data; the formula takes each tree's depth (its longest
root-to-leaf path, read from the node attributes): an upper bound, reached by samples that
land on the deepest leaves. Per sample: the trees' depths summed in compares, + one add per
tree to aggregate its leaf value; then each score's post_transform (and a classifier's
top-class compare) as in ml.py. AVERAGE's final divide is once per score, not counted.
"""

from __future__ import annotations

from collections.abc import Sequence

from edgegate.cost.ml import per_score, rows_features, scores_per_row
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable

Children = Sequence["Sequence[int] | None"]
"""Per node, the indices of its children; None marks a leaf."""

LEGACY_NODES = (
    "nodes_treeids",
    "nodes_nodeids",
    "nodes_modes",
    "nodes_truenodeids",
    "nodes_falsenodeids",
)
"""The per-node attributes of TreeEnsembleClassifier/Regressor that give a tree's shape."""


def depths(children: Children, node: NodeInfo) -> list[int]:
    """Compares from each node down its longest path to a leaf (a leaf: 0; interior: 1 + max).

    Raises Uncostable for a child index out of range or a cycle.
    """
    state = [0] * len(children)
    depth = [0] * len(children)
    for start in range(len(children)):
        stack = [start] if not state[start] else []
        while stack:
            index = stack[-1]
            if state[index] == 0:
                state[index] = 1
                for child in children[index] or ():
                    if not 0 <= child < len(children) or state[child] == 1:
                        raise Uncostable(f"{node.op_type} node '{node.name}' has a malformed tree")
                    if state[child] == 0:
                        stack.append(child)
                continue
            stack.pop()
            if state[index] == 1:
                kids = children[index]
                depth[index] = 0 if kids is None else 1 + max((depth[c] for c in kids), default=0)
                state[index] = 2
    return depth


def _attrs(node: NodeInfo, keys: tuple[str, ...]) -> list[tuple]:
    """The named per-node attributes, checked to have one length."""
    values = [tuple(node.attr(key) or ()) for key in keys]
    if len({len(v) for v in values}) != 1:
        raise Uncostable(f"{node.op_type} node '{node.name}' has nodes_* of unequal lengths")
    return values


def legacy_depths(node: NodeInfo) -> list[int]:
    """Depth of each tree of TreeEnsembleClassifier/Regressor (node ids per tree, LEAF mode)."""
    trees, ids, modes, true, false = _attrs(node, LEGACY_NODES)
    where = {(tree, id_): index for index, (tree, id_) in enumerate(zip(trees, ids))}
    children = [
        None if mode == "LEAF" else [where.get((tree, t), -1), where.get((tree, f), -1)]
        for tree, mode, t, f in zip(trees, modes, true, false)
    ]
    found: dict[int, int] = {}
    for tree, depth in zip(trees, depths(children, node)):
        found[tree] = max(found.get(tree, 0), depth)
    return list(found.values())


def ensemble_depths(node: NodeInfo) -> list[int]:
    """Depth of each tree of TreeEnsemble (ai.onnx.ml 5): interior nodes only, leaf flags."""
    keys = ("nodes_truenodeids", "nodes_trueleafs", "nodes_falsenodeids", "nodes_falseleafs")
    true, true_leaf, false, false_leaf = _attrs(node, keys)
    children = [
        [child for child, leaf in ((true[i], true_leaf[i]), (false[i], false_leaf[i])) if not leaf]
        for i in range(len(true))
    ]
    found = depths(children, node)
    roots = tuple(node.attr("tree_roots") or ())
    if any(not 0 <= root < len(found) for root in roots):
        raise Uncostable(f"TreeEnsemble node '{node.name}' has a tree root out of range")
    return [found[root] for root in roots]


def tree_ensemble(node: NodeInfo) -> OpCost:
    """Tree ensembles: N * (sum of tree depths + trees) FLOPs, + per score (see the module)."""
    rows, _ = rows_features(node)
    found = ensemble_depths(node) if node.op_type == "TreeEnsemble" else legacy_depths(node)
    scores = rows * scores_per_row(node) * per_score(node)
    return OpCost(0, rows * (sum(found) + len(found)) + scores)
