"""Layers against torch.nn: the same layer with the same weights (torch's, copied across) gives
the same outputs, the same gradients of its input and of every parameter, and the same buffers;
then the tutorial's MLP and CNN take one training step on both engines and still agree.
"""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import strategies
import tinygrad_edu as tg
from helpers import TOLERANCES, assert_same_tensor, check_against_torch
from tinygrad_edu.tutorial import build_models
# the conv/pool strategies are test_functional's; the kernel_path fixture is conftest's
from test_functional import ON_EACH_PATH, conv_case, distinct_images, pool_case, seeded_arrays

DTYPES = st.sampled_from(["float64", "float32"])
TORCH_DTYPE = {"float64": torch.float64, "float32": torch.float32}
EDU_DTYPE = {"float64": tg.float64, "float32": tg.float32}


def same_layer(make, dtype: str):
    """``make(nn)`` built by both engines in ``dtype``, ours holding a copy of torch's weights and buffers."""
    ref = make(torch.nn).to(TORCH_DTYPE[dtype])
    edu = make(tg.nn).to(EDU_DTYPE[dtype])
    edu.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    return edu, ref


def check_layer(edu, ref, inputs, dtype: str, requires_grad=True) -> None:
    """Outputs and input gradients (``check_against_torch``), then every parameter's gradient
    and every buffer. Parameter gradients are reset first, so one layer can be checked repeatedly."""
    edu.zero_grad()
    ref.zero_grad()
    check_against_torch(edu, ref, inputs, dtype, requires_grad)
    rtol, atol = TOLERANCES[dtype]
    for (name, p), (ref_name, q) in zip(edu.named_parameters(), ref.named_parameters(), strict=True):
        assert name == ref_name
        assert_same_tensor(p.grad, q.grad, rtol, atol, f"gradient of {name}")
    for (name, b), (ref_name, c) in zip(edu.named_buffers(), ref.named_buffers(), strict=True):
        assert name == ref_name
        assert_same_tensor(b, c, rtol, atol, name)


# ---------------------------------------------------------------------------- Linear, Conv2d, MaxPool2d

@given(batch=strategies.shapes(0, 2, max_side=3), n_in=st.integers(1, 6), n_out=st.integers(1, 6),
       bias=st.booleans(), dtype=DTYPES, data=st.data())
def test_linear(batch, n_in, n_out, bias, dtype, data):
    edu, ref = same_layer(lambda nn: nn.Linear(n_in, n_out, bias=bias), dtype)
    check_layer(edu, ref, [data.draw(strategies.arrays(batch + (n_in,)))], dtype)


@ON_EACH_PATH
@given(case=conv_case(), bias=st.booleans(), dtype=DTYPES, data=st.data())
def test_conv2d(kernel_path, case, bias, dtype, data):
    x_shape, (f, c, kh, kw), stride, padding = case
    edu, ref = same_layer(lambda nn: nn.Conv2d(c, f, (kh, kw), stride=stride, padding=padding, bias=bias), dtype)
    check_layer(edu, ref, [data.draw(seeded_arrays(x_shape))], dtype)


@ON_EACH_PATH
@given(case=pool_case(), dtype=DTYPES, data=st.data())
def test_max_pool2d(kernel_path, case, dtype, data):
    shape, k, stride, padding = case
    edu, ref = tg.nn.MaxPool2d(k, stride, padding), torch.nn.MaxPool2d(k, stride, padding)
    check_against_torch(edu, ref, [data.draw(distinct_images(shape))], dtype)


# ---------------------------------------------------------------------------- activations, Flatten, Identity

@pytest.mark.parametrize("make, avoid", [
    (lambda nn: nn.ReLU(), (0.0,)), (lambda nn: nn.Sigmoid(), ()), (lambda nn: nn.Tanh(), ()),
    (lambda nn: nn.Identity(), ()),
], ids=["ReLU", "Sigmoid", "Tanh", "Identity"])
@given(shape=strategies.shapes(0, 4), dtype=DTYPES, data=st.data())
def test_elementwise_layers(make, avoid, shape, dtype, data):
    x = data.draw(strategies.arrays(shape, lo=-6, hi=6, avoid=avoid))
    check_against_torch(make(tg.nn), make(torch.nn), [x], dtype)


