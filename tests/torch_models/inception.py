"""Inception v3 (Szegedy et al. 2015) as torchvision builds it, run in eval form (299x299 input).

The auxiliary classifier is built, so the parameter count matches torchvision's published
figure, but eval mode never runs it, so it is absent from the exported graph.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .common import conv_bn


def _conv(
    cin: int,
    cout: int,
    kernel: int | tuple[int, int],
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
) -> nn.Sequential:
    """Bias-free conv, BN (eps 1e-3), ReLU: torchvision's BasicConv2d, unpadded by default."""
    return conv_bn(cin, cout, kernel, stride, padding, eps=1e-3)


def _avg_pool_3x3(x: Tensor) -> Tensor:
    """3x3 average pool, stride 1, padding 1: the pooling branch of modules A, C and E."""
    return F.avg_pool2d(x, 3, 1, 1)


class InceptionA(nn.Module):
    """35x35 module: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1."""

    def __init__(self, cin: int, pool_features: int) -> None:
        super().__init__()
        self.b1 = _conv(cin, 64, 1)
        self.b5 = nn.Sequential(_conv(cin, 48, 1), _conv(48, 64, 5, padding=2))
        self.b3 = nn.Sequential(
            _conv(cin, 64, 1), _conv(64, 96, 3, padding=1), _conv(96, 96, 3, padding=1)
        )
        self.pool = _conv(cin, pool_features, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Concatenate the branches (224 + pool_features channels)."""
        return torch.cat([self.b1(x), self.b5(x), self.b3(x), self.pool(_avg_pool_3x3(x))], 1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17: strided 3x3 | 1x1-3x3-strided 3x3 | max-pool."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.b3 = _conv(cin, 384, 3, 2)
        self.b3dbl = nn.Sequential(
            _conv(cin, 64, 1), _conv(64, 96, 3, padding=1), _conv(96, 96, 3, 2)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Concatenate the branches (480 + cin channels)."""
        return torch.cat([self.b3(x), self.b3dbl(x), F.max_pool2d(x, 3, 2)], 1)


def _conv_1x7(cin: int, cout: int) -> nn.Sequential:
    """A 1x7 factorized convolution."""
    return _conv(cin, cout, (1, 7), padding=(0, 3))


def _conv_7x1(cin: int, cout: int) -> nn.Sequential:
    """A 7x1 factorized convolution."""
    return _conv(cin, cout, (7, 1), padding=(3, 0))


class InceptionC(nn.Module):
    """17x17 module with factorized 7x7 convolutions of ``c7`` inner channels."""

    def __init__(self, cin: int, c7: int) -> None:
        super().__init__()
        self.b1 = _conv(cin, 192, 1)
        self.b7 = nn.Sequential(_conv(cin, c7, 1), _conv_1x7(c7, c7), _conv_7x1(c7, 192))
        self.b7dbl = nn.Sequential(
            _conv(cin, c7, 1),
            _conv_7x1(c7, c7),
            _conv_1x7(c7, c7),
            _conv_7x1(c7, c7),
            _conv_1x7(c7, 192),
        )
        self.pool = _conv(cin, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Concatenate the branches (768 channels)."""
        return torch.cat([self.b1(x), self.b7(x), self.b7dbl(x), self.pool(_avg_pool_3x3(x))], 1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8: 1x1-strided 3x3 | 1x1-1x7-7x1-strided 3x3 | max-pool."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.b3 = nn.Sequential(_conv(cin, 192, 1), _conv(192, 320, 3, 2))
        self.b7 = nn.Sequential(
            _conv(cin, 192, 1), _conv_1x7(192, 192), _conv_7x1(192, 192), _conv(192, 192, 3, 2)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Concatenate the branches (512 + cin channels)."""
        return torch.cat([self.b3(x), self.b7(x), F.max_pool2d(x, 3, 2)], 1)


class _Split(nn.Module):
    """A 1x3 and a 3x1 convolution applied to the same input, concatenated."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.wide = _conv(cin, cout, (1, 3), padding=(0, 1))
        self.tall = _conv(cin, cout, (3, 1), padding=(1, 0))

    def forward(self, x: Tensor) -> Tensor:
        """Concatenate both orientations."""
        return torch.cat([self.wide(x), self.tall(x)], 1)


class InceptionE(nn.Module):
    """8x8 module with expanded filter banks: 1x1 | 1x1-split | 1x1-3x3-split | avgpool-1x1."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.b1 = _conv(cin, 320, 1)
        self.b3 = nn.Sequential(_conv(cin, 384, 1), _Split(384, 384))
        self.b3dbl = nn.Sequential(
            _conv(cin, 448, 1), _conv(448, 384, 3, padding=1), _Split(384, 384)
        )
        self.pool = _conv(cin, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Concatenate the branches (2048 channels)."""
        return torch.cat([self.b1(x), self.b3(x), self.b3dbl(x), self.pool(_avg_pool_3x3(x))], 1)


class AuxHead(nn.Module):
    """Auxiliary classifier on the 17x17 grid; only used in training."""

    def __init__(self, cin: int, num_classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.AvgPool2d(5, 3), _conv(cin, 128, 1), _conv(128, 768, 5), nn.AdaptiveAvgPool2d(1)
        )
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Auxiliary logits."""
        return self.fc(torch.flatten(self.body(x), 1))


class InceptionV3(nn.Module):
    """Stem, 3 x A, B, 4 x C, D, 2 x E, pool, dropout, fc; the aux head runs only in training."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            _conv(3, 32, 3, 2),
            _conv(32, 32, 3),
            _conv(32, 64, 3, padding=1),
            nn.MaxPool2d(3, 2),
            _conv(64, 80, 1),
            _conv(80, 192, 3),
            nn.MaxPool2d(3, 2),
        )
        self.mixed_17 = nn.Sequential(
            InceptionA(192, 32),
            InceptionA(256, 64),
            InceptionA(288, 64),
            InceptionB(288),
            InceptionC(768, 128),
            InceptionC(768, 160),
            InceptionC(768, 160),
            InceptionC(768, 192),
        )
        self.aux = AuxHead(768, num_classes)
        self.mixed_8 = nn.Sequential(InceptionD(768), InceptionE(1280), InceptionE(2048))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Image batch (N, 3, 299, 299) to class logits (the eval path)."""
        x = self.mixed_8(self.mixed_17(self.stem(x)))
        return self.fc(self.dropout(torch.flatten(self.pool(x), 1)))


def inception_v3() -> InceptionV3:
    """Inception v3 with 1000 classes."""
    return InceptionV3()
