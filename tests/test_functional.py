"""``nn.functional`` against ``torch.nn.functional``: outputs and the gradients of every input
(data, weights, biases) over hypothesis-chosen shapes, in float64 (tight) and float32.
Convolution and pooling run on both kernel paths (numba and numpy). The losses are in
``test_losses.py``.
"""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies
import tinygrad_edu as tg
from helpers import TOLERANCES, assert_same_tensor, check_against_torch

F, TF = tg.nn.functional, torch.nn.functional
DTYPES = st.sampled_from(["float64", "float32"])
# kernel_path is set once per test, not per example: hypothesis may keep it across examples
ON_EACH_PATH = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def seeded_arrays(draw, shape, lo: float = -1.0, hi: float = 1.0, layouts=strategies.LAYOUTS):
    """U(lo, hi) values from a drawn seed (cheaper than drawing each element of a large array),
    in one of ``layouts``. Values in [-1, 1] keep float32 sums of ~100 products accurate to ~1e-6."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return strategies.with_layout(rng.uniform(lo, hi, shape), draw(st.sampled_from(layouts)))


@st.composite
def distinct_images(draw, shape, layouts=strategies.LAYOUTS):
    """Values all different, exactly so in float32 (multiples of 1/8), so a window's maximum is unique."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = int(np.prod(shape))
    values = (rng.permutation(size) - size / 2) / 8
    return strategies.with_layout(values.reshape(shape), draw(st.sampled_from(layouts)))


# ---------------------------------------------------------------------------- linear

@given(batch=strategies.shapes(0, 2, max_side=3), n_in=st.integers(1, 5), n_out=st.integers(1, 5),
       bias=st.booleans(), dtype=DTYPES, data=st.data())
def test_linear(batch, n_in, n_out, bias, dtype, data):
    """x (*, in) with zero, one or two batch dims."""
    inputs = [data.draw(strategies.arrays(batch + (n_in,))), data.draw(strategies.arrays((n_out, n_in)))]
    if bias:
        inputs.append(data.draw(strategies.arrays((n_out,))))
    check_against_torch(F.linear, TF.linear, inputs, dtype)


def test_linear_shape_error_like_torch():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        F.linear(tg.zeros(2, 3), tg.zeros(5, 4))


# ---------------------------------------------------------------------------- convolution

@st.composite
def conv_case(draw, max_channels: int = 3):
    """Shapes and options for conv2d: kernels 1..7 (odd and even, not square), strides 1..3,
    padding 0..3, inputs just big enough up to a few pixels more."""
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = draw(st.one_of(st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3))))
    ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
    h = draw(st.integers(max(1, kh - 2 * ph), kh + 4))
    w = draw(st.integers(max(1, kw - 2 * pw), kw + 4))
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    return (n, c, h, w), (f, c, kh, kw), stride, padding


@ON_EACH_PATH
@given(case=conv_case(), bias=st.booleans(), dtype=DTYPES, data=st.data())
def test_conv2d(kernel_path, case, bias, dtype, data):
    x_shape, w_shape, stride, padding = case
    inputs = [data.draw(seeded_arrays(x_shape)), data.draw(seeded_arrays(w_shape))]
    if bias:
        inputs.append(data.draw(seeded_arrays(w_shape[:1])))
    check_against_torch(lambda x, w, b=None: F.conv2d(x, w, b, stride, padding),
                        lambda x, w, b=None: TF.conv2d(x, w, b, stride, padding), inputs, dtype,
                        requires_grad=data.draw(st.sampled_from([True, [True, False, True][:len(inputs)],
                                                                 [False, True, True][:len(inputs)]])))


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv2d_string_padding_and_unbatched_input(kernel_path, padding, dtype):
    rng = np.random.default_rng(0)
    x, w, b = rng.uniform(-1, 1, (2, 6, 7)), rng.uniform(-1, 1, (3, 2, 3, 5)), rng.uniform(-1, 1, 3)
    check_against_torch(lambda x, w, b: F.conv2d(x, w, b, padding=padding),
                        lambda x, w, b: TF.conv2d(x, w, b, padding=padding), [x, w, b], dtype)


