"""``vision.models`` against torchvision: the same module tree (repr, state_dict keys and shapes),
torchvision's initialisation (checked statistically: the random streams differ), and with
torchvision's weights copied across, the same outputs, buffers and parameter gradients.
"""
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision

import tinygrad_edu as tg
from helpers import TOLERANCES, assert_same_tensor
from tinygrad_edu.vision import models

# parameters whose gradients are compared: the stem, a shortcut, a block's BN and the head
RESNET_GRADS = ["conv1.weight", "bn1.weight", "layer2.0.downsample.0.weight", "layer3.1.bn2.bias",
                "layer4.1.conv2.weight", "fc.weight", "fc.bias"]


def copy_of(ref: torch.nn.Module, edu: tg.nn.Module, dtype: str):
    """``edu`` holding ``ref``'s parameters and buffers, tensor by tensor under the same keys, in ``dtype``."""
    ref.to(getattr(torch, dtype))
    edu.to(getattr(tg, dtype))
    edu.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    return edu, ref


def image(shape, dtype: str, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def assert_same_state(edu: tg.nn.Module, ref: torch.nn.Module, dtype: str) -> None:
    rtol, atol = TOLERANCES[dtype]
    edu_state, ref_state = edu.state_dict(), ref.state_dict()
    assert list(edu_state) == list(ref_state)
    for key, value in ref_state.items():
        assert_same_tensor(edu_state[key], value, rtol, atol, key)


@pytest.fixture(scope="module")
def resnet_init():
    torch.manual_seed(0)
    return models.resnet18(), torchvision.models.resnet18()


def test_resnet18_has_torchvision_s_tree_and_names(resnet_init):
    edu, ref = resnet_init
    assert repr(edu) == repr(ref)
    assert [(k, tuple(v.shape)) for k, v in edu.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    assert [k for k, _ in edu.named_parameters()] == [k for k, _ in ref.named_parameters()]
    assert isinstance(edu.layer2[0], models.BasicBlock) and isinstance(edu, models.ResNet)
    assert edu.layer1[0].downsample is None


def test_resnet18_init_is_torchvision_s(resnet_init):
    """Convs ~ N(0, 2 / fan_out), fan_out = out_channels * KH * KW; BN (1, 0); fc as Linear's default."""
    edu, _ = resnet_init
    for name, m in edu.named_modules():
        if isinstance(m, tg.nn.Conv2d):
            w = m.weight.detach().numpy()
            std = math.sqrt(2.0 / (w.shape[0] * w.shape[2] * w.shape[3]))
            # the sample std of n normals is within 5 / sqrt(2n) of std with overwhelming odds
            assert abs(w.std() / std - 1) < 5 / math.sqrt(2 * w.size), name
            assert abs(w.mean()) < 5 * std / math.sqrt(w.size), name
        elif isinstance(m, tg.nn.BatchNorm2d):
            assert (m.weight.detach().numpy() == 1).all() and (m.bias.detach().numpy() == 0).all(), name
    bound = 1 / math.sqrt(512)
    for p in (edu.fc.weight, edu.fc.bias):
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound
    zero = models.resnet18(zero_init_residual=True, num_classes=10)
    assert zero.fc.out_features == 10
    for name, m in zero.named_modules():
        if isinstance(m, models.BasicBlock):
            assert (m.bn2.weight.detach().numpy() == 0).all() and (m.bn1.weight.detach().numpy() == 1).all(), name


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_resnet18_with_torchvision_s_weights_gives_its_outputs_and_gradients(dtype):
    torch.manual_seed(1)
    edu, ref = copy_of(torchvision.models.resnet18(num_classes=7), models.resnet18(num_classes=7), dtype)
    rtol, atol = TOLERANCES[dtype]
    x = image((2, 3, 64, 64), dtype)  # layer4 sees 2x2: train-mode BN over 8 values, not 2
    for training in (True, False):  # train: batch statistics, running ones updated; eval: running ones
        edu.train(training)
        ref.train(training)
        edu.zero_grad()
        ref.zero_grad()
        out, expected = edu(tg.tensor(x)), ref(torch.from_numpy(x))
        assert_same_tensor(out, expected, rtol, atol, f"output, training={training}")
        upstream = image(expected.shape, dtype, seed=2)
        (out * tg.tensor(upstream)).sum().backward()
        (expected * torch.from_numpy(upstream)).sum().backward()
        edu_params, ref_params = dict(edu.named_parameters()), dict(ref.named_parameters())
        if dtype == "float64":  # float32 gradients sum ~1e5 rounded terms: only float64 is compared tightly
            for name in RESNET_GRADS:
                assert_same_tensor(edu_params[name].grad, ref_params[name].grad, rtol, atol, f"{name}.grad")
        assert_same_state(edu, ref, dtype)


@pytest.fixture(scope="module")
def vgg16_pair():
    """vgg16 built by both engines in float32 (138M parameters each), the init summarised, then
    torchvision's weights copied into ours and both converted to float64."""
    torch.manual_seed(3)
    edu, ref = models.vgg16(num_classes=10), torchvision.models.vgg16(num_classes=10)
    linears = [m.weight.detach().numpy() for m in edu.classifier if isinstance(m, tg.nn.Linear)]
    init = {"linear_std": [float(w.std()) for w in linears], "linear_sizes": [w.size for w in linears],
            "conv": [(m.weight.detach().numpy().std(), m.weight.shape, np.abs(m.bias.detach().numpy()).max())
                     for m in edu.features if isinstance(m, tg.nn.Conv2d)],
            "max_bias": max(np.abs(m.bias.detach().numpy()).max() for m in edu.classifier
                            if isinstance(m, tg.nn.Linear))}
    del linears
    return (*copy_of(ref, edu, "float64"), init)


def test_vgg16_has_torchvision_s_tree_and_init(vgg16_pair):
    edu, ref, init = vgg16_pair
    assert repr(edu) == repr(ref)
    assert [(k, tuple(v.shape)) for k, v in edu.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    assert init["max_bias"] == 0
    for std, n in zip(init["linear_std"], init["linear_sizes"]):  # N(0, 0.01^2)
        assert abs(std / 0.01 - 1) < 5 / math.sqrt(2 * n)
    for std, shape, max_bias in init["conv"]:  # N(0, 2 / fan_out), bias 0
        n = math.prod(shape)
        assert abs(std / math.sqrt(2.0 / (shape[0] * shape[2] * shape[3])) - 1) < 5 / math.sqrt(2 * n)
        assert max_bias == 0


def test_vgg16_with_torchvision_s_weights_gives_its_outputs(vgg16_pair):
    edu, ref, _ = vgg16_pair
    edu.eval()
    ref.eval()
    x = image((1, 3, 32, 32), "float64")
    with tg.no_grad(), torch.no_grad():  # a backward would hold classifier.0's 800 MB gradient
        assert_same_tensor(edu(tg.tensor(x)), ref(torch.from_numpy(x)), *TOLERANCES["float64"])


def test_vgg11_has_torchvision_s_features():
    """vgg11 differs from vgg16 only in ``features`` (configuration "A"): built from the same list."""
    edu, ref = models.vgg.make_layers(models.vgg.cfgs["A"]), torchvision.models.vgg.make_layers(
        torchvision.models.vgg.cfgs["A"])
    assert repr(edu) == repr(ref)
    assert [(k, tuple(v.shape)) for k, v in edu.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]


@pytest.mark.parametrize("build", [models.resnet18, models.vgg11, models.vgg16])
def test_pretrained_weights_are_refused_without_a_download(build):
    with pytest.raises(NotImplementedError, match=f"{build.__name__}.*does not download pretrained weights"):
        build(weights="IMAGENET1K_V1")
    with pytest.raises(NotImplementedError, match=r"\(pretrained=True\): tinygrad_edu does not download"):
        build(pretrained=True)


def test_torchvision_models_resnet18_resolves_through_run(tmp_path):
    script = tmp_path / "resnet.py"
    script.write_text("import torch, torchvision\n"
                      "model = torchvision.models.resnet18(num_classes=3).eval()\n"
                      "print(type(model).__module__, tuple(model(torch.zeros(1, 3, 32, 32)).shape))\n")
    done = subprocess.run([sys.executable, "-m", "tinygrad_edu", "run", str(script)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["tinygrad_edu.vision.models.resnet", "(1,", "3)"]
