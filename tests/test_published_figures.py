"""Models built from the configurations timm, transformers and ultralytics ship (random
weights, nothing downloaded), exported, and costed against the figures those projects publish.

Each part is skipped when its package is not installed. timm and ultralytics import
torchvision, which the suite never installs: they are imported with inert stand-ins for it
(tests/published_helpers.py); the models built here do not use it.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from published_helpers import export_quietly, import_or_skip  # noqa: E402

import edgegate  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.slow]

# timm's published GMACs per model at its default 224 x 224 input: `infer_gmacs` in
# results/benchmark-infer-amp-nchw-pt240-cu124-rtx4090.csv of huggingface/pytorch-image-models,
# two decimals. timm counts with a profiler that also counts some non-MAC work (batch norms,
# activations, squeeze-excite scaling), so its figure may sit above the Conv/Gemm/MatMul MACs
# edgegate counts: see docs/metrics.md, "Published figures".
TIMM_GMACS = {
    "resnet18": 1.82,
    "mobilenetv3_small_100": 0.06,
    "efficientnet_b0": 0.40,
    "ghostnet_100": 0.15,
    "convnext_atto": 0.55,
}


@pytest.mark.parametrize("name", list(TIMM_GMACS))
def test_timm_gmacs(name, tmp_path):
    timm = import_or_skip("timm", torchvision=True)
    model = timm.create_model(name, pretrained=False).eval()
    size = model.pretrained_cfg["input_size"]
    path = export_quietly(model, (torch.randn(1, *size),), tmp_path / f"{name}.onnx", dynamo=False)
    estimate = edgegate.estimate(path)
    assert estimate.unestimated == ()
    gmacs, published = estimate.macs / 1e9, TIMM_GMACS[name]
    # never above the published figure beyond its rounding; at most 7% below it
    assert published - 0.005 <= gmacs * 1.07 and gmacs <= published + 0.005, (gmacs, published)


def _transformers():
    return import_or_skip("transformers")


def test_gpt2_macs_follow_the_transformer_formula(tmp_path):
    transformers = _transformers()
    config = transformers.GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=1000, n_positions=128,
                                     bos_token_id=0, eos_token_id=0)
    model = transformers.GPT2LMHeadModel(config).eval()
    model.config.use_cache = False
    ids = torch.randint(0, 1000, (1, 16))
    path = export_quietly(model, (ids,), tmp_path / "gpt2.onnx", dynamo=True, input_names=["input_ids"])
    estimate = edgegate.estimate(path)
    assert estimate.unestimated == ()
    # per token and layer: q, k, v, out 4 * d^2 + MLP 2 * d * 4d = 12 * 64^2 = 49,152 (two
    # layers: 98,304); attention per layer S * S * d * 2 = 32,768; the tied LM head S * d * V
    assert estimate.macs == 16 * 98_304 + 2 * 32_768 + 16 * 64 * 1000
    # the LM head reads the token table the embedding reads: stored once, counted once
    assert estimate.params <= model.num_parameters()


def test_bert_params_do_not_follow_the_sequence_length(tmp_path):
    transformers = _transformers()
    config = transformers.BertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=256, vocab_size=1000, max_position_embeddings=128)
    model = transformers.BertModel(config, add_pooling_layer=False).eval()
    seq = torch.export.Dim("seq", min=2, max=128)
    path = export_quietly(model, (torch.randint(0, 1000, (1, 16)),), tmp_path / "bert.onnx", dynamo=True,
                          input_names=["input_ids"], dynamic_shapes=({1: seq},))
    estimates = {length: edgegate.estimate(path, dims={"seq": length}) for length in (8, 16, 32)}
    for length, estimate in estimates.items():
        assert estimate.unestimated == ()
        # per token: 2 layers * (4 * 64^2 + 2 * 64 * 256) = 98,304; attention 2 * 2 * S^2 * 64
        assert estimate.macs == length * 98_304 + 256 * length**2
    # position ids and masks are computed from the length: the params stay what the file stores
    assert len({estimate.params for estimate in estimates.values()}) == 1


def test_ultralytics_gflops(tmp_path):
    ultralytics = import_or_skip("ultralytics", torchvision=True)
    from ultralytics.utils.torch_utils import get_flops

    model = ultralytics.YOLO("yolov8n.yaml").model.eval()
    for module in model.modules():  # as ultralytics' own exporter prepares the head
        if hasattr(module, "export"):
            module.export = True
    batchnorm_elements = 0

    def count(module, inputs, output):
        nonlocal batchnorm_elements
        batchnorm_elements += output.numel()

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    image = torch.randn(1, 3, 640, 640)
    with torch.no_grad():
        model(image)
    for hook in hooks:
        hook.remove()
    published = get_flops(model, 640) * 1e9
    path = export_quietly(model, (image,), tmp_path / "yolov8n.onnx", dynamo=False)
    estimate = edgegate.estimate(path)
    assert estimate.unestimated == ()
    # ultralytics profiles the model before BatchNorm is folded (thop counts 2 FLOPs per MAC
    # and, for each BatchNorm, 8 per output element); edgegate folds BatchNorm as the cost
    # model says: published = 2 * MACs + 8 * BatchNorm outputs, to the profiler's rounding
    assert published == pytest.approx(2 * estimate.macs + 8 * batchnorm_elements, rel=1e-3)
