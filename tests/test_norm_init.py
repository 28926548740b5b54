"""LayerNorm and BatchNorm (momentum=None, affine=False, track_running_stats=False) against
PyTorch, and nn.init: exact where the result is fixed (gains, fans, constants, errors),
analytic bounds and seeded statistics where it is random."""
import math
import warnings

import numpy as np
import pytest
import torch
from helpers import assert_same_tensor, check_against_torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import strategies
import tinygrad_edu
import tinygrad_edu.nn.functional as F
from tinygrad_edu.nn import init

# ---------------------------------------------------------------------------- LayerNorm


@st.composite
def layer_norm_case(draw):
    """An input shape and the trailing dims to normalise over (1 or 2 of them)."""
    shape = draw(strategies.shapes(min_dims=1, max_dims=4))
    k = draw(st.integers(1, min(2, len(shape))))
    return shape, shape[len(shape) - k:]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
@settings(max_examples=20)
@given(case=layer_norm_case(), data=st.data())
def test_layer_norm_matches_torch(case, affine, dtype, data):
    """Float64 takes any values. Float32 takes rows with a spread (std >= ~0.9): where a row is
    nearly constant, 1/sqrt(var + eps) grows to ~300 and PyTorch's float32 kernel (x * scale + shift)
    is off by ~1e-5 where the exact answer, ours, is 0; that is its rounding, not a difference in maths."""
    shape, normalized = case
    x = data.draw(strategies.arrays(shape, lo=-3 if dtype == "float64" else -1, hi=3 if dtype == "float64" else 1))
    if dtype == "float32":
        assume(math.prod(normalized) > 1)
        x = x + 2 * (-1.0) ** np.arange(math.prod(normalized)).reshape(normalized)
    w = data.draw(strategies.arrays(normalized, lo=0.5, hi=2))
    b = data.draw(strategies.arrays(normalized))
    if affine == "both":
        check_against_torch(lambda x, w, b: F.layer_norm(x, normalized, w, b, eps=1e-3),
                            lambda x, w, b: torch.nn.functional.layer_norm(x, normalized, w, b, eps=1e-3),
                            [x, w, b], dtype)
    elif affine == "weight":
        check_against_torch(lambda x, w: F.layer_norm(x, list(normalized), w),
                            lambda x, w: torch.nn.functional.layer_norm(x, list(normalized), w), [x, w], dtype)
    else:
        check_against_torch(lambda x: F.layer_norm(x, normalized),
                            lambda x: torch.nn.functional.layer_norm(x, normalized), [x], dtype)


@pytest.mark.parametrize("args, kwargs", [((5,), {}), ((5,), {"bias": False}), ((5,), {"elementwise_affine": False}),
                                          (([3, 5],), {"eps": 1e-3}), ((torch.Size([5]),), {})])
def test_layer_norm_module_repr_state_dict_round_trip_and_gradients(args, kwargs):
    edu_args = tuple(tuple(a) if isinstance(a, torch.Size) else a for a in args)
    edu, ref = tinygrad_edu.nn.LayerNorm(*edu_args, **kwargs, dtype=tinygrad_edu.float64), \
        torch.nn.LayerNorm(*args, **kwargs, dtype=torch.float64)
    assert repr(edu) == repr(ref)
    assert list(edu.state_dict()) == list(ref.state_dict())
    rng = np.random.default_rng(0)
    for p in edu.parameters():  # non-trivial weights, copied into torch through state_dict
        p.data = tinygrad_edu.tensor(rng.normal(size=p.shape))
    ref.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in edu.state_dict().items()})
    x = rng.normal(size=(2, 3, 5))
    _, (e_out,), _, _ = check_against_torch(edu, ref, [x])
    reloaded = tinygrad_edu.nn.LayerNorm(*edu_args, **kwargs, dtype=tinygrad_edu.float64)
    reloaded.load_state_dict(edu.state_dict())
    np.testing.assert_array_equal(reloaded(tinygrad_edu.tensor(x)).detach().numpy(), e_out.detach().numpy())


def test_layer_norm_parameter_gradients_through_the_module():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 6))
    edu, ref = tinygrad_edu.nn.LayerNorm(6).double(), torch.nn.LayerNorm(6).double()
    edu(tinygrad_edu.tensor(x)).pow(2).sum().backward()
    ref(torch.tensor(x)).pow(2).sum().backward()
    for (name, e), (_, t) in zip(edu.named_parameters(), ref.named_parameters()):
        assert_same_tensor(e.grad, t.grad, 1e-10, 1e-12, name)


