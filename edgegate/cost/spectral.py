"""Signal ops of audio front ends: DFT, STFT, the window generators and MelWeightMatrix.

A transform of length N (DFT's dft_length, STFT's frame length) is costed the way
onnxruntime's CPU kernel computes it: a radix-2 FFT when N is a power of two, else the
direct sum. The FFT has (N/2) log2 N butterflies, each a complex multiply and two complex
adds (4 real MACs, 10 FLOPs): 2 N log2 N MACs and the usual 5 N log2 N FLOPs, in full even
for real input or one-sided output. The direct sum costs, per output bin and input point,
one complex MAC: 4 real MACs, 2 when the input or the output is real; FLOPs = 2 * MACs.
"""

from __future__ import annotations

import math

from edgegate.cost.common import axis_of, dims, has, need, per_output, result
from edgegate.cost.types import OpCost
from edgegate.model.info import NodeInfo, TensorInfo, Uncostable


def transform(n: int, bins: int, real: bool) -> OpCost:
    """One length-n transform giving ``bins`` outputs: FFT for a power of two, else direct."""
    if n > 0 and n & (n - 1) == 0:
        stages = n.bit_length() - 1
        return OpCost(2 * n * stages, 5 * n * stages)
    macs = bins * n * (2 if real else 4)
    return OpCost(macs, 2 * macs)


def _scalar(tensor: TensorInfo, node: NodeInfo, what: str) -> int:
    """The value of a constant scalar input; Uncostable when it is not known."""
    if tensor.value is None:
        raise Uncostable(f"{node.op_type} node '{node.name}': its {what} is not a constant")
    return int(tensor.value.reshape(-1)[0])


def _dft_axis(node: NodeInfo, rank: int) -> int:
    """The transformed axis: the opset-17 attribute, the opset-20 input, or the shared default.

    The defaults differ (1 in opset 17, -2 in opset 20) except on rank-3 inputs.
    """
    axis = node.attr("axis")
    if axis is None and has(node, 2):
        axis = _scalar(need(node, 2, "axis"), node, "axis")
    if axis is None:
        if rank != 3:
            raise Uncostable(f"DFT node '{node.name}' sets no axis: its default depends on opset")
        axis = 1
    index = axis_of(axis, rank, node)
    if index == rank - 1:
        raise Uncostable(f"DFT node '{node.name}' transforms its real/imaginary axis")
    return index


def _dft_length(node: NodeInfo, x: tuple[int, ...], y: tuple[int, ...], axis: int) -> int:
    """N: dft_length's value, else the spec's default from the input (2 * (n - 1) for IRFFT).

    A dft_length that is not constant is read off the output, unless the output is one-sided.
    """
    onesided, inverse = node.attr("onesided", 0), node.attr("inverse", 0)
    given = node.input(1)
    if given is None:
        return 2 * (x[axis] - 1) if onesided and inverse else x[axis]
    if given.value is not None:
        return _scalar(given, node, "dft_length")
    if not onesided or inverse:
        return y[axis]
    raise Uncostable(f"DFT node '{node.name}' is one-sided with a dft_length that is not constant")


def _bins(node: NodeInfo, n: int, onesided: int) -> int:
    """Output bins of a length-n transform: n // 2 + 1 for a one-sided forward one, else n."""
    return n // 2 + 1 if onesided and not node.attr("inverse", 0) else n


def dft(node: NodeInfo) -> OpCost:
    """DFT: per transformed signal, an FFT or the direct sum of length N (see the module).

    The inverse's 1/N scaling adds one FLOP per output value.
    """
    x, y = dims(need(node, 0, "input")), dims(result(node))
    if len(x) != len(y) or len(x) < 3 or x[-1] not in (1, 2):
        raise Uncostable(f"DFT node '{node.name}' maps shape {x} to {y}")
    axis = _dft_axis(node, len(x))
    n = _dft_length(node, x, y, axis)
    signals = math.prod(x[:axis]) * math.prod(x[axis + 1 : -1])
    one = transform(n, _bins(node, n, node.attr("onesided", 0)), 1 in (x[-1], y[-1]))
    return one * signals + OpCost(0, math.prod(y) if node.attr("inverse", 0) else 0)


def stft(node: NodeInfo) -> OpCost:
    """STFT: per frame, the window multiply (when given) and a length-N transform.

    N is the window's length, else frame_length, else the signal's length. The bins follow
    ``onesided`` (default 1), whatever bins onnx's shape inference gives the output.
    """
    signal, y = dims(need(node, 0, "signal")), dims(result(node))
    if len(signal) != 3 or len(y) != 4:
        raise Uncostable(f"STFT node '{node.name}' maps shape {signal} to {y}")
    if has(node, 2):
        n = dims(need(node, 2, "window"))[0]
    elif has(node, 3):
        n = _scalar(need(node, 3, "frame_length"), node, "frame_length")
    else:
        n = signal[1]
    frames, values = signal[0] * y[1], signal[2]
    window = frames * n * values if has(node, 2) else 0
    one = transform(n, _bins(node, n, node.attr("onesided", 1)), values == 1)
    return one * frames + OpCost(0, window)


def cosine_window(node: NodeInfo) -> OpCost:
    """HannWindow, HammingWindow: 4 FLOPs per element, a0 - a1 * cos(2 pi n / N).

    The angle multiply, the cosine, the scale and the subtract. Usually folded as a constant.
    """
    return per_output(node, 4)


def blackman_window(node: NodeInfo) -> OpCost:
    """BlackmanWindow: 8 FLOPs per element, a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N).

    Two cosine terms of 3 (angle, cosine, scale) and their two adds. Usually folded.
    """
    return per_output(node, 8)


def mel_weight_matrix(node: NodeInfo) -> OpCost:
    """MelWeightMatrix: 6 FLOPs per element of the (bins, mel bins) matrix. Usually folded.

    Both triangle slopes (a subtract and a divide each), their min and the clamp at 0; the
    mel-scale conversions are per bin or band, not per element.
    """
    return per_output(node, 6)