@pytest.mark.parametrize("layer", ["Softmax", "LogSoftmax"])
@given(case=strategies.shape_and_dim(), dtype=DTYPES, data=st.data())
def test_softmax_layers(layer, case, dtype, data):
    shape, dim = case
    x = data.draw(strategies.arrays(shape, lo=-10, hi=10))
    check_against_torch(getattr(tg.nn, layer)(dim=dim), getattr(torch.nn, layer)(dim=dim), [x], dtype)


@given(shape=strategies.shapes(2, 4), dtype=DTYPES, data=st.data())
def test_flatten_layer(shape, dtype, data):
    start = data.draw(st.integers(0, len(shape) - 1))
    end = data.draw(st.integers(start - len(shape), -1))
    x = data.draw(strategies.arrays(shape))
    check_against_torch(tg.nn.Flatten(start, end), torch.nn.Flatten(start, end), [x], dtype)
    check_against_torch(tg.nn.Flatten(), torch.nn.Flatten(), [x], dtype)


# ---------------------------------------------------------------------------- Dropout

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dropout_layer_is_identity_in_eval_and_for_p_0(dtype):
    x = np.random.default_rng(0).standard_normal((6, 7))
    check_against_torch(tg.nn.Dropout(0.0), torch.nn.Dropout(0.0), [x], dtype)
    check_against_torch(tg.nn.Dropout(0.7).eval(), torch.nn.Dropout(0.7).eval(), [x], dtype)
    model = tg.nn.Sequential(tg.nn.Linear(7, 7), tg.nn.Dropout(0.9))
    model.eval()
    inner = model[0](tg.tensor(x.astype(dtype)))
    np.testing.assert_array_equal(model(tg.tensor(x.astype(dtype))).detach().numpy(), inner.detach().numpy())


def test_dropout_layer_in_training():
    """Train mode drops about p of the elements, scales the rest by 1/(1-p), and only the kept
    elements pass a gradient back; switching to eval turns it into the identity."""
    tg.manual_seed(0)
    layer = tg.nn.Dropout(0.25)
    x = tg.ones(200, 200, requires_grad=True)
    y = layer(x)
    y.sum().backward()
    out = y.detach().numpy()
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 5 * np.sqrt(0.25 * 0.75 / out.size)
    np.testing.assert_array_equal(x.grad.numpy(), out)  # d(sum)/dx = mask / (1 - p)
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), x.detach().numpy())
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        tg.nn.Dropout(1.5)


# ---------------------------------------------------------------------------- BatchNorm

# The layer, and the input shapes of a few successive batches. Each has at least 3 values per
# channel: with 2, the normalised values are +-1 (but for eps) and the input's gradient is a
# difference of nearly equal terms, so float32 rounding is all that is left of it.
BATCHNORMS = [
    (lambda nn, **kw: nn.BatchNorm1d(3, **kw), [(5, 3), (4, 3), (7, 3)]),
    (lambda nn, **kw: nn.BatchNorm1d(3, **kw), [(2, 3, 4), (3, 3, 4), (3, 3, 1)]),
    (lambda nn, **kw: nn.BatchNorm2d(3, **kw), [(2, 3, 4, 5), (3, 3, 2, 2), (1, 3, 3, 3)]),
]
BN_OPTIONS = st.sampled_from([{}, dict(momentum=0.5), dict(eps=1e-3), dict(affine=False),
                              dict(track_running_stats=False), dict(momentum=0.9, affine=False)])


