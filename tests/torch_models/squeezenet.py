"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016): Fire modules and a convolutional classifier."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Fire(nn.Module):
    """1x1 squeeze, then parallel 1x1 and 3x3 expands whose outputs are concatenated."""

    def __init__(self, cin: int, squeeze: int, expand1: int, expand3: int) -> None:
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, squeeze, 1), nn.ReLU())
        self.expand1 = nn.Sequential(nn.Conv2d(squeeze, expand1, 1), nn.ReLU())
        self.expand3 = nn.Sequential(nn.Conv2d(squeeze, expand3, 3, padding=1), nn.ReLU())

    def forward(self, x: Tensor) -> Tensor:
        """Concatenate both expand branches along channels."""
        s = self.squeeze(x)
        return torch.cat([self.expand1(s), self.expand3(s)], 1)


def _pool() -> nn.MaxPool2d:
    """The 3x3 stride-2 max-pool with ceil rounding used between Fire groups."""
    return nn.MaxPool2d(3, 2, ceil_mode=True)


class SqueezeNet(nn.Module):
    """A stem convolution, Fire modules with pools between, and a 1x1-conv classifier."""

    def __init__(self, version: str, num_classes: int = 1000) -> None:
        super().__init__()
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, 7, stride=2), nn.ReLU(), _pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), _pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), _pool(),
                Fire(512, 64, 256, 256),
            )
        else:
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, 3, stride=2), nn.ReLU(), _pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), _pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), _pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), Fire(512, 64, 256, 256),
            )
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Conv2d(512, num_classes, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return torch.flatten(self.classifier(self.features(x)), 1)


def squeezenet1_0() -> SqueezeNet:
    """SqueezeNet 1.0: 7x7 stem with 96 channels."""
    return SqueezeNet("1_0")


def squeezenet1_1() -> SqueezeNet:
    """SqueezeNet 1.1: 3x3 stem with 64 channels and earlier pooling."""
    return SqueezeNet("1_1")
