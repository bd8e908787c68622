"""VGG-16 (configuration D of Simonyan & Zisserman 2014), plain and with BatchNorm."""

from __future__ import annotations

import torch
from torch import Tensor, nn

# Configuration D: output channels of each 3x3 convolution, "M" for a 2x2 max-pool.
VGG16_LAYERS: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M",
)


def _features(batch_norm: bool) -> nn.Sequential:
    """The convolutional trunk: 3x3 convs with bias, optional BN, ReLU; max-pools between stages."""
    layers: list[nn.Module] = []
    cin = 3
    for item in VGG16_LAYERS:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        cout = int(item)
        layers.append(nn.Conv2d(cin, cout, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.ReLU())
        cin = cout
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG trunk, 7x7 adaptive average pool, and the 4096-4096-classes classifier."""

    def __init__(self, batch_norm: bool = False, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = _features(batch_norm)
        self.pool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Image batch (N, 3, 224, 224) to class logits."""
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def vgg16() -> VGG:
    """VGG-16 without BatchNorm."""
    return VGG(batch_norm=False)


def vgg16_bn() -> VGG:
    """VGG-16 with a BatchNorm after every convolution."""
    return VGG(batch_norm=True)
