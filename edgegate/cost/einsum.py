"""Einsum: parse the equation, then count a naive left-to-right pairwise contraction.

Two operands: the naive loop visits every combination of the distinct index letters once and
does one multiply-accumulate there, so MACs = product of the sizes of all distinct letters
(matrix product "ij,jk->ik": i * j * k). More operands are contracted left to right; each
step costs the product of the letters of its two operands, and its result keeps the letters
that the output or a later operand still needs. One operand: a permutation or diagonal
("ij->ji", "ii->i") moves data (0 FLOPs); a summation costs one add per point of its index
space ("ij->i": i * j FLOPs), as reductions do.
"""

from __future__ import annotations

import math

from edgegate.cost.common import dims
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, Uncostable

ELLIPSIS_BASE = 0x2460
"""Code point of the first stand-in letter for a dimension covered by "..."."""


def parse(equation: str, ranks: list[int]) -> tuple[list[str], str]:
    """Letters per operand and output letters, with each "..." dimension as its own letter.

    Ellipsis dimensions broadcast right-aligned, as in numpy; without "->" the output is the
    ellipsis dimensions followed by the letters used once, in alphabetical order.
    """
    spec = equation.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise Uncostable(f"einsum '{equation}' names {len(terms)} operands, got {len(ranks)}")
    widths = [rank - len(term.replace("...", "")) for term, rank in zip(terms, ranks)]
    if any(w < 0 or (w and "..." not in term) for w, term in zip(widths, terms)):
        raise Uncostable(f"einsum '{equation}' does not match the operand ranks {ranks}")
    span = max(widths, default=0)
    stand_ins = "".join(chr(ELLIPSIS_BASE + i) for i in range(span))
    operands = [t.replace("...", stand_ins[span - w :]) for t, w in zip(terms, widths)]
    if arrow:
        return operands, rhs.replace("...", stand_ins)
    letters = "".join(operands)
    once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in stand_ins)
    return operands, stand_ins + "".join(once)


def letter_sizes(operands: list[str], shapes: list[tuple[int, ...]]) -> dict[str, int]:
    """Size of each letter: the largest over the operands (a size-1 axis broadcasts)."""
    sizes: dict[str, int] = {}
    for letters, shape in zip(operands, shapes):
        for letter, size in zip(letters, shape):
            sizes[letter] = max(sizes.get(letter, size), size)
    return sizes


def einsum(node: NodeInfo) -> OpCost:
    """Einsum: two operands, MACs = product of the sizes of all distinct letters; FLOPs = 2 * MACs.

    More operands: sum of that product over a left-to-right pairwise contraction. One operand:
    0 for a permutation or diagonal, else one FLOP per point of its index space.
    """
    equation = node.attr("equation")
    if not equation:
        raise Uncostable(f"Einsum node '{node.name}' has no equation")
    shapes = [dims(t) for t in node.inputs if t is not None]
    operands, output = parse(equation, [len(s) for s in shapes])
    sizes = letter_sizes(operands, shapes)
    if len(operands) == 1:
        space = set(operands[0])
        if space <= set(output):
            return OpCost()
        return OpCost(0, math.prod(sizes[c] for c in space))
    macs = 0
    held = set(operands[0])
    for step, letters in enumerate(operands[1:], start=1):
        joined = held | set(letters)
        macs += math.prod(sizes[c] for c in joined)
        later = set(output).union(*operands[step + 1 :])
        held = joined & later
    return OpCost(macs, 2 * macs)
