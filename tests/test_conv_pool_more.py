"""Conv2d's groups, dilation, string padding and padding modes; MaxPool2d's dilation, ceil_mode and
indices; AvgPool2d, the adaptive pools and Dropout2d (issue 11); and the silent divergences of
issue 9 (unbatched, integer, empty-batch and non-contiguous inputs, errors) -- all against torch.

Functional forms go through ``helpers.check_against_torch`` (outputs, dtypes, gradients of every
input, float64 rtol 1e-10 and float32 1e-5) on both kernel paths; modules are compared with
torch's module holding the same parameters, reprs and state_dict keys included.
"""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from helpers import assert_same_tensor, check_against_torch, TOLERANCES
from test_functional import ON_EACH_PATH, distinct_images, seeded_arrays

F, TF = tg.nn.functional, torch.nn.functional
DTYPES = st.sampled_from(["float64", "float32"])
EXAMPLES = settings(ON_EACH_PATH, max_examples=30, deadline=None)


# ---------------------------------------------------------------------------- conv2d

@st.composite
def grouped_conv_case(draw):
    """groups 1..3, dilation 1..3, stride 1..2, padding an int, a pair, "valid" or "same" (stride 1)."""
    groups = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = draw(st.sampled_from([1, 2, (1, 2), (3, 1)]))
    dh, dw = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    padding = draw(st.sampled_from([0, 1, (2, 0), "valid", "same"]))
    stride = 1 if padding == "same" else draw(st.sampled_from([1, 2, (1, 2)]))
    ph, pw = (0, 0) if isinstance(padding, str) else padding if isinstance(padding, tuple) else (padding, padding)
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), dh * (kh - 1) + 4))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), dw * (kw - 1) + 4))
    c, f = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    batch = draw(st.sampled_from([(), (1,), (2,)]))  # () is an unbatched (C, H, W) input
    return batch + (c, h, w), (f, c // groups, kh, kw), dict(stride=stride, padding=padding, dilation=dilation,
                                                              groups=groups)


@EXAMPLES
@given(case=grouped_conv_case(), bias=st.booleans(), dtype=DTYPES, data=st.data())
def test_conv2d_groups_dilation_and_string_padding(kernel_path, case, bias, dtype, data):
    x_shape, w_shape, options = case
    inputs = [data.draw(seeded_arrays(x_shape)), data.draw(seeded_arrays(w_shape))]
    if bias:
        inputs.append(data.draw(seeded_arrays(w_shape[:1])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that 'same' with an even kernel copies the input
        check_against_torch(lambda x, w, b=None: F.conv2d(x, w, b, **options),
                            lambda x, w, b=None: TF.conv2d(x, w, b, **options), inputs, dtype)


def _torch_twin(edu_module, torch_module, dtype):
    """torch_module in ``dtype`` holding edu_module's parameters."""
    torch_module = torch_module.to(getattr(torch, dtype))
    torch_module.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in edu_module.state_dict().items()})
    return torch_module


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding, kernel, dilation", [(1, 3, 1), ((2, 1), (3, 2), 1), ("same", (2, 4), 1),
                                                        ("same", 3, 2), ("valid", 2, 1)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv2d_module_padding_modes(mode, padding, kernel, dilation, dtype):
    """The module pads (reflect / replicate / circular copies of the border) before convolving:
    values, and gradients for the input, weight and bias, which collect from every copy."""
    ours = tg.nn.Conv2d(4, 6, kernel, padding=padding, dilation=dilation, groups=2, padding_mode=mode,
                        dtype=getattr(tg, dtype))
    theirs = _torch_twin(ours, torch.nn.Conv2d(4, 6, kernel, padding=padding, dilation=dilation, groups=2,
                                               padding_mode=mode), dtype)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 4, 5, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(ours, theirs, [x], dtype)
    rtol, atol = TOLERANCES[dtype]
    for name, p in ours.named_parameters():
        assert_same_tensor(p.grad, dict(theirs.named_parameters())[name].grad, rtol, atol, f"gradient of {name}")


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_conv2d_of_integers_is_exact_as_in_torch(kernel_path, dtype):
    rng = np.random.default_rng(2)
    x, w, b = rng.integers(0, 5, (2, 4, 6, 5)), rng.integers(-2, 3, (6, 2, 3, 2)), rng.integers(-3, 3, 6)
    if dtype == "uint8":
        w, b = np.abs(w), np.abs(b)
    x, w, b = (a.astype(dtype) for a in (x, w, b))
    ours = F.conv2d(tg.from_numpy(x), tg.from_numpy(w), tg.from_numpy(b), 1, 1, 1, 2)
    theirs = TF.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), 1, 1, 1, 2)
    assert_same_tensor(ours, theirs, 0, 0)


