"""DenseNet-121 (Huang et al. 2016): dense blocks of pre-activation bottleneck layers."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _bn_relu_conv(cin: int, cout: int, kernel: int) -> nn.Sequential:
    """Pre-activation unit: BatchNorm, ReLU, then a bias-free convolution."""
    return nn.Sequential(
        nn.BatchNorm2d(cin),
        nn.ReLU(),
        nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False),
    )


class DenseLayer(nn.Module):
    """BN-ReLU-1x1 to 4*growth channels, BN-ReLU-3x3 to growth channels, appended to the input."""

    def __init__(self, cin: int, growth: int, bottleneck: int = 4) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _bn_relu_conv(cin, bottleneck * growth, 1),
            _bn_relu_conv(bottleneck * growth, growth, 3),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Append ``growth`` new channels to ``x``."""
        return torch.cat([x, self.body(x)], 1)


class DenseNet(nn.Module):
    """Stem, dense blocks joined by transitions (halve channels, 2x2 average pool), BN, pool, fc."""

    def __init__(
        self, growth: int, blocks: tuple[int, ...], stem: int, num_classes: int = 1000
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(3, stem, 7, 2, 3, bias=False),
            nn.BatchNorm2d(stem),
            nn.ReLU(),
            nn.MaxPool2d(3, 2, 1),
        ]
        channels = stem
        for index, count in enumerate(blocks):
            for _ in range(count):
                layers.append(DenseLayer(channels, growth))
                channels += growth
            if index < len(blocks) - 1:
                layers += [_bn_relu_conv(channels, channels // 2, 1), nn.AvgPool2d(2, 2)]
                channels //= 2
        layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.AdaptiveAvgPool2d(1)]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.classifier(torch.flatten(self.features(x), 1))


def densenet121() -> DenseNet:
    """DenseNet-121: growth 32, blocks 6-12-24-16, 64-channel stem."""
    return DenseNet(32, (6, 12, 24, 16), 64)
