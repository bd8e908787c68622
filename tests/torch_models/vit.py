"""ViT-B/16 (Dosovitskiy et al. 2020): 16x16 patches, class token, 12 pre-norm encoder layers."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SelfAttention(nn.Module):
    """Multi-head self-attention with one packed q/k/v projection and an output projection."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        """softmax(q k^T / sqrt(d)) v per head, heads re-joined and projected."""
        n, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(n, tokens, 3, self.heads, dim // self.heads)
        qkv = qkv.permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        weights = torch.softmax(q @ k.transpose(-2, -1) * (dim // self.heads) ** -0.5, dim=-1)
        return self.out((weights @ v).transpose(1, 2).reshape(n, tokens, dim))


class EncoderLayer(nn.Module):
    """LayerNorm-attention-residual, then LayerNorm-MLP(4x, GELU)-residual."""

    def __init__(self, dim: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attention = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x: Tensor) -> Tensor:
        """Two pre-norm residual sub-layers."""
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    """Patch conv, class token, learned positions, encoder, LN, head on the class token."""

    def __init__(
        self,
        image: int,
        patch: int,
        layers: int,
        heads: int,
        dim: int,
        mlp: int,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        tokens = (image // patch) ** 2 + 1
        self.patchify = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.position = nn.Parameter(torch.zeros(1, tokens, dim))
        self.encoder = nn.Sequential(*[EncoderLayer(dim, heads, mlp) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Image batch (N, 3, 224, 224) to class logits."""
        x = self.patchify(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], 1) + self.position
        return self.head(self.norm(self.encoder(x))[:, 0])


def vit_b_16() -> VisionTransformer:
    """ViT-Base, 16x16 patches, 224x224 input: 12 layers, 12 heads, width 768, MLP 3072."""
    return VisionTransformer(224, 16, 12, 12, 768, 3072)
