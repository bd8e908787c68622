"""Elementwise ops: one FLOP per output element; variadic ops n - 1 per element."""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node, unary

UNARY = (
    "Abs Acos Acosh Asin Asinh Atan Atanh BitwiseNot Ceil Celu Cos Cosh Elu Erf Exp Floor Gelu"
    " HardSigmoid HardSwish IsInf IsNaN LeakyRelu Log Mish Neg Not Reciprocal Relu Round Selu"
    " Shrink Sigmoid Sign Sin Sinh Softplus Softsign Sqrt Swish Tan Tanh ThresholdedRelu"
).split()

BINARY = (
    "Add And BitShift BitwiseAnd BitwiseOr BitwiseXor Div Equal Greater GreaterOrEqual Less"
    " LessOrEqual Mod Mul Or PRelu Pow Sub Xor"
).split()

CASES = [
    # Unary: one per output element, 2*3*4 = 24.
    *(case(unary(op, (2, 3, 4)), 0, 24) for op in UNARY),
    # Binary, B (4,) broadcast against A (2,3,4): per output element, 2*3*4 = 24.
    *(case(node(op, [("a", (2, 3, 4)), ("b", (4,))], [("y", (2, 3, 4))]), 0, 24) for op in BINARY),
    # Where (ternary): output (1,64,56,56) = 200,704 elements.
    case(
        node(
            "Where",
            [("c", (1, 1, 56, 56)), ("x", (1, 64, 56, 56)), ("y", ())],
            [("o", (1, 64, 56, 56))],
        ),
        0,
        200_704,
    ),
    # Clip (Relu6) with constant min/max: 1*32*112*112 = 401,408.
    case(
        node(
            "Clip",
            [("x", (1, 32, 112, 112)), ("lo", (), 0.0), ("hi", (), 6.0)],
            [("y", (1, 32, 112, 112))],
        ),
        0,
        401_408,
    ),
    # Sum of 3 inputs: 2 adds per element, 2 * (2*3) = 12.
    case(node("Sum", [("a", (2, 3)), ("b", (2, 3)), ("c", (3,))], [("y", (2, 3))]), 0, 12, "3"),
    # Max of 2: 1 per element, 6.
    case(node("Max", [("a", (2, 3)), ("b", (2, 3))], [("y", (2, 3))]), 0, 6, "2"),
    # Mean of 1 input: still one per element (max(n - 1, 1)), 6.
    case(node("Mean", [("a", (2, 3))], [("y", (2, 3))]), 0, 6, "1"),
    # Min of 4 inputs broadcast to (4,5): 3 per element, 3*20 = 60.
    case(
        node("Min", [("a", (4, 5)), ("b", (5,)), ("c", (4, 1)), ("d", ())], [("y", (4, 5))]),
        0,
        60,
        "4",
    ),
    # SwiGLU over Llama's MLP width: Swish 1 + multiply 1 = 2 * 128*11008 = 2 * 1,409,024.
    case(
        node("SwiGLU", [("a", (1, 128, 11008)), ("b", (1, 128, 11008))], [("y", (1, 128, 11008))]),
        0,
        2_818_048,
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected
