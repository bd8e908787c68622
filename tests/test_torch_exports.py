"""Exporter-shaped graphs that stress shape completion, with costs computed by hand.

PyTorch's TorchScript exporter writes dynamic shapes as Shape -> Gather -> Div -> Cast ->
Unsqueeze -> Concat -> Reshape chains, upsampling as Resize with computed sizes, and BatchNorm
folded into the conv (or kept, without constant folding). Each model here is exported once
with symbolic batch, height and width, then bound to several sizes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import onnx  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import Tensor, nn  # noqa: E402
from torch_models.counting import randomize  # noqa: E402
from torch_models.export import export  # noqa: E402
from torch_models.shufflenet import channel_shuffle  # noqa: E402

import edgegate  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.slow]

DYNAMIC = {0: "batch", 2: "height", 3: "width"}
SIZES = [(1, 16, 16), (2, 32, 48), (3, 64, 32)]


class ShapeStress(nn.Module):
    """Upsample by a factor and to a computed size, space-to-depth by h // 2, flatten, gram."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(64, 16, 1)
        self.conv4 = nn.Conv2d(16, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 8 + 8, 10)

    def forward(self, x: Tensor) -> Tensor:
        """(N, 3, H, W) with even H, W to (N, 10)."""
        n, _, h, w = x.shape
        y = torch.relu(self.conv1(x))
        y = F.interpolate(y, scale_factor=2.0, mode="nearest")
        y = torch.relu(self.conv2(y))
        y = y.view(n, 16, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
        y = self.conv3(y.reshape(n, 64, h // 2, w // 2))
        y = F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)
        y = torch.relu(self.conv4(y))
        s = torch.flatten(y, 2)
        gram = s @ s.transpose(1, 2)
        pooled = F.adaptive_avg_pool2d(y, 1)
        return self.fc(torch.cat([gram.view(gram.size(0), -1), torch.flatten(pooled, 1)], 1))


class ShuffleChain(nn.Module):
    """A 1x1 stem to 16 channels, then blocks of chunk / 1x1 conv / concat / channel shuffle.

    Each block's split point and shuffle reshape are computed (with a Div) from the shape of
    the previous block's output, so the shape arithmetic is a chain as long as the network.
    """

    def __init__(self, blocks: int) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 1)
        self.convs = nn.ModuleList(nn.Conv2d(8, 8, 1) for _ in range(blocks))

    def forward(self, x: Tensor) -> Tensor:
        """(N, 3, H, W) to (N, 16, H, W)."""
        x = self.stem(x)
        for conv in self.convs:
            keep, work = x.chunk(2, dim=1)
            x = channel_shuffle(torch.cat([keep, conv(work)], 1), 2)
        return x


def conv_bn_relu() -> nn.Sequential:
    """Conv 3->8 3x3 without bias, eval BatchNorm with trained-looking statistics, ReLU."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
    # Distinct values, so the exporter cannot merge BN's vectors into shared initializers.
    randomize(model)
    return model.eval()


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each model exported once for the module, with symbolic batch, height and width."""
    root = tmp_path_factory.mktemp("exports")
    torch.manual_seed(0)
    return {
        "stress": export(ShapeStress(), root / "stress.onnx", (1, 3, 16, 16), DYNAMIC),
        "chain": export(ShuffleChain(8), root / "chain.onnx", (1, 3, 16, 16), DYNAMIC),
        "bn_folded": export(conv_bn_relu(), root / "bn_folded.onnx", (1, 3, 16, 16)),
        "bn_kept": export(
            conv_bn_relu(), root / "bn_kept.onnx", (1, 3, 16, 16), fold_constants=False
        ),
    }


def _op_types(path: Path) -> list[str]:
    return [node.op_type for node in onnx.load(str(path), load_external_data=False).graph.node]


def test_exporter_names_the_dynamic_axes(exports: dict[str, Path]) -> None:
    graph = onnx.load(str(exports["stress"]), load_external_data=False).graph
    dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 3, "height", "width"]


def test_stress_graph_has_the_exporter_patterns(exports: dict[str, Path]) -> None:
    ops = set(_op_types(exports["stress"]))
    assert {"Shape", "Gather", "Div", "Cast", "Concat", "Reshape", "Resize", "Flatten"} <= ops