@pytest.mark.parametrize("call", [
    lambda nn, T: nn.functional.layer_norm(T.zeros(2, 3), (4,)),
    lambda nn, T: nn.functional.layer_norm(T.zeros(2, 3), (2, 3, 1)),
    lambda nn, T: nn.LayerNorm(3)(T.zeros(2, 4)),
    lambda nn, T: nn.functional.layer_norm(T.zeros(2, 3), (3,), T.ones(4)),
    lambda nn, T: nn.functional.layer_norm(T.zeros(2, 3), (3,), None, T.ones(2)),
])
def test_layer_norm_errors_match_torch(call):
    with pytest.raises(RuntimeError) as ref:
        call(torch.nn, torch)
    with pytest.raises(RuntimeError) as edu:
        call(tinygrad_edu.nn, tinygrad_edu)
    assert str(edu.value) == str(ref.value)


# ---------------------------------------------------------------------------- BatchNorm

BN_CASES = [(cls, shape, kwargs)
            for cls, shape in [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 2, 3))]
            for kwargs in [{}, {"momentum": None}, {"affine": False}, {"momentum": None, "affine": False},
                           {"track_running_stats": False}, {"bias": False, "momentum": 0.3}]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cls, shape, kwargs", BN_CASES)
def test_batch_norm_train_steps_running_stats_and_eval_match_torch(cls, shape, kwargs, dtype):
    edu = getattr(tinygrad_edu.nn, cls)(3, **kwargs).to(getattr(tinygrad_edu, dtype))
    ref = getattr(torch.nn, cls)(3, **kwargs).to(getattr(torch, dtype))
    assert repr(edu) == repr(ref)
    assert list(edu.state_dict()) == list(ref.state_dict())
    rng = np.random.default_rng(2)
    if edu.weight is not None:
        edu.weight.data = tinygrad_edu.tensor(rng.uniform(0.5, 2, 3).astype(dtype))
    ref.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in edu.state_dict().items()})
    rtol, atol = (1e-10, 1e-12) if dtype == "float64" else (1e-5, 1e-5)
    for step in range(3):  # each training step moves the running statistics
        x = rng.normal(step, 1 + step, size=shape)
        check_against_torch(edu, ref, [x], dtype)
        for name, t in ref.state_dict().items():
            assert_same_tensor(edu.state_dict()[name], t, rtol, atol, f"step {step}: {name}")
    edu.eval(), ref.eval()
    check_against_torch(edu, ref, [rng.normal(size=shape)], dtype)
    for p in list(edu.parameters()) + list(ref.parameters()):
        p.grad = None


def test_batch_norm_momentum_none_is_the_mean_of_all_batches():
    bn = tinygrad_edu.nn.BatchNorm1d(2, momentum=None).double()
    batches = [np.random.default_rng(s).normal(s, 1, size=(5, 2)) for s in range(4)]
    for b in batches:
        bn(tinygrad_edu.tensor(b))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([b.var(0, ddof=1) for b in batches], axis=0), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4


def test_batch_norm_affine_false_has_no_parameters_and_round_trips():
    edu = tinygrad_edu.nn.BatchNorm2d(3, affine=False)
    assert list(edu.parameters()) == [] and edu.weight is None and edu.bias is None
    edu(tinygrad_edu.randn(4, 3, 2, 2))
    ref = torch.nn.BatchNorm2d(3, affine=False)
    ref.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in edu.state_dict().items()})
    back = tinygrad_edu.nn.BatchNorm2d(3, affine=False)
    back.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    for name, t in ref.state_dict().items():
        assert_same_tensor(back.state_dict()[name], t, 0, 0, name)


# ---------------------------------------------------------------------------- nn.init: exact parts

GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None),
         ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3),
         ("leaky_relu", math.sqrt(5)), ("selu", None)]


@pytest.mark.parametrize("nonlinearity, param", GAINS)
def test_calculate_gain_is_torch_s_exactly(nonlinearity, param):
    ours, theirs = init.calculate_gain(nonlinearity, param), torch.nn.init.calculate_gain(nonlinearity, param)
    assert ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 3, 2, 2), (2, 3, 5), (7, 1, 3, 3, 2), (0, 3)])
