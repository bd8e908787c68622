"""ConvNeXt-Tiny (Liu et al. 2022): patchify stem, 7x7 depthwise blocks with inverted MLPs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ChannelsFirstLayerNorm(nn.LayerNorm):
    """LayerNorm over the channel axis of an NCHW tensor (moves channels last and back)."""

    def forward(self, x: Tensor) -> Tensor:
        """Normalize each pixel's channel vector."""
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    """7x7 depthwise conv, LayerNorm, Linear 4x, GELU, Linear back, layer scale, residual."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.scale = nn.Parameter(torch.full((dim, 1, 1), 1e-6))

    def forward(self, x: Tensor) -> Tensor:
        """Residual sum (stochastic depth is a no-op in eval)."""
        y = self.mlp(self.norm(self.dwconv(x).permute(0, 2, 3, 1))).permute(0, 3, 1, 2)
        return x + self.scale * y


class ConvNeXt(nn.Module):
    """4x4 stride-4 stem + LN, four stages joined by LN + 2x2 stride-2 convs, pool, LN, fc."""

    def __init__(
        self, dims: tuple[int, ...], depths: tuple[int, ...], num_classes: int = 1000
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(3, dims[0], 4, 4),
            ChannelsFirstLayerNorm(dims[0], eps=1e-6),
        ]
        for index, (dim, depth) in enumerate(zip(dims, depths)):
            layers += [ConvNeXtBlock(dim) for _ in range(depth)]
            if index + 1 < len(dims):
                layers += [
                    ChannelsFirstLayerNorm(dim, eps=1e-6),
                    nn.Conv2d(dim, dims[index + 1], 2, 2),
                ]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(
            ChannelsFirstLayerNorm(dims[-1], eps=1e-6),
            nn.Flatten(1),
            nn.Linear(dims[-1], num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Image batch to class logits."""
        return self.head(self.pool(self.features(x)))


def convnext_tiny() -> ConvNeXt:
    """ConvNeXt-T: widths 96-192-384-768, depths 3-3-9-3."""
    return ConvNeXt((96, 192, 384, 768), (3, 3, 9, 3))