@pytest.mark.parametrize("n,h,w", SIZES)
@pytest.mark.parametrize("binding", ["dims", "input_shapes"])
def test_stress_costs_by_hand(
    exports: dict[str, Path], binding: str, n: int, h: int, w: int
) -> None:
    if binding == "dims":
        estimate = edgegate.estimate(exports["stress"], dims={"batch": n, "height": h, "width": w})
    else:
        estimate = edgegate.estimate(exports["stress"], input_shapes={"input": (n, 3, h, w)})
    p = n * h * w  # output pixels at input resolution, over the batch
    # MACs per layer (Cout * Cin * kernel per output pixel):
    #   conv1 3->8 3x3 at HxW:                 8 * 3 * 9   = 216 per pixel
    #   nearest upsample x2:                   0
    #   conv2 8->16 3x3 stride 2, 2Hx2W -> HxW: 16 * 8 * 9 = 1152 per pixel
    #   space-to-depth (view/permute/reshape): 0
    #   conv3 64->16 1x1 at H/2xW/2:           16 * 64 / 4 = 256 per pixel
    #   bilinear upsample to (H, W):           0
    #   conv4 16->8 3x3 at HxW:                8 * 16 * 9  = 1152 per pixel
    #   gram (N,8,HW) @ (N,HW,8):              8 * 8       = 64 per pixel
    #   fc 72->10:                             720 per image
    layer_macs = [216 * p, 1152 * p, 256 * p, 1152 * p, 64 * p, 720 * n]
    assert [layer.macs for layer in estimate.layers if layer.macs] == layer_macs
    assert estimate.macs == 2840 * p + 720 * n
    # FLOPs per pixel: 2 per MAC, +1 per output element for each bias and each ReLU:
    #   conv1 + ReLU 432 + 8 + 8 = 448; conv2 + ReLU 2304 + 16 + 16 = 2336;
    #   conv3 (2 * 1024 + 16) per H/2xW/2 pixel = 516; bilinear: 4 taps, 8 FLOPs per output
    #   element, 16 channels = 128; conv4 + ReLU 2304 + 8 + 8 = 2320; gram 128; global
    #   average pool 8 (one per input element); total 5884.
    #   Per image: fc 2 * 720 + 10 (bias) = 1450.
    assert estimate.flops == 5884 * p + 1450 * n
    # Weights + biases: 224 + 1168 + 1040 + 1160 + 730.
    assert estimate.params == 4322
    assert estimate.unestimated == ()


@pytest.mark.parametrize("n,h,w", SIZES)
def test_shape_chain_as_long_as_the_network(
    exports: dict[str, Path], n: int, h: int, w: int
) -> None:
    estimate = edgegate.estimate(exports["chain"], dims={"batch": n, "height": h, "width": w})
    # stem 3->16 1x1: 48 MACs per pixel; each of 8 blocks 8->8 1x1: 64 per pixel.
    assert estimate.unestimated == ()
    assert estimate.macs == (48 + 8 * 64) * n * h * w


def test_exporter_folds_eval_batchnorm(exports: dict[str, Path]) -> None:
    graph = onnx.load(str(exports["bn_folded"]), load_external_data=False).graph
    assert [node.op_type for node in graph.node] == ["Conv", "Relu"]
    assert sorted(list(t.dims) for t in graph.initializer) == [[8], [8, 3, 3, 3]]


def test_exporter_keeps_batchnorm_without_constant_folding(exports: dict[str, Path]) -> None:
    ops = _op_types(exports["bn_kept"])
    assert [op for op in ops if op != "Identity"] == ["Conv", "BatchNormalization", "Relu"]


# Conv 3->8 3x3, no padding, on 2 x 3 x 16 x 16: output 2 x 8 x 14 x 14 = 3136 elements,
# 27 MACs each = 84672 MACs; weights 8 * 3 * 3 * 3 = 216.
BN_OUT = 2 * 8 * 14 * 14
BN_MACS = BN_OUT * 27


@pytest.mark.parametrize("name", ["bn_folded", "bn_kept"])
def test_batchnorm_folds_into_the_conv(exports: dict[str, Path], name: str) -> None:
    estimate = edgegate.estimate(exports[name], dims={"batch": 2})
    assert estimate.macs == BN_MACS
    # Folded either by the exporter or by edgegate: weights + one bias per output channel.
    assert estimate.params == 216 + 8
    # 2 per MAC, one bias add and one ReLU per output element.
    assert estimate.flops == 2 * BN_MACS + 2 * BN_OUT
    assert len(estimate.layers) == 1


def test_batchnorm_without_fusion(exports: dict[str, Path]) -> None:
    estimate = edgegate.estimate(exports["bn_kept"], dims={"batch": 2}, fusion="none")
    assert [layer.op_types for layer in estimate.layers] == [
        ("Conv",),
        ("BatchNormalization",),
        ("Relu",),
    ]
    # BN is its own layer: scale, bias, mean and variance are params (4 * 8), and it costs
    # 2 FLOPs per element; the conv has no bias.
    assert estimate.params == 216 + 4 * 8
    assert estimate.flops == 2 * BN_MACS + 2 * BN_OUT + BN_OUT