# ---------------------------------------------------------------------------- max_pool2d

@st.composite
def max_pool_case(draw):
    k = draw(st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 3))))
    kh, kw = k if isinstance(k, tuple) else (k, k)
    dilation = draw(st.sampled_from([1, 2, (2, 1)]))
    dh, dw = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    stride = draw(st.sampled_from([None, 1, 2, 3, (1, 2)]))
    padding = draw(st.sampled_from([0, (kh // 2, kw // 2), (0, kw // 2)]))
    h, w = draw(st.integers(dh * (kh - 1) + 1, dh * (kh - 1) + 6)), draw(st.integers(dw * (kw - 1) + 1, dw * (kw - 1) + 6))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    return batch + (draw(st.integers(1, 3)), h, w), dict(kernel_size=k, stride=stride, padding=padding,
                                                         dilation=dilation, ceil_mode=draw(st.booleans()))


@EXAMPLES
@given(case=max_pool_case(), return_indices=st.booleans(), dtype=DTYPES, data=st.data())
def test_max_pool2d_dilation_ceil_mode_and_indices(kernel_path, case, return_indices, dtype, data):
    shape, options = case
    x = data.draw(distinct_images(shape))
    check_against_torch(lambda x: F.max_pool2d(x, **options, return_indices=return_indices),
                        lambda x: TF.max_pool2d(x, **options, return_indices=return_indices), [x], dtype)


def test_max_pool2d_module_returns_indices_like_torch(kernel_path):
    x = np.random.default_rng(3).permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 8.0
    ours = tg.nn.MaxPool2d(3, 2, 1, dilation=1, return_indices=True, ceil_mode=True)
    theirs = torch.nn.MaxPool2d(3, 2, 1, dilation=1, return_indices=True, ceil_mode=True)
    _, outs, _, ref = check_against_torch(ours, theirs, [x])
    assert outs[1].dtype == tg.int64 and outs[1].shape == ref[1].shape == (2, 3, 4, 5)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_max_pool2d_of_integers_matches_torch(kernel_path, dtype):
    x = np.random.default_rng(4).integers(0 if dtype == "uint8" else -50, 50, (2, 3, 7, 6)).astype(dtype)
    ours, idx = F.max_pool2d(tg.from_numpy(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    theirs, ref_idx = TF.max_pool2d(torch.from_numpy(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    assert_same_tensor(ours, theirs, 0, 0)
    assert_same_tensor(idx, ref_idx, 0, 0)


# ---------------------------------------------------------------------------- avg_pool2d

@st.composite
def avg_pool_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    k = draw(st.sampled_from([(kh, kw), kh]))
    kh, kw = k if isinstance(k, tuple) else (k, k)
    padding = draw(st.sampled_from([0, (kh // 2, kw // 2), (kh // 2, 0)]))
    h, w = draw(st.integers(kh, kh + 5)), draw(st.integers(kw, kw + 5))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    return batch + (draw(st.integers(1, 3)), h, w), dict(
        kernel_size=k, stride=draw(st.sampled_from([None, 1, 2, 3, (2, 1)])), padding=padding,
        ceil_mode=draw(st.booleans()), count_include_pad=draw(st.booleans()),
        divisor_override=draw(st.sampled_from([None, None, 1, 3, 7])))


@EXAMPLES
@given(case=avg_pool_case(), dtype=DTYPES, data=st.data())
def test_avg_pool2d(case, dtype, data):
    shape, options = case
    check_against_torch(lambda x: F.avg_pool2d(x, **options), lambda x: TF.avg_pool2d(x, **options),
                        [data.draw(seeded_arrays(shape))], dtype)


def test_avg_pool2d_of_int64_truncates_like_torch():
    x = np.random.default_rng(5).integers(-40, 40, (2, 3, 7, 6))
    for options in (dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, ceil_mode=True, divisor_override=3),
                    dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)):
        assert_same_tensor(F.avg_pool2d(tg.from_numpy(x), **options), TF.avg_pool2d(torch.from_numpy(x), **options),
                           0, 0, str(options))


def test_avg_pool2d_module(kernel_path):
    x = np.random.default_rng(6).uniform(-1, 1, (2, 3, 7, 8))
    ours, theirs = tg.nn.AvgPool2d(3, 2, 1, True, False, None), torch.nn.AvgPool2d(3, 2, 1, True, False, None)
    check_against_torch(ours, theirs, [x])


# ---------------------------------------------------------------------------- adaptive pools

OUTPUT_SIZES = st.one_of(st.integers(1, 6), st.tuples(st.one_of(st.none(), st.integers(1, 6)), st.integers(1, 6)))


@EXAMPLES
@given(h=st.integers(1, 9), w=st.integers(1, 9), size=OUTPUT_SIZES, batch=st.sampled_from([(), (2,)]),
       dtype=DTYPES, data=st.data())
def test_adaptive_avg_pool2d(h, w, size, batch, dtype, data):
    """Windows that overlap (output larger than input), tile, or leave uneven remainders."""
    check_against_torch(lambda x: F.adaptive_avg_pool2d(x, size), lambda x: TF.adaptive_avg_pool2d(x, size),
                        [data.draw(seeded_arrays(batch + (2, h, w)))], dtype)


@EXAMPLES
@given(h=st.integers(1, 9), w=st.integers(1, 9), size=OUTPUT_SIZES, batch=st.sampled_from([(), (2,)]),
       return_indices=st.booleans(), dtype=DTYPES, data=st.data())
def test_adaptive_max_pool2d(h, w, size, batch, return_indices, dtype, data):
    check_against_torch(lambda x: F.adaptive_max_pool2d(x, size, return_indices),
                        lambda x: TF.adaptive_max_pool2d(x, size, return_indices),
                        [data.draw(distinct_images(batch + (2, h, w)))], dtype)


def test_adaptive_max_pool2d_ties_nan_and_minus_inf_like_torch():
    """Ties go to the first maximum, the last NaN wins, an all -inf window picks its first input."""
    x = np.array([[[[1, 1, 0, 5, np.nan], [1, 1, 5, 5, np.nan], [-np.inf, -np.inf, 2, np.nan, 2],
                    [-np.inf, -np.inf, 2, 2, 2]]]])
    for size in [(2, 2), (3, 4), (4, 5), 1]:
        ours, idx = F.adaptive_max_pool2d(tg.from_numpy(x), size, True)
        theirs, ref_idx = TF.adaptive_max_pool2d(torch.from_numpy(x), size, True)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())


# ---------------------------------------------------------------------------- empty batches

@pytest.mark.parametrize("name, ours, theirs", [
    ("conv2d", lambda x: F.conv2d(x, tg.ones(4, 1, 3, 3, dtype=tg.float64), None, 1, 1, 1, 2),
     lambda x: TF.conv2d(x, torch.ones(4, 1, 3, 3, dtype=torch.float64), None, 1, 1, 1, 2)),
    ("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1, 1, True), lambda x: TF.max_pool2d(x, 3, 2, 1, 1, True)),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 2), lambda x: TF.avg_pool2d(x, 2)),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, 3), lambda x: TF.adaptive_avg_pool2d(x, 3)),
    ("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, 3), lambda x: TF.adaptive_max_pool2d(x, 3)),
])
def test_an_empty_batch_works_as_in_torch(kernel_path, name, ours, theirs):
    check_against_torch(ours, theirs, [np.zeros((0, 2, 6, 5))])


# ---------------------------------------------------------------------------- errors

Z = np.zeros
# (call on tinygrad_edu's F or torch's, with the matching tensor maker) -> the message we must give
ERRORS = [
    (lambda F, t: F.conv2d(t(1, 1, 5, 5), t(1, 1, 3, 3), stride=0), "non-positive stride is not supported"),
    (lambda F, t: F.conv2d(t(1, 1, 5, 5), t(1, 1, 3, 3), padding=-1), "negative padding is not supported"),
    (lambda F, t: F.conv2d(t(1, 1, 5, 5), t(1, 1, 3, 3), dilation=0), "dilation should be greater than zero"),
    (lambda F, t: F.conv2d(t(1, 1, 5, 5), t(1, 1, 3, 3), groups=0), "non-positive groups is not supported"),
    (lambda F, t: F.conv2d(t(1, 3, 5, 5), t(2, 1, 3, 3), groups=2), r"Given groups=2, weight of size \[2, 1, 3, 3\], "
     r"expected input\[1, 3, 5, 5\] to have 2 channels, but got 3 channels instead"),
    (lambda F, t: F.conv2d(t(1, 4, 5, 5), t(3, 2, 3, 3), groups=2), "expected weight to be divisible by 2 at dimension 0"),
    (lambda F, t: F.conv2d(t(1, 1, 5, 5), t(2, 1, 3, 3), t(2, 1)), r"Given weight of size \[2, 1, 3, 3\], expected "
     r"bias to be 1-dimensional with 2 elements, but got bias of size \[2, 1\] instead"),
    (lambda F, t: F.conv2d(t(1, 1, 5, 5), t(2, 1, 3, 3), t(3)), "expected bias to be 1-dimensional with 2 elements"),
    (lambda F, t: F.conv2d(t(5, 5), t(1, 1, 3, 3)), r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, "
     r"but got input of size: \[5, 5\]"),
    (lambda F, t: F.conv2d(t(1, 1, 1, 5, 5), t(1, 1, 3, 3)), "Expected 3D .* input to conv2d"),
    (lambda F, t: F.conv2d(t(1, 1, 5, 5).double(), t(1, 1, 3, 3)), "expected scalar type Double but found Float"),
    (lambda F, t: F.conv2d(t(1, 1, 4, 4), t(1, 1, 3, 3), dilation=2), r"Calculated padded input size per channel: "
     r"\(4 x 4\). Kernel size: \(5 x 5\). Kernel size can't be greater than actual input size"),
    (lambda F, t: F.conv2d(t(1, 1, 5, 5), t(1, 1, 3, 3), padding="foo"), "Invalid padding string: 'foo'"),
    (lambda F, t: F.conv2d(t(1, 1, 5, 5), t(1, 1, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda F, t: F.max_pool2d(t(1, 1, 5, 5), 2, stride=0), "stride should"),
    (lambda F, t: F.max_pool2d(t(5, 5), 2), "non-empty 3D or 4D \\(batch mode\\) tensor expected for input"),
    (lambda F, t: F.max_pool2d(t(1, 1, 1, 5, 5), 2), "non-empty 3D or 4D \\(batch mode\\) tensor expected for input"),
    (lambda F, t: F.max_pool2d(t(1, 1, 2, 2), 3), r"Given input size: \(1x2x2\). Calculated output size: \(1x0x0\). "
     "Output size is too small"),
    (lambda F, t: F.max_pool2d(t(1, 1, 4, 4), 3, dilation=2), "Output size is too small"),
    (lambda F, t: F.max_pool2d(t(1, 1, 5, 5), 2, padding=2), "pad should be at most half of effective kernel size, "
     "but got pad=2, kernel_size=2 and dilation=1"),
    (lambda F, t: F.max_pool2d(t(1, 1, 8, 8), 3, padding=2, dilation=2), "pad should be smaller than or equal to half"),
    (lambda F, t: F.max_pool2d(t(1, 1, 5, 5), 2, padding=-1), "pad must be non-negative"),
    (lambda F, t: F.max_pool2d(t(1, 1, 5, 5), 2, dilation=0), "dilation should be greater than zero"),
    (lambda F, t: F.max_pool2d(t(1, 0, 5, 5), 2), r"optional 0 dim batch size for input, but got:\[1, 0, 5, 5\]"),
    (lambda F, t: F.avg_pool2d(t(1, 1, 2, 2), 3), "Output size is too small"),
    (lambda F, t: F.avg_pool2d(t(1, 1, 5, 5), 2, padding=2), "pad should be at most half of effective kernel size"),
    (lambda F, t: F.avg_pool2d(t(1, 1, 5, 5), 2, divisor_override=0), "divisor must be"),
    (lambda F, t: F.adaptive_avg_pool2d(t(5, 5), 2), r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor"),
    (lambda F, t: F.adaptive_avg_pool2d(t(1, 1, 5, 5), -1), "elements of output_size must be greater than or equal to 0"),
    (lambda F, t: F.adaptive_avg_pool2d(t(1, 1, 0, 5), 2), "with dimension 2 being empty"),
    (lambda F, t: F.adaptive_max_pool2d(t(5, 5), 2), r"adaptive_max_pool2d\(\): Expected 3D or 4D tensor"),
    (lambda F, t: F.dropout2d(t(2, 3, 4, 4), 1.5), "dropout probability has to be between 0 and 1, but got 1.5"),
]


@pytest.mark.parametrize("call, message", ERRORS)
def test_errors_like_torch(call, message):
    """The same exception type as torch, and a message with torch's sense (torch's own words where
    they name the shapes)."""
    with pytest.raises(Exception) as theirs:
        call(TF, lambda *s: torch.zeros(s))
    with pytest.raises(type(theirs.value), match=message):
        call(F, lambda *s: tg.zeros(*s))


def test_integer_dtypes_torch_refuses_are_refused():
    x = np.ones((1, 1, 4, 4), np.int32)
    for call in (lambda F, t: F.avg_pool2d(t(x), 2), lambda F, t: F.adaptive_avg_pool2d(t(x.astype(np.int64)), 2),
                 lambda F, t: F.adaptive_max_pool2d(t(x.astype(np.int64)), 2)):
        with pytest.raises(NotImplementedError) as theirs:
            call(TF, torch.from_numpy)
        with pytest.raises(NotImplementedError, match=str(theirs.value).split(" for ")[0]):
            call(F, tg.from_numpy)


@pytest.mark.parametrize("mode, padding, message", [
    ("reflect", 3, r"Padding size should be less than the corresponding input dimension, but got: padding \(3, 3\) "
                   r"at dimension 3 of input \[1, 1, 3, 3\]"),
    ("circular", 4, "Padding value causes wrapping around more than once"),
])
def test_conv2d_padding_mode_too_wide_errors_like_torch(mode, padding, message):
    with pytest.raises(RuntimeError):
        torch.nn.Conv2d(1, 1, 3, padding=padding, padding_mode=mode)(torch.zeros(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match=message):
        tg.nn.Conv2d(1, 1, 3, padding=padding, padding_mode=mode)(tg.zeros(1, 1, 3, 3))


@pytest.mark.parametrize("args, kwargs, message", [
    ((3, 4, 3), dict(groups=2), "in_channels must be divisible by groups"),
    ((4, 3, 3), dict(groups=2), "out_channels must be divisible by groups"),
    ((4, 4, 3), dict(groups=0), "groups must be a positive integer"),
    ((4, 4, 3), dict(stride=2, padding="same"), "padding='same' is not supported for strided convolutions"),
    ((4, 4, 3), dict(padding="foo"), r"Invalid padding string 'foo', should be one of \{'valid', 'same'\}"),
    ((4, 4, 3), dict(padding_mode="foo"), "padding_mode must be one of .*, but got padding_mode='foo'"),
])
def test_conv2d_module_argument_errors_like_torch(args, kwargs, message):
    with pytest.raises(ValueError):
        torch.nn.Conv2d(*args, **kwargs)
    with pytest.raises(ValueError, match=message):
        tg.nn.Conv2d(*args, **kwargs)


# ---------------------------------------------------------------------------- modules: repr, state_dict

MODULES = [
    lambda nn: nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode="reflect"),
    lambda nn: nn.Conv2d(2, 4, (2, 3), padding="same", padding_mode="circular"),
    lambda nn: nn.Conv2d(2, 4, 3, padding="valid", dilation=(1, 2)),
    lambda nn: nn.MaxPool2d(3, 2, 1, dilation=2, return_indices=True, ceil_mode=True),
    lambda nn: nn.MaxPool2d((2, 3)),
    lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False, divisor_override=2),
    lambda nn: nn.AvgPool2d((2, 2)),
    lambda nn: nn.AdaptiveAvgPool2d((None, 7)),
    lambda nn: nn.AdaptiveAvgPool2d(1),
    lambda nn: nn.AdaptiveMaxPool2d((3, 2), return_indices=True),
    lambda nn: nn.Dropout2d(0.3),
    lambda nn: nn.Dropout2d(),
]


@pytest.mark.parametrize("make", MODULES)
def test_module_repr_and_state_dict_keys_like_torch(make):
    ours, theirs = make(tg.nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, p), (ref_name, ref) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == ref_name and tuple(p.shape) == tuple(ref.shape)


def test_grouped_conv_init_bounds_like_torch():
    """fan_in = in_channels / groups * KH * KW: the bound of weight and bias is 1/sqrt(fan_in)."""
    tg.manual_seed(0)
    layer = tg.nn.Conv2d(8, 8, 3, groups=4)
    bound = 1 / np.sqrt(2 * 9)
    assert layer.weight.shape == (8, 2, 3, 3)
    for p in (layer.weight, layer.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound


# ---------------------------------------------------------------------------- Dropout2d

def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    tg.manual_seed(0)
    p = 0.3
    x = tg.from_numpy(np.random.default_rng(7).uniform(1, 2, (40, 50, 3, 4))).requires_grad_()
    layer = tg.nn.Dropout2d(p)
    out = layer(x)
    out.backward(tg.ones(*x.shape, dtype=tg.float64))
    y, xs, grad = out.detach().numpy(), x.detach().numpy(), x.grad.numpy()
    kept = (y != 0).reshape(40, 50, -1)
    assert np.all(kept.all(axis=2) | ~kept.any(axis=2)), "a channel was partly zeroed"
    channel_kept = kept[..., 0]
    np.testing.assert_allclose(y[channel_kept], xs[channel_kept] / (1 - p), rtol=1e-15)
    np.testing.assert_array_equal(grad, np.broadcast_to((channel_kept / (1 - p))[..., None, None], xs.shape))
    # 2,000 channels, each dropped with probability 0.3: the share is within 5 standard deviations
    share, sigma = 1 - channel_kept.mean(), np.sqrt(p * (1 - p) / channel_kept.size)
    assert abs(share - p) < 5 * sigma, share


def test_dropout2d_eval_mode_p0_p1_and_seeds():
    x = tg.from_numpy(np.random.default_rng(8).uniform(1, 2, (3, 4, 2, 2)))
    layer = tg.nn.Dropout2d(0.5).eval()
    assert layer(x) is x
    assert F.dropout2d(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout2d(x, 1.0).numpy(), np.zeros(x.shape))
    tg.manual_seed(5)
    first = F.dropout2d(x, 0.5).numpy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(F.dropout2d(x, 0.5).numpy(), first)


def test_dropout2d_of_a_3d_input_warns_and_drops_channels_of_n_c_l_like_torch():
    x = tg.from_numpy(np.random.default_rng(9).uniform(1, 2, (30, 40, 5)))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d") as ours:
        y = F.dropout2d(x, 0.5).numpy()
    with pytest.warns(UserWarning) as theirs:
        TF.dropout2d(torch.ones(2, 3, 4), 0.5)
    assert str(ours[0].message).split(" - ")[0] == str(theirs[0].message).split(" - ")[0]
    kept = y != 0
    assert np.all(kept.all(axis=2) | ~kept.any(axis=2))


def test_dropout_of_integers_errors_like_torch():
    x = np.ones((2, 3, 4, 4), np.int64)
    for fn in ("dropout", "dropout2d"):
        with pytest.raises(RuntimeError) as theirs:
            getattr(TF, fn)(torch.from_numpy(x), 0.5)
        with pytest.raises(RuntimeError, match=str(theirs.value)):
            getattr(F, fn)(tg.from_numpy(x), 0.5)


# ---------------------------------------------------------------------------- ONNX export

def test_onnx_export_keeps_groups_dilation_and_ceil_mode():
    """Conv's group and dilations, MaxPool's dilations and ceil_mode reach the ONNX file: onnxruntime
    gives the engine's outputs."""
    import io

    ort = pytest.importorskip("onnxruntime")
    from tinygrad_edu.onnx import export

    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2),
                             tg.nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True))
    x = np.random.default_rng(10).uniform(-1, 1, (2, 4, 9, 8)).astype(np.float32)
    f = io.BytesIO()
    export(model, (tg.from_numpy(x),), f, input_names=["x"], output_names=["y"])
    (got,) = ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    with tg.no_grad():
        want = model(tg.from_numpy(x)).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