def test_conv2d_errors_like_torch():
    cases = [
        (dict(input=(1, 3, 5, 5), weight=(2, 2, 3, 3)), RuntimeError, "expected input.*to have 2 channels, but got 3"),
        (dict(input=(1, 1, 2, 2), weight=(1, 1, 3, 3)), RuntimeError,
         "Kernel size can't be greater than actual input size"),
        (dict(input=(5, 5), weight=(1, 1, 3, 3)), RuntimeError, r"Expected 3D \(unbatched\) or 4D \(batched\) input"),
    ]
    for shapes, error, match in cases:
        with pytest.raises(error):
            TF.conv2d(torch.zeros(shapes["input"]), torch.zeros(shapes["weight"]))
        with pytest.raises(error, match=match):
            F.conv2d(tg.zeros(*shapes["input"]), tg.zeros(*shapes["weight"]))
    with pytest.raises(RuntimeError):  # torch's F.conv2d raises RuntimeError here (nn.Conv2d a ValueError)
        TF.conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), stride=2, padding="same")


def test_box_blur_of_a_grayscale_image(kernel_path):
    """The tutorial's 7x7 box blur: ones(1, 1, 7, 7) / 49 with padding 3 keeps the image's size;
    each pixel becomes the mean of its 7x7 neighbourhood, zeros counted outside the image."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (32, 41), dtype=np.uint8)  # a synthetic grayscale image
    x = image.astype(np.float32)[None, None]
    kernel = np.ones((1, 1, 7, 7), dtype=np.float32) / 49
    ours = F.conv2d(tg.from_numpy(x), tg.from_numpy(kernel), padding=3)
    theirs = TF.conv2d(torch.from_numpy(x), torch.from_numpy(kernel), padding=3)
    assert ours.shape == (1, 1, 32, 41) and ours.dtype == tg.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-4)

    padded = np.pad(image.astype(np.float64), 3)
    direct = np.zeros(image.shape)
    for u in range(7):
        for v in range(7):
            direct += padded[u:u + 32, v:v + 41]
    np.testing.assert_allclose(ours.numpy()[0, 0], direct / 49, rtol=1e-5, atol=1e-4)


# ---------------------------------------------------------------------------- max pooling

@st.composite
def pool_case(draw):
    """Kernels 1..4, strides 1..3 (or the default, the kernel), padding up to half the kernel."""
    k = draw(st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4))))
    kh, kw = k if isinstance(k, tuple) else (k, k)
    stride = draw(st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = draw(st.one_of(st.integers(0, min(kh, kw) // 2),
                             st.tuples(st.integers(0, kh // 2), st.integers(0, kw // 2))))
    h, w = draw(st.integers(kh, kh + 5)), draw(st.integers(kw, kw + 5))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), k, stride, padding


@ON_EACH_PATH
@given(case=pool_case(), dtype=DTYPES, data=st.data())
def test_max_pool2d(kernel_path, case, dtype, data):
    shape, k, stride, padding = case
    x = data.draw(distinct_images(shape))
    check_against_torch(lambda x: F.max_pool2d(x, k, stride, padding),
                        lambda x: TF.max_pool2d(x, k, stride, padding), [x], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_max_pool2d_overlapping_windows_and_ties(kernel_path, dtype):
    """Stride < kernel: an input that is the maximum of several windows gets all their gradients;
    on a tie, the first maximum in the window takes it, as in torch."""
    x = np.array([[[[1.0, 5.0, 2.0, 5.0], [0.0, 3.0, 3.0, 1.0], [4.0, 4.0, 0.0, 2.0], [1.0, 1.0, 1.0, 1.0]]]])
    check_against_torch(lambda x: F.max_pool2d(x, 2, 1), lambda x: TF.max_pool2d(x, 2, 1), [x], dtype)
    check_against_torch(lambda x: F.max_pool2d(x, 3, 1, 1), lambda x: TF.max_pool2d(x, 3, 1, 1), [x], dtype)
    check_against_torch(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), [x[0]], dtype)  # unbatched


def test_max_pool2d_padding_error_like_torch():
    with pytest.raises(RuntimeError):
        TF.max_pool2d(torch.zeros(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(tg.zeros(1, 1, 5, 5), 2, padding=2)


# ---------------------------------------------------------------------------- activations, flatten

ACTIVATIONS = {"relu": dict(avoid=(0.0,)), "sigmoid": {}, "tanh": {}}


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(shape=strategies.shapes(0, 4), dtype=DTYPES, data=st.data())
def test_activation_functions(name, shape, dtype, data):
    x = data.draw(strategies.arrays(shape, lo=-6, hi=6, **ACTIVATIONS[name]))
    check_against_torch(getattr(F, name), getattr(TF, name), [x], dtype)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(case=strategies.shape_and_dim(), dtype=DTYPES, data=st.data())
def test_softmax_functions(name, case, dtype, data):
    shape, dim = case
    x = data.draw(strategies.arrays(shape, lo=-10, hi=10))
    check_against_torch(lambda x: getattr(F, name)(x, dim), lambda x: getattr(TF, name)(x, dim), [x], dtype)


@given(shape=strategies.shapes(1, 4), dtype=DTYPES, data=st.data())
def test_flatten(shape, dtype, data):
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    end = data.draw(st.integers(start % len(shape) - len(shape), -1))
    x = data.draw(strategies.arrays(shape))
    check_against_torch(lambda x: F.flatten(x, start, end), lambda x: torch.flatten(x, start, end), [x], dtype)


# ---------------------------------------------------------------------------- dropout

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dropout_identity_when_p_is_0_or_not_training(dtype):
    x = np.random.default_rng(0).standard_normal((4, 5))
    for p, training in ((0.0, True), (0.5, False), (1.0, False)):
        check_against_torch(lambda x: F.dropout(x, p, training), lambda x: TF.dropout(x, p, training), [x], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dropout_p_1_zeroes_everything(dtype):
    x = np.random.default_rng(0).standard_normal((4, 5))
    check_against_torch(lambda x: F.dropout(x, 1.0), lambda x: TF.dropout(x, 1.0), [x], dtype)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [tg.float64, tg.float32])
def test_dropout_in_training(p, dtype):
    """Each element is dropped with probability p, the kept ones scaled by 1/(1 - p) (so the
    mean is kept), and the gradient flows through the kept elements only, with the same scale."""
    tg.manual_seed(0)
    x = tg.tensor(np.random.default_rng(1).uniform(0.5, 2.0, (300, 400)), dtype=dtype, requires_grad=True)
    y = F.dropout(x, p)
    upstream = np.random.default_rng(2).standard_normal(x.shape).astype(dtype.np)
    y.backward(tg.tensor(upstream))
    out, xs = y.detach().numpy(), x.detach().numpy()
    kept = out != 0
    n = kept.size
    assert abs((1 - kept.mean()) - p) < 5 * np.sqrt(p * (1 - p) / n)
    scale = dtype.np.type(1 / (1 - p))  # torch too multiplies by the scale rounded to the dtype
    np.testing.assert_array_equal(out[kept], xs[kept] * scale)
    np.testing.assert_array_equal(x.grad.numpy(), np.where(kept, upstream * scale, 0))
    assert out.mean() == pytest.approx(xs.mean(), rel=0.02)


def test_dropout_masks_follow_the_seed():
    x = tg.ones(50, 50)
    tg.manual_seed(3)
    first = F.dropout(x, 0.5).numpy()
    second = F.dropout(x, 0.5).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), first)
    assert not np.array_equal(first, second)
    gen = tg.Generator().manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.5, generator=gen).numpy(), first)


def test_dropout_rejects_bad_p_like_torch():
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError):
            TF.dropout(torch.ones(2), p)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            F.dropout(tg.ones(2), p)


# ---------------------------------------------------------------------------- batch_norm

@pytest.mark.parametrize("training", [True, False])
@given(shape=st.sampled_from([(4, 3), (3, 2, 5), (2, 3, 3, 2)]), affine=st.booleans(), dtype=DTYPES,
       data=st.data())
def test_batch_norm_function(training, shape, affine, dtype, data):
    """F.batch_norm with running statistics: the output, the gradients and the updated statistics."""
    c = shape[1]
    x = data.draw(seeded_arrays(shape, -2, 2))
    mean, var = data.draw(seeded_arrays((c,))), data.draw(seeded_arrays((c,), 0.5, 2.0))
    stats = {}

    def run(engine, functional):
        def fn(x, *affine_params):
            running = (engine.tensor(mean.astype(dtype)), engine.tensor(var.astype(dtype)))
            stats[engine.__name__] = running
            return functional.batch_norm(x, *running, *affine_params, training=training, momentum=0.3, eps=1e-3)
        return fn

    # weight and bias contiguous: torch 2.14's CPU backward in eval mode reads a strided weight
    # as if it were contiguous (weight[::2] of [1, 0, 2, 0, 3, 0] acts as [1, 0, 2])
    contiguous = seeded_arrays((c,), layouts=("contiguous",))
    inputs = [x] + ([data.draw(contiguous), data.draw(contiguous)] if affine else [])
    check_against_torch(run(tg, F), run(torch, TF), inputs, dtype)
    for ours, theirs, name in zip(stats["tinygrad_edu"], stats["torch"], ["running_mean", "running_var"]):
        assert_same_tensor(ours, theirs, *TOLERANCES[dtype], name)