@pytest.mark.parametrize("make, shapes", BATCHNORMS, ids=["1d", "1d_length", "2d"])
@given(options=BN_OPTIONS, dtype=DTYPES, data=st.data())
def test_batchnorm_train_then_eval(make, shapes, options, dtype, data):
    """Training: batch statistics (biased variance) normalise; running_mean/var move towards them
    (the unbiased variance) and num_batches_tracked counts; all of it as in torch after several
    batches. Eval: the running statistics normalise, and nothing moves."""
    edu, ref = same_layer(lambda nn: make(nn, **options), dtype)
    if options.get("affine", True):  # start from a non-trivial affine transform
        with torch.no_grad():
            ref.weight.uniform_(0.5, 2.0)
            ref.bias.uniform_(-1.0, 1.0)
        edu.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    for shape in shapes:
        check_layer(edu, ref, [data.draw(seeded_arrays(shape, -2, 3))], dtype)
    if options.get("track_running_stats", True):
        assert int(edu.num_batches_tracked) == len(shapes)
    edu.eval(), ref.eval()
    check_layer(edu, ref, [data.draw(seeded_arrays(shapes[0], -2, 3))], dtype)


def test_batchnorm_errors_like_torch():
    for engine in (torch, tg):
        with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
            engine.nn.BatchNorm1d(3)(engine.zeros(2, 3, 4, 4))
        with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
            engine.nn.BatchNorm2d(3)(engine.zeros(2, 3))
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
            engine.nn.BatchNorm1d(3)(engine.zeros(1, 3))
    tg.nn.BatchNorm1d(3).eval()(tg.zeros(1, 3))  # a single sample is fine in eval mode


# ---------------------------------------------------------------------------- Sequential and the tutorial's models

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sequential_with_every_layer(kernel_path, dtype):
    def make(nn):
        return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(4, 3, 2, stride=2, bias=False), nn.Tanh(), nn.Flatten(),
                             nn.Linear(12, 6), nn.Sigmoid(), nn.Dropout(0.0), nn.Linear(6, 5), nn.LogSoftmax(dim=1))

    edu, ref = same_layer(make, dtype)
    x = np.random.default_rng(3).uniform(-1, 1, (3, 2, 8, 8))
    check_layer(edu, ref, [x], dtype)
    edu.eval(), ref.eval()
    check_layer(edu, ref, [x], dtype)


EDU_MODELS, REF_MODELS = build_models(tg), build_models(torch)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("model_name, loss_name", [("mlp", "NLLLoss"), ("CNN_Mnist", "CrossEntropyLoss")])
def test_tutorial_training_step(model_name, loss_name, dtype):
    """The tutorial's MLP (NLLLoss) and CNN (CrossEntropyLoss): from the same weights, one step
    of forward, loss, backward and Adam gives the same loss, gradients and updated weights."""
    torch.manual_seed(0)
    edu, ref = same_layer(lambda nn: getattr(REF_MODELS if nn is torch.nn else EDU_MODELS, model_name)(), dtype)
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (16, 1, 28, 28)).astype(dtype)  # pixel values scaled to [0, 1]
    labels = rng.integers(0, 10, 16)
    results = {}
    for engine, model in ((tg, edu), (torch, ref)):
        opt = engine.optim.Adam(model.parameters(), lr=1e-3)
        x = engine.from_numpy(images)
        if model_name == "mlp":
            x = x.view(x.shape[0], -1)  # the tutorial's loop flattens the images for the MLP
        loss = getattr(engine.nn, loss_name)()(model(x), engine.from_numpy(labels))
        opt.zero_grad()
        loss.backward()
        grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
        opt.step()
        results[engine.__name__] = loss.item(), grads, {k: v.numpy() for k, v in model.state_dict().items()}
    (loss, grads, weights), (ref_loss, ref_grads, ref_weights) = results["tinygrad_edu"], results["torch"]
    rtol, atol = TOLERANCES[dtype]
    assert loss == pytest.approx(ref_loss, rel=rtol)
    for name in ref_grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=rtol, atol=atol, err_msg=f"gradient of {name}")
        np.testing.assert_allclose(weights[name], ref_weights[name], rtol=rtol, atol=atol, err_msg=name)
