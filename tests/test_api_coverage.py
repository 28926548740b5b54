"""Parity tests for the public names no other test covered (test_public_api.py lists them all):
each runs the same call on tinygrad_edu and PyTorch and compares values, dtypes, shapes and
gradients, or checks PyTorch's documented behaviour where the numbers are random."""
import math
import struct

import numpy as np
import pytest
import torch

import tinygrad_edu
from helpers import check_against_torch
from tinygrad_edu import nn
from tinygrad_edu.autograd import Function, sum_to_shape
from tinygrad_edu.optim import Optimizer
from tinygrad_edu.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, MultiStepLR
from tinygrad_edu.utils.data import ConcatDataset, RandomSampler, Sampler, SequentialSampler, TensorDataset
from tinygrad_edu.vision.datasets import IMAGES_MAGIC, ImageArrayDataset, read_idx

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
A[0, 0] = B[0, 0]  # one tie, for the comparisons


def both(array, dtype="float64"):
    return (tinygrad_edu.tensor(array, dtype=getattr(tinygrad_edu, dtype)),
            torch.tensor(array, dtype=getattr(torch, dtype)))


def same(ours, theirs, rtol=1e-12):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol, atol=1e-12)


# ---------------------------------------------------------------- comparisons and argmin

@pytest.mark.parametrize("op", [lambda x, y: x.eq(y), lambda x, y: x.ne(y), lambda x, y: x.lt(y),
                                lambda x, y: x.le(y), lambda x, y: x.gt(y), lambda x, y: x.ge(y)])
def test_comparison_methods(op):
    (a, ta), (b, tb) = both(A), both(B)
    same(op(a, b), op(ta, tb))
    same(op(a, 0.5), op(ta, 0.5))


def test_eq_function_and_logical_not():
    (a, ta), (b, tb) = both(A), both(B)
    same(tinygrad_edu.eq(a, b), torch.eq(ta, tb))
    same(tinygrad_edu.eq(a, b).logical_not(), torch.eq(ta, tb).logical_not())


@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_argmin(dim, keepdim):
    a, ta = both(A)
    same(a.argmin(dim, keepdim), ta.argmin(dim, keepdim))
    same(tinygrad_edu.argmin(a, dim, keepdim), torch.argmin(ta, dim, keepdim))


# ---------------------------------------------------------------- differentiable methods

@pytest.mark.parametrize("dim, unbiased, keepdim", [(None, True, False), (0, False, False), (1, True, True)])
def test_var(dim, unbiased, keepdim):
    check_against_torch(lambda x: x.var(dim, unbiased=unbiased, keepdim=keepdim),
                        lambda x: x.var(dim, unbiased=unbiased, keepdim=keepdim), [A])


def test_view_as():
    check_against_torch(lambda x, y: x.view_as(y) * 2, None, [A, rng.standard_normal((2, 6))])


def test_multiply_subtract_divide():
    check_against_torch(lambda x, y: x.multiply(y).subtract(y).divide(y + 3), None, [A, B])


def test_contiguous_of_a_transpose():
    check_against_torch(lambda x: x.T.contiguous() * 1.5, None, [A])
    a = tinygrad_edu.tensor(A)
    assert a.contiguous() is a and not a.T.array.flags.c_contiguous and a.T.contiguous().array.flags.c_contiguous


def test_nelement():
    a, ta = both(A)
    assert a.nelement() == ta.nelement() == 12


# ---------------------------------------------------------------- in-place ops

@pytest.mark.parametrize("call", [lambda t, m: t.clamp_(-0.5, 0.5), lambda t, m: t.clamp_(min=0.1),
                                  lambda t, m: t.mul_(3.0), lambda t, m: t.div_(2.0), lambda t, m: t.sub_(1.0),
                                  lambda t, m: t.sub_(0.5, alpha=2), lambda t, m: t.fill_(7.0),
                                  lambda t, m: t.copy_(m.arange(4.0))])
def test_in_place_ops(call):
    a, ta = both(A)
    assert call(a, tinygrad_edu) is a and call(ta, torch) is ta
    same(a, ta)


def test_in_place_ops_on_a_leaf_that_requires_grad_are_refused_like_torch():
    a = tinygrad_edu.tensor(A, requires_grad=True)
    ta = torch.tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError) as theirs:
        ta.clamp_(0, 1)
    with pytest.raises(RuntimeError) as ours:
        a.clamp_(0, 1)
    for error in (theirs, ours):
        assert "leaf Variable that requires grad" in str(error.value)


def test_detach_():
    a = tinygrad_edu.tensor(A, requires_grad=True)
    ta = torch.tensor(A, requires_grad=True)
    b, tb = a * 2, ta * 2
    assert b.detach_() is b and tb.detach_() is tb
    assert b.grad_fn is None and tb.grad_fn is None and not b.requires_grad and not tb.requires_grad
    same(b, tb.detach())


