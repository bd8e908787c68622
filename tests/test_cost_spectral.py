"""DFT, STFT, the window generators and MelWeightMatrix against hand-computed counts.

A power-of-two length N is a radix-2 FFT: 2 N log2 N MACs, 5 N log2 N FLOPs per transform.
Any other N is the direct sum: bins * N * (2 for real data, 4 for complex) MACs, 2x FLOPs.
"""

from __future__ import annotations

import pytest
from cost_helpers import case, cost_of, node

from edgegate.cost.spectral import transform
from edgegate.cost.types import OpCost
from edgegate.model.info import Uncostable


def dft(x, y, *extra, **attrs):
    """A DFT node of input shape ``x`` and output shape ``y``; ``extra`` are inputs 1 and 2."""
    return node("DFT", [("x", x), *extra], [("y", y)], attrs)


def stft(signal, y, step, window=None, length=None):
    """An STFT node: signal, frame_step, optional window shape and frame_length value."""
    inputs = [("s", signal), ("step", (), step), ("w", window) if window else None]
    if length is not None:
        inputs.append(("n", (), length))
    return node("STFT", inputs, [("y", y)])


CASES = [
    # RFFT of 512 real samples (axis input -2): FFT, 9 stages: MACs 2*512*9 = 9,216,
    # FLOPs 5*512*9 = 23,040, computed in full although the output keeps 257 bins.
    case(dft((1, 512, 1), (1, 257, 2), None, ("axis", (), -2), onesided=1), 9_216, 23_040, "rfft"),
    # Whisper-sized N = 400 (opset-17 axis attribute), 3 signals, one-sided: direct sum,
    # 201 bins * 400 points * 2 (real input) = 160,800 MACs each; 3x = 482,400.
    case(dft((3, 400, 1), (3, 201, 2), axis=1, onesided=1), 482_400, 964_800, "direct"),
    # Inverse complex FFT of length 8 along axis 1 of (2, 8, 4, 2): 2*4 = 8 signals of
    # 2*8*3 = 48 MACs and 5*8*3 = 120 FLOPs, + the 1/N scaling of 2*8*4*2 = 128 values.
    case(dft((2, 8, 4, 2), (2, 8, 4, 2), axis=1, inverse=1), 384, 1_088, "inverse"),
    # dft_length 256 (constant) truncates 300 samples: FFT of 256, 8 stages: 4,096 MACs,
    # 10,240 FLOPs.
    case(dft((1, 300, 1), (1, 256, 2), ("n", (), 256), axis=1), 4_096, 10_240, "dft-length"),
    # Rank-3 input and no axis given: opsets 17 and 20 agree on axis 1; full complex
    # output of a complex input, N = 6: direct, 6 * 6 * 4 = 144 MACs per signal, 2 signals.
    case(dft((2, 6, 2), (2, 6, 2)), 288, 576, "default-axis"),
    # IRFFT (onesided inverse) of 129 one-sided bins: N = 2 * (129 - 1) = 256 real outputs,
    # FFT 4,096 MACs, 10,240 FLOPs, + 256 scalings.
    case(dft((1, 129, 2), (1, 256, 1), axis=1, onesided=1, inverse=1), 4_096, 10_496, "irfft"),
    # dft_length from a non-constant input: the full output's extent, 16: FFT 2*16*4 = 128
    # MACs, 5*16*4 = 320 FLOPs.
    case(dft((1, 10, 2), (1, 16, 2), ("n", ()), axis=1), 128, 320, "length-from-output"),
    # STFT, 2 x 1 s at 16 kHz, 512-sample Hann window, hop 160: (16000 - 512) // 160 + 1 = 97
    # frames each, 194 in all; FFT of 512 per frame: MACs 194 * 9,216 = 1,787,904;
    # FLOPs 194 * 23,040 = 4,469,760 + window 194 * 512 = 99,328; 4,569,088.
    case(stft((2, 16000, 1), (2, 97, 257, 2), 160, (512,)), 1_787_904, 4_569_088),
    # Whisper front end: 30 s at 16 kHz, n_fft 400, hop 160: (480000 - 400) // 160 + 1 =
    # 2,998 frames of 201 bins, direct sum 201 * 400 * 2 = 160,800 MACs each: 482,078,400;
    # FLOPs 964,156,800 + window 2,998 * 400 = 1,199,200.
    case(
        stft((1, 480000, 1), (1, 2998, 201, 2), 160, (400,)),
        482_078_400,
        965_356_000,
        "whisper",
    ),
    # onnx's shape inference gives 400 bins when onesided is left at its default, which is 1:
    # 201 bins are costed. 8 frames * 201 * 400 * 2 = 1,286,400 MACs; FLOPs 2,572,800 +
    # window 8 * 400 = 3,200.
    case(stft((1, 1600, 1), (1, 8, 400, 2), 160, (400,)), 1_286_400, 2_576_000, "default-bins"),
    # frame_length 256 given, no window: 4 frames of an FFT of 256 (4,096 MACs, 10,240 FLOPs).
    case(stft((1, 1024, 1), (1, 4, 129, 2), 256, None, 256), 16_384, 40_960, "frame-length"),
    # Windows: Hann/Hamming 4 per element, Blackman 8.
    case(node("HannWindow", [("n", (), 400)], [("w", (400,))]), 0, 1_600),
    case(node("HammingWindow", [("n", (), 512)], [("w", (512,))]), 0, 2_048),
    case(node("BlackmanWindow", [("n", (), 256)], [("w", (256,))]), 0, 2_048),
    # Mel filterbank for n_fft 512 and 80 mel bins: 257 * 80 = 20,560 elements * 6 = 123,360.
    case(
        node(
            "MelWeightMatrix",
            [("m", (), 80), ("n", (), 512), ("sr", ()), ("lo", (), 0.0), ("hi", (), 8000.0)],
            [("w", (257, 80))],
        ),
        0,
        123_360,
    ),
]


@pytest.mark.parametrize(("info", "expected"), CASES)
def test_formula(info, expected):
    assert cost_of(info) == expected


def test_fft_only_for_powers_of_two():
    # 1,024 = 2^10: 2*1024*10 MACs; 1,000: direct, 1,000 bins * 1,000 points * 4 (complex).
    assert transform(1024, 1024, real=False) == OpCost(20_480, 51_200)
    assert transform(1000, 1000, real=False) == OpCost(4_000_000, 8_000_000)
    assert transform(1, 1, real=True) == OpCost(0, 0)


@pytest.mark.parametrize(
    "info",
    [
        dft((2, 8, 4, 2), (2, 8, 4, 2)),
        dft((1, 512, 1), (1, 257, 2), ("n", ()), axis=1, onesided=1),
        dft((1, 512, 1), (1, 512, 1), axis=2),
        dft((1, 512, 1), (1, 257, 2), None, ("axis", ()), onesided=1),
        node(
            "STFT",
            [("s", (1, 1024, 1)), ("step", (), 256), None, ("n", ())],
            [("y", (1, 4, 129, 2))],
        ),
    ],
    ids=["rank-4-no-axis", "rfft-length-unknown", "complex-axis", "axis-unknown", "stft-length"],
)
def test_uncostable(info):
    with pytest.raises(Uncostable):
        cost_of(info)
