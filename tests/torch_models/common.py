"""Building blocks shared by the reference models: conv-norm-activation, squeeze-excitation."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

Activation = Callable[[], nn.Module]


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round a channel count to a multiple of ``divisor``, never dropping below 90% of it.

    The rounding rule of the MobileNet papers (and TensorFlow's reference code).
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def conv_bn(
    cin: int,
    cout: int,
    kernel: int | tuple[int, int],
    stride: int = 1,
    padding: int | tuple[int, int] | None = None,
    groups: int = 1,
    act: Activation | None = nn.ReLU,
    eps: float = 1e-5,
) -> nn.Sequential:
    """A bias-free conv, a BatchNorm and an optional activation ("same" padding by default)."""
    if padding is None:
        padding = kernel // 2 if isinstance(kernel, int) else (kernel[0] // 2, kernel[1] // 2)
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False),
        nn.BatchNorm2d(cout, eps=eps),
    ]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    """Channel attention: global average, 1x1 conv down, activation, 1x1 conv up, gate, scale."""

    def __init__(
        self, channels: int, squeezed: int, act: Activation = nn.ReLU, gate: Activation = nn.Sigmoid
    ) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.act = act()
        self.expand = nn.Conv2d(squeezed, channels, 1)
        self.gate = gate()

    def forward(self, x: Tensor) -> Tensor:
        """Scale each channel of ``x`` by a gate computed from its global average."""
        return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))
