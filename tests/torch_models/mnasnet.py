"""MnasNet-A1 at depth multiplier 1.0 (Tan et al. 2018) in torchvision's form, without SE."""

from __future__ import annotations

from torch import Tensor, nn

from .common import conv_bn

# Stacks: input channels, output channels, kernel, first stride, expansion, repeats.
STACKS = (
    (16, 24, 3, 2, 3, 3),
    (24, 40, 5, 2, 3, 3),
    (40, 80, 5, 2, 6, 3),
    (80, 96, 3, 1, 6, 2),
    (96, 192, 5, 2, 6, 4),
    (192, 320, 3, 1, 6, 1),
)


class MnasBlock(nn.Module):
    """Expand 1x1 + ReLU, depthwise kxk + ReLU, linear 1x1 project, residual when shapes allow."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expansion: int) -> None:
        super().__init__()
        mid = cin * expansion
        self.body = nn.Sequential(
            conv_bn(cin, mid, 1),
            conv_bn(mid, mid, kernel, stride, groups=mid),
            conv_bn(mid, cout, 1, act=None),
        )
        self.residual = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        """The block, plus its input when shapes allow."""
        out = self.body(x)
        return out + x if self.residual else out


class MnasNet(nn.Module):
    """Stem (3x3, depthwise separable to 16), six stacks, 1x1 conv to 1280, spatial mean, fc."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            conv_bn(3, 32, 3, 2),
            conv_bn(32, 32, 3, groups=32),
            conv_bn(32, 16, 1, act=None),
        ]
        for cin, cout, kernel, stride, expansion, repeats in STACKS:
            layers.append(MnasBlock(cin, cout, kernel, stride, expansion))
            layers += [MnasBlock(cout, cout, kernel, 1, expansion) for _ in range(repeats - 1)]
        layers.append(conv_bn(320, 1280, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.classifier(self.features(x).mean([2, 3]))


def mnasnet1_0() -> MnasNet:
    """MnasNet at depth multiplier 1.0."""
    return MnasNet()
