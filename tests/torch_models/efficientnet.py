"""EfficientNet-B0 (Tan & Le 2019): MBConv blocks with SiLU and squeeze-excitation."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .common import SqueezeExcite, conv_bn, make_divisible

# B0 stages: expansion, kernel, first stride, input channels, output channels, repeats.
B0_STAGES = (
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
)


class MBConv(nn.Module):
    """Expand 1x1, depthwise kxk, SE squeezing to a quarter of the block input, linear project."""

    def __init__(self, expansion: int, kernel: int, stride: int, cin: int, cout: int) -> None:
        super().__init__()
        expanded = make_divisible(cin * expansion)
        layers: list[nn.Module] = []
        if expanded != cin:
            layers.append(conv_bn(cin, expanded, 1, act=nn.SiLU))
        layers += [
            conv_bn(expanded, expanded, kernel, stride, groups=expanded, act=nn.SiLU),
            SqueezeExcite(expanded, max(1, cin // 4), act=nn.SiLU),
            conv_bn(expanded, cout, 1, act=None),
        ]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        """The block, plus its input when shapes allow (stochastic depth is a no-op in eval)."""
        out = self.body(x)
        return out + x if self.residual else out


class EfficientNet(nn.Module):
    """SiLU stem, MBConv stages, 1x1 conv to 1280, pool, dropout, fc."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(3, 32, 3, 2, act=nn.SiLU)]
        for expansion, kernel, stride, cin, cout, repeats in B0_STAGES:
            layers.append(MBConv(expansion, kernel, stride, cin, cout))
            layers += [MBConv(expansion, kernel, 1, cout, cout) for _ in range(repeats - 1)]
        layers.append(conv_bn(320, 1280, 1, act=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def efficientnet_b0() -> EfficientNet:
    """EfficientNet-B0 (width and depth multipliers 1.0)."""
    return EfficientNet()