def test_fans_are_torch_s(shape):
    assert init._calculate_fan_in_and_fan_out(tinygrad_edu.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


@pytest.mark.parametrize("call", [
    lambda I, T: I.calculate_gain("swish"),
    lambda I, T: I.calculate_gain("leaky_relu", "x"),
    lambda I, T: I.calculate_gain("leaky_relu", True),
    lambda I, T: I.kaiming_normal_(T.empty(3)),
    lambda I, T: I.kaiming_uniform_(T.empty(4)),
    lambda I, T: I.xavier_uniform_(T.empty(3)),
    lambda I, T: I.xavier_normal_(T.empty(())),
    lambda I, T: I.kaiming_normal_(T.empty(3, 3), mode="fan_avg"),
    lambda I, T: I.eye_(T.empty(3, 3, 3)),
])
def test_init_errors_match_torch(call):
    with pytest.raises(ValueError) as ref:
        call(torch.nn.init, torch)
    with pytest.raises(ValueError) as edu:
        call(init, tinygrad_edu)
    assert str(edu.value) == str(ref.value)


@pytest.mark.parametrize("name, args", [("zeros_", ()), ("ones_", ()), ("constant_", (0.25,)), ("eye_", ())])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_deterministic_inits_equal_torch(name, args, dtype):
    e = tinygrad_edu.nn.Parameter(tinygrad_edu.randn(3, 4).to(getattr(tinygrad_edu, dtype)))
    t = torch.nn.Parameter(torch.randn(3, 4, dtype=getattr(torch, dtype)))
    assert getattr(init, name)(e, *args) is e
    getattr(torch.nn.init, name)(t, *args)
    assert_same_tensor(e, t, 0, 0, name)
    assert e.requires_grad and e.grad_fn is None


def test_zero_element_tensors_warn_and_stay_as_torch():
    for name in ("kaiming_uniform_", "kaiming_normal_"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = getattr(init, name)(tinygrad_edu.empty(0, 3))
        assert out.shape == (0, 3)
        assert [str(w.message) for w in caught] == ["Initializing zero-element tensors is a no-op"]


# ---------------------------------------------------------------------------- nn.init: random parts

def _weight(*shape):
    return tinygrad_edu.nn.Parameter(tinygrad_edu.empty(*shape, dtype=tinygrad_edu.float64))


UNIFORM = [  # (call, shape, the bound torch's formula gives)
    (lambda w: init.kaiming_uniform_(w), (300, 200), math.sqrt(2) * math.sqrt(3 / 200)),  # a=0: slope 0
    (lambda w: init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"), (300, 200),
     math.sqrt(2) * math.sqrt(3 / 300)),
    (lambda w: init.kaiming_uniform_(w, a=math.sqrt(5)), (64, 16, 5, 5), 1 / math.sqrt(16 * 25)),
    (lambda w: init.xavier_uniform_(w, gain=init.calculate_gain("tanh")), (200, 400), 5 / 3 * math.sqrt(6 / 600)),
    (lambda w: init.uniform_(w, -0.3, 0.7), (250, 240), None),
]


@pytest.mark.parametrize("k", range(len(UNIFORM)))
def test_uniform_inits_fill_their_interval(k):
    call, shape, bound = UNIFORM[k]
    tinygrad_edu.manual_seed(k)
    w = _weight(*shape)
    assert call(w) is w and w.grad_fn is None and w.requires_grad
    lo, hi = (-0.3, 0.7) if bound is None else (-bound, bound)
    v = w.detach().numpy().ravel()
    assert lo <= v.min() and v.max() <= hi
    width = hi - lo
    assert v.min() < lo + 0.001 * width and v.max() > hi - 0.001 * width  # 60,000 draws reach both ends
    se = width / math.sqrt(12 * v.size)
    assert abs(v.mean() - (lo + hi) / 2) < 5 * se
    np.testing.assert_allclose(v.var(), width ** 2 / 12, rtol=0.02)


NORMAL = [
    (lambda w: init.kaiming_normal_(w, nonlinearity="relu"), (300, 200), math.sqrt(2) / math.sqrt(200)),
    (lambda w: init.kaiming_normal_(w, a=0.2, mode="fan_out"), (32, 8, 3, 3), math.sqrt(2 / 1.04) / math.sqrt(32 * 9)),
    (lambda w: init.xavier_normal_(w), (200, 400), math.sqrt(2 / 600)),
    (lambda w: init.normal_(w, 1.5, 0.25), (250, 240), 0.25),
]


@pytest.mark.parametrize("k", range(len(NORMAL)))
def test_normal_inits_have_their_std(k):
    call, shape, std = NORMAL[k]
    tinygrad_edu.manual_seed(10 + k)
    w = _weight(*shape)
    assert call(w) is w and w.grad_fn is None
    v = w.detach().numpy().ravel()
    mean = 1.5 if k == 3 else 0.0
    assert abs(v.mean() - mean) < 5 * std / math.sqrt(v.size)
    np.testing.assert_allclose(v.std(), std, rtol=5 / math.sqrt(2 * v.size))
    assert abs(((v - mean) ** 3).mean()) / std ** 3 < 0.1  # symmetric: a normal, not a skewed draw


def test_inits_follow_the_engine_seed_and_generator():
    tinygrad_edu.manual_seed(3)
    a = init.kaiming_normal_(_weight(4, 5)).detach().numpy()
    tinygrad_edu.manual_seed(3)
    b = init.kaiming_normal_(_weight(4, 5)).detach().numpy()
    np.testing.assert_array_equal(a, b)
    g1, g2 = tinygrad_edu.Generator().manual_seed(7), tinygrad_edu.Generator().manual_seed(7)
    np.testing.assert_array_equal(init.xavier_uniform_(_weight(3, 3), generator=g1).detach().numpy(),
                                  init.xavier_uniform_(_weight(3, 3), generator=g2).detach().numpy())