def test_normal_():
    t = tinygrad_edu.zeros(200, 100, dtype=tinygrad_edu.float64)
    assert t.normal_(2.0, 0.5) is t
    values = t.numpy()
    assert abs(values.mean() - 2.0) < 0.02 and abs(values.std() - 0.5) < 0.02  # 20,000 draws: 5+ sigma


# ---------------------------------------------------------------- creation

def test_as_tensor_shares_a_numpy_array_like_torch():
    array = A.copy()
    a, ta = tinygrad_edu.as_tensor(array), torch.as_tensor(array)
    array[0, 0] = 99.0
    same(a, ta)
    same(tinygrad_edu.as_tensor([1, 2]), torch.as_tensor([1, 2]))
    same(tinygrad_edu.as_tensor(A, dtype=tinygrad_edu.float32), torch.as_tensor(A, dtype=torch.float32), rtol=1e-6)


def test_empty_and_empty_like_give_shape_and_dtype():
    for ours, theirs in [(tinygrad_edu.empty(2, 3), torch.empty(2, 3)),
                         (tinygrad_edu.empty((4,), dtype=tinygrad_edu.int64), torch.empty((4,), dtype=torch.int64)),
                         (tinygrad_edu.empty_like(tinygrad_edu.tensor(A)), torch.empty_like(torch.tensor(A)))]:
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        assert not ours.numpy().any()  # documented difference: the engine fills with zeros


def test_seed_reseeds_and_reports_the_new_seed():
    s = tinygrad_edu.seed()
    assert isinstance(s, int) and s == tinygrad_edu.initial_seed()
    first = tinygrad_edu.rand(3).numpy()
    tinygrad_edu.manual_seed(s)
    np.testing.assert_array_equal(tinygrad_edu.rand(3).numpy(), first)


# ---------------------------------------------------------------- autograd

def test_next_functions_and_broadcasts_and_free():
    a = tinygrad_edu.tensor(A, requires_grad=True)
    ta = torch.tensor(A, requires_grad=True)
    out, tout = (a * 2).sum(), (ta * 2).sum()
    (mul, _), = out.grad_fn.next_functions
    (tmul, _), = tout.grad_fn.next_functions
    assert mul.name == tmul.name() == "MulBackward0"
    assert [f for f, _ in mul.next_functions][0] is None  # the leaf a (torch: AccumulateGrad)
    assert type(mul).broadcasts and not type(out.grad_fn).broadcasts
    out.backward()
    assert mul._freed
    mul.free()  # freeing twice is harmless
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward()


def test_sum_to_shape_matches_torchs_broadcast_gradient():
    x = torch.tensor(rng.standard_normal((3, 1)), requires_grad=True)
    y = torch.tensor(rng.standard_normal((2, 1, 4)))
    g = rng.standard_normal((2, 3, 4))
    (x * 1.0 + y).backward(torch.tensor(g))
    np.testing.assert_allclose(sum_to_shape(g, (3, 1)), x.grad.numpy(), rtol=1e-12)


