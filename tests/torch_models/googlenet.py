"""GoogLeNet (Szegedy et al. 2014) as torchvision builds it, in eval form without auxiliary heads.

Two torchvision details differ from the paper: every conv is followed by BatchNorm, and the
"5x5" branch of each Inception module uses a 3x3 kernel.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .common import conv_bn


def _conv(cin: int, cout: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Bias-free conv, BatchNorm with eps 1e-3, ReLU."""
    return conv_bn(cin, cout, kernel, stride, eps=1e-3)


class Inception(nn.Module):
    """Four parallel branches (1x1; 1x1-3x3; 1x1-3x3; 3x3 max-pool-1x1), concatenated."""

    def __init__(
        self, cin: int, c1: int, c3_red: int, c3: int, c5_red: int, c5: int, pool_proj: int
    ) -> None:
        super().__init__()
        self.branch1 = _conv(cin, c1, 1)
        self.branch2 = nn.Sequential(_conv(cin, c3_red, 1), _conv(c3_red, c3, 3))
        self.branch3 = nn.Sequential(_conv(cin, c5_red, 1), _conv(c5_red, c5, 3))
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, 1, 1, ceil_mode=True), _conv(cin, pool_proj, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Concatenate the four branches along channels."""
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def _pool(kernel: int = 3) -> nn.MaxPool2d:
    """Stride-2 max-pool with ceil rounding."""
    return nn.MaxPool2d(kernel, 2, ceil_mode=True)


class GoogLeNet(nn.Module):
    """Stem, nine Inception modules (3a-5b) with pools between, global pool, dropout, fc."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _conv(3, 64, 7, 2),
            _pool(),
            _conv(64, 64, 1),
            _conv(64, 192, 3),
            _pool(),
            Inception(192, 64, 96, 128, 16, 32, 32),
            Inception(256, 128, 128, 192, 32, 96, 64),
            _pool(),
            Inception(480, 192, 96, 208, 16, 48, 64),
            Inception(512, 160, 112, 224, 24, 64, 64),
            Inception(512, 128, 128, 256, 24, 64, 64),
            Inception(512, 112, 144, 288, 32, 64, 64),
            Inception(528, 256, 160, 320, 32, 128, 128),
            _pool(2),
            Inception(832, 256, 160, 320, 32, 128, 128),
            Inception(832, 384, 192, 384, 48, 128, 128),
            nn.AdaptiveAvgPool2d(1),
        )
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.fc(self.dropout(torch.flatten(self.features(x), 1)))


def googlenet() -> GoogLeNet:
    """GoogLeNet without auxiliary classifiers (as torchvision's pretrained model in eval)."""
    return GoogLeNet()
