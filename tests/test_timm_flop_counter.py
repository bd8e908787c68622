"""edgegate's MACs on exports of timm architectures, against torch's own operator count.

Built from timm's configurations with random weights (nothing downloaded), run once under
``torch.utils.flop_counter.FlopCounterMode`` (Conv/Linear/matmul FLOPs, 2 per multiply-
accumulate; attention through the math kernel, so its matmuls are counted too), exported with
the TorchScript exporter and estimated. The architectures here reach what the torchvision-shaped
models of test_torchvision_macs.py do not: attention with biases and BatchNorm on Linear
(LeViT), convolutions unfolded into attention (MobileViT), spatial-reduction attention (PVT v2),
additive attention (SwiftFormer), linear attention (EfficientViT), mask-unit attention (Hiera).

Two differences are the cost model's, and each is checked to the MAC:
- a Linear applied to a constant (ConViT's positional projection of its fixed relative
  indices) is folded at estimate time, as runtimes fold it when they load the model: no MACs;
- torch's counter does not see inside ``aten.lstm``; edgegate counts each LSTM by its formula.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from published_helpers import export_quietly, import_or_skip  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import edgegate  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.slow]

EXACT = ["levit_128", "mobilevit_xxs", "pvt_v2_b0", "swiftformer_xs", "efficientvit_b0", "hiera_tiny_224"]


def _build(name: str) -> tuple[torch.nn.Module, torch.Tensor]:
    timm = import_or_skip("timm", torchvision=True)
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False).eval()
    return model, torch.randn(1, *model.pretrained_cfg["input_size"])


def _torch_macs(model: torch.nn.Module, image: torch.Tensor) -> int:
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), counter:
        model(image)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2


def _estimate(model: torch.nn.Module, image: torch.Tensor, path) -> edgegate.Estimate:
    estimate = edgegate.estimate(export_quietly(model, (image,), path, dynamo=False))
    assert estimate.unestimated == ()
    return estimate


@pytest.mark.parametrize("name", EXACT)
def test_macs_equal_torch_count(name, tmp_path):
    model, image = _build(name)
    macs = _torch_macs(model, image)
    assert macs > 10**7
    assert _estimate(model, image, tmp_path / f"{name}.onnx").macs == macs


def test_a_linear_of_constants_is_folded(tmp_path):
    model, image = _build("convit_tiny")
    patches = model.patch_embed.num_patches
    projections = [block.attn.pos_proj for block in model.blocks if hasattr(block.attn, "pos_proj")]
    assert len(projections) == 10
    # each projects the (patches x patches x 3) relative indices to one value per head
    folded = sum(patches * patches * p.in_features * p.out_features for p in projections)
    estimate = _estimate(model, image, tmp_path / "convit.onnx")
    assert estimate.macs == _torch_macs(model, image) - folded


def test_lstm_macs_follow_the_formula_torch_does_not_count(tmp_path):
    model, image = _build("sequencer2d_s")
    lstms: list[int] = []

    def count(module: torch.nn.LSTM, inputs: tuple, _output: object) -> None:
        assert module.num_layers == 1 and module.batch_first
        batch, steps, features = inputs[0].shape
        directions = 2 if module.bidirectional else 1
        hidden = module.hidden_size
        lstms.append(steps * batch * directions * 4 * hidden * (features + hidden))

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, torch.nn.LSTM)]
    macs = _torch_macs(model, image)
    for hook in hooks:
        hook.remove()
    assert len(lstms) == 2 * 18  # a vertical and a horizontal LSTM in each of 4 + 3 + 8 + 3 blocks
    estimate = _estimate(model, image, tmp_path / "sequencer.onnx")
    assert estimate.macs == macs + sum(lstms)
    assert sum(layer.macs for layer in estimate.layers if layer.op_types[0] == "LSTM") == sum(lstms)