class Square(Function):
    """y = x^2.   dy/dx = 2x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


def test_a_users_function_subclass():
    check_against_torch(lambda x: Square.apply(x), lambda x: x * x, [A])


# ---------------------------------------------------------------- nn.functional

@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot(num_classes):
    labels = np.array([[0, 2], [3, 1]])
    same(nn.functional.one_hot(tinygrad_edu.tensor(labels), num_classes),
         torch.nn.functional.one_hot(torch.tensor(labels), num_classes))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(reduction):
    logp = np.log(rng.dirichlet(np.ones(5), size=4))
    target = np.array([0, 4, 2, 2])
    check_against_torch(lambda x, t: nn.functional.nll_loss(x, t, reduction=reduction),
                        lambda x, t: torch.nn.functional.nll_loss(x, t, reduction=reduction), [logp, target])


# ---------------------------------------------------------------- nn.init

@pytest.mark.parametrize("nonlinearity, param", [("linear", None), ("relu", None), ("tanh", None),
                                                 ("leaky_relu", 0.2), ("sigmoid", None), ("conv2d", None)])
def test_calculate_gain(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("init", [lambda m, t: m.nn.init.zeros_(t), lambda m, t: m.nn.init.ones_(t),
                                  lambda m, t: m.nn.init.constant_(t, 0.25)])
def test_constant_inits(init):
    t, tt = tinygrad_edu.empty(3, 4), torch.empty(3, 4)
    assert init(tinygrad_edu, t) is t
    init(torch, tt)
    same(t, tt)


def uniform_bound_check(t, bound):
    values = t.numpy()
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound and abs(values.mean()) < 0.1 * bound


def test_xavier_uniform_():
    t = tinygrad_edu.empty(300, 200)
    assert nn.init.xavier_uniform_(t, gain=2.0) is t
    # torch's documented bound: gain * sqrt(6 / (fan_in + fan_out))
    uniform_bound_check(t, 2.0 * math.sqrt(6 / (200 + 300)))


def test_kaiming_uniform_():
    t = tinygrad_edu.empty(64, 8, 3, 3)
    assert nn.init.kaiming_uniform_(t, a=0.0, nonlinearity="relu") is t
    fan_in = 8 * 9  # bound = gain * sqrt(3 / fan_in)
    uniform_bound_check(t, torch.nn.init.calculate_gain("relu") * math.sqrt(3 / fan_in))


def test_normal_init():
    t = tinygrad_edu.empty(200, 100, dtype=tinygrad_edu.float64)
    assert nn.init.normal_(t, -1.0, 0.1) is t
    assert abs(t.numpy().mean() + 1.0) < 0.005 and abs(t.numpy().std() - 0.1) < 0.005


def test_reset_weight_and_bias_is_torchs_linear_default():
    w, b = tinygrad_edu.empty(50, 40), tinygrad_edu.empty(50)
    nn.init.reset_weight_and_bias_(w, b)
    uniform_bound_check(w, 1 / math.sqrt(40))  # torch.nn.Linear: U(-1/sqrt(in), 1/sqrt(in)) for both
    assert np.abs(b.numpy()).max() <= 1 / math.sqrt(40)


# ---------------------------------------------------------------- optim

def lrs(engine, scheduler, *args, steps=8):
    p = engine.tensor([1.0], requires_grad=True)
    opt = engine.optim.SGD([p], lr=0.5)
    sched = scheduler(opt, *args)
    out = []
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return out


@pytest.mark.parametrize("ours, theirs, args", [
    (MultiStepLR, torch.optim.lr_scheduler.MultiStepLR, ([2, 5], 0.3)),
    (ExponentialLR, torch.optim.lr_scheduler.ExponentialLR, (0.8,)),
    (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, (5, 0.01)),
])
def test_lr_schedulers(ours, theirs, args):
    np.testing.assert_allclose(lrs(tinygrad_edu, ours, *args), lrs(torch, theirs, *args), rtol=1e-12)


def test_optimizer_base_class():
    p = tinygrad_edu.tensor([1.0, 2.0], requires_grad=True)
    opt = Optimizer([p], dict(lr=0.1))
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["params"] == [p]
    with pytest.raises(NotImplementedError):
        opt.step()
    with pytest.raises(ValueError, match="empty parameter list"):
        Optimizer([], {})


# ---------------------------------------------------------------- utils.data and vision

def test_samplers():
    data = list(range(6))
    assert list(SequentialSampler(data)) == list(torch.utils.data.SequentialSampler(data))
    drawn = list(RandomSampler(data))
    assert sorted(drawn) == data and len(RandomSampler(data)) == 6

    class Evens(Sampler):
        def __iter__(self):
            return iter(range(0, 6, 2))

    loader = tinygrad_edu.utils.data.DataLoader(TensorDataset(tinygrad_edu.arange(6)), batch_size=2, sampler=Evens())
    assert [b[0].tolist() for b in loader] == [[0, 2], [4]]


def test_concat_dataset():
    a, b = TensorDataset(tinygrad_edu.arange(3)), TensorDataset(tinygrad_edu.arange(10, 12))
    ta, tb = torch.utils.data.TensorDataset(torch.arange(3)), torch.utils.data.TensorDataset(torch.arange(10, 12))
    ours, theirs = ConcatDataset([a, b]), torch.utils.data.ConcatDataset([ta, tb])
    assert len(ours) == len(theirs) == 5
    assert [int(ours[i][0]) for i in range(-5, 5)] == [int(theirs[i][0]) for i in range(-5, 5)]


def test_image_array_dataset_and_read_idx(tmp_path):
    images = rng.integers(0, 256, (3, 4, 5), dtype=np.uint8)
    path = tmp_path / "images.idx"
    path.write_bytes(struct.pack(">iiii", IMAGES_MAGIC, 3, 4, 5) + images.tobytes())
    np.testing.assert_array_equal(read_idx(path, IMAGES_MAGIC), images)
    dataset = ImageArrayDataset(read_idx(path, IMAGES_MAGIC), np.array([7, 1, 4]), transform=lambda im: im.T)
    image, label = dataset[1]
    assert len(dataset) == 3 and label == 1 and isinstance(label, int)
    np.testing.assert_array_equal(image, images[1].T)
