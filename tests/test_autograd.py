"""The backward pass itself: seeds, shared nodes, accumulation, grad modes, deep graphs,
freed buffers, and gradcheck. Expected gradients come from PyTorch or from the maths.
"""
import math
import sys

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import strategies as S
import tinygrad_edu as te
from helpers import check_against_torch


# ---------------------------------------------------------------------------- seeds

def test_backward_on_scalar_seeds_one():
    x = te.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()  # d/dx sum(x^2) = 2x
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_backward_on_a_leaf_scalar():
    x = te.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_backward_on_non_scalar_needs_gradient():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_backward_on_non_scalar_with_gradient(dtype):
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
    check_against_torch(lambda t: (t * t).exp() / 10, None, [x], dtype)  # helper passes gradient=


def test_backward_gradient_accepts_a_tensor_or_an_array():
    for gradient in (te.tensor([1.0, 10.0]), np.array([1.0, 10.0])):
        x = te.tensor([1.0, 2.0], requires_grad=True)
        (x * 3).backward(gradient)
        np.testing.assert_array_equal(x.grad.numpy(), [3.0, 30.0])


def test_gradient_has_the_dtype_and_shape_of_its_leaf():
    x = te.tensor([[1.0], [2.0]], dtype=te.float64, requires_grad=True)
    y = te.tensor([1.0, 2.0, 3.0], requires_grad=True)  # float32: x * y is float64
    (x * y).sum().backward()
    assert x.grad.dtype is te.float64 and x.grad.shape == (2, 1)
    assert y.grad.dtype is te.float32 and y.grad.shape == (3,)


# ---------------------------------------------------------------------------- shared nodes

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_diamond_graph_sums_gradients_from_every_path(dtype):
    def fn(x, w):
        a = x * w          # a feeds b, c and d: three paths back to x and w
        b = a.exp()
        c = a * a
        d = (b + c).sum(0) * a.mean()
        return (d / a.sum()).sum() + a.max()

    x = np.array([[0.5, -1.0], [1.5, 2.0], [0.25, -0.75]])
    w = np.array([0.3, -0.7])
    check_against_torch(fn, None, [x, w], dtype)


def test_tensor_used_twice_in_one_op():
    # y = x * x: Mul receives the same tensor twice, dy/dx = 2x
    x = te.tensor([3.0, -4.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, -8.0])


@given(data=st.data())
def test_random_diamond_graphs(data):
    # a chain where each step reuses earlier intermediates; shapes from the shared strategies
    shape = data.draw(S.shapes(max_dims=3))
    x = data.draw(S.arrays(shape, lo=-1.0, hi=1.0))
    picks = data.draw(st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10), st.sampled_from("+*-")),
                               min_size=1, max_size=8))

    def fn(t):
        nodes = [t]
        for i, j, op in picks:
            a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
            nodes.append((a + b if op == "+" else a * b if op == "*" else a - b).tanh())
        return sum(n.sum() for n in nodes[1:])

    check_against_torch(fn, None, [x], "float64")


# ---------------------------------------------------------------------------- accumulation

def test_grad_accumulates_across_backward_calls_until_zeroed():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
        (xt * xt).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())  # 3 * 2x
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])
    x.grad.zero_()
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])
    x.grad = None
    (x * 7).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0])


def test_grad_of_a_leaf_is_not_aliased_to_an_upstream_gradient():
    # the first backward may hand the leaf an array the graph also holds; accumulating a second
    # time must not change an earlier result
    x = te.tensor([1.0, 2.0], requires_grad=True)
    gradient = te.tensor([1.0, 1.0])
    x.clone().backward(gradient)
    first = x.grad
    x.clone().backward(gradient)
    np.testing.assert_array_equal(gradient.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(first.numpy(), [2.0, 2.0])


def test_non_leaf_gets_no_grad_and_graph_flags():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.sum()
    z.backward()
    assert x.is_leaf and not y.is_leaf and not z.is_leaf
    assert y.grad is None
    assert y.requires_grad and z.requires_grad
    assert z.grad_fn.name == type(torch.ones(2, requires_grad=True).sum().grad_fn).__name__ == "SumBackward0"


def test_only_leaves_that_require_grad_get_a_gradient():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    c = te.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


# ---------------------------------------------------------------------------- grad modes

@pytest.fixture(autouse=True)
def grad_mode_is_restored():
    """Every test starts and must end with grad mode on."""
    assert te.is_grad_enabled()
    yield
    assert te.is_grad_enabled(), "the test left grad mode off"


def test_no_grad_context_records_no_graph():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    with te.no_grad():
        assert not te.is_grad_enabled()
        y = x * 2 + 1
    assert te.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    np.testing.assert_array_equal(y.numpy(), [3.0, 5.0])


def test_no_grad_decorator():
    @te.no_grad()
    def double(t):
        assert not te.is_grad_enabled()
        return t * 2

    y = double(te.tensor([1.0], requires_grad=True))
    assert not y.requires_grad and y.grad_fn is None
    assert te.is_grad_enabled()


def test_no_grad_decorator_on_a_recursive_function_restores_grad_mode():
    @te.no_grad()
    def depth(n):
        assert not te.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3
    assert te.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    with te.no_grad():
        with te.enable_grad():
            y = x * 3
        z = x * 3
        assert not te.is_grad_enabled()

        @te.enable_grad()
        def triple(t):
            return t * 3

        w = triple(x)
        assert not te.is_grad_enabled()
    assert y.requires_grad and w.requires_grad and not z.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_set_grad_enabled_as_call_and_context():
    x = te.tensor([1.0], requires_grad=True)
    te.set_grad_enabled(False)
    try:
        assert not te.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        te.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with te.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with te.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not te.is_grad_enabled()
    assert te.is_grad_enabled()


def test_set_grad_enabled_as_decorator_changes_the_mode_only_inside():
    # as in torch: decorating does not switch grad off; each call restores the mode it found
    for lib in (te, torch):
        @lib.set_grad_enabled(False)
        def off(t):
            return (t * 2).requires_grad

        assert lib.is_grad_enabled()
        x = lib.ones(2, requires_grad=True)
        assert off(x) is False
        assert lib.is_grad_enabled()
        with lib.no_grad():
            off(x)
            assert not lib.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with te.no_grad():
            raise ValueError
    assert te.is_grad_enabled()


def test_detach_shares_memory_and_cuts_the_graph():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    (d * x).sum().backward()  # only the direct path to x: d/dx (d * x) = d
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    assert not te.detach(y).requires_grad


def test_requires_grad_propagates_through_ops():
    a = te.tensor([1.0], requires_grad=True)
    b = te.tensor([2.0])
    assert (a + b).requires_grad and (b + a).requires_grad and not (b * b).requires_grad
    assert (a > 0).requires_grad is False  # comparisons are not differentiable


# ---------------------------------------------------------------------------- deep graphs

def test_long_chain_backward_does_not_hit_the_recursion_limit():
    # y = x * c^n through n = 10,000 Mul nodes: dy/dx = c^n, far deeper than the recursion limit
    length = 10_000
    assert length > sys.getrecursionlimit()
    c = 1.0 + 1.0 / length
    x = te.tensor(2.0, dtype=te.float64, requires_grad=True)
    y = x
    for _ in range(length):
        y = y * c
    y.backward()
    expected = math.exp(length * math.log1p(1.0 / length))
    assert x.grad.item() == pytest.approx(expected, rel=1e-9)
    assert y.item() == pytest.approx(2.0 * expected, rel=1e-9)


def test_hundred_thousand_op_chain_backward():
    # y = tanh(tanh(...tanh(x))) 100,000 deep: dy/dx = prod_k (1 - y_k^2), y_k the k-th output
    x = te.tensor(0.5, dtype=te.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y.tanh()
    y.backward()
    value, derivative = 0.5, 1.0
    for _ in range(100_000):
        value = math.tanh(value)
        derivative *= 1.0 - value * value
    assert y.item() == pytest.approx(value, rel=1e-9)
    assert x.grad.item() == pytest.approx(derivative, rel=1e-9)


def test_wide_graph_visits_each_node_once():
    # 2,000 uses of one intermediate: its gradient is their sum, computed in one pass
    x = te.tensor(1.5, dtype=te.float64, requires_grad=True)
    h = x * x
    total = h
    for _ in range(1999):
        total = total + h
    total.backward()
    assert x.grad.item() == pytest.approx(2000 * 2 * 1.5, rel=1e-12)


# ---------------------------------------------------------------------------- retain_graph

def test_retain_graph_allows_a_second_backward():
    x = te.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])  # 2 * 2x


def test_second_backward_through_freed_buffers_raises_torch_error():
    message = "Trying to backward through the graph a second time"
    for lib in (te, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match=message):
            y.backward()


def test_graph_without_saved_buffers_can_be_walked_twice_as_in_torch():
    # Add and Sum save nothing, so there is nothing to free: torch allows the second pass too
    for lib in (te, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x + 1).sum()
        y.backward()
        y.backward()
        np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


# ---------------------------------------------------------------------------- gradcheck

GRADCHECK_FUNCTIONS = {
    "polynomial": lambda x, y: (x * x * y - y / (x * x + 1)).sum(),
    "matmul_tanh": lambda x, y: (x @ y.T).tanh(),
    "softmax": lambda x, y: (x * y).softmax(-1),
    "broadcast": lambda x, y: x.sum(0, keepdim=True) * y.exp(),
    "pow_log": lambda x, y: (x * x + 1).log() ** y.sigmoid(),
}


@pytest.mark.parametrize("name", GRADCHECK_FUNCTIONS)
def test_gradcheck_agrees_with_torch_on_correct_functions(name):
    fn = GRADCHECK_FUNCTIONS[name]
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    ours = te.autograd.gradcheck(fn, (te.tensor(x, requires_grad=True), te.tensor(y, requires_grad=True)))
    theirs = torch.autograd.gradcheck(fn, (torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)))
    assert ours is True and theirs is True


class WrongSquare(te.autograd.Function):
    """z = x^2 with a deliberately wrong backward (x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


class TorchWrongSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


def test_gradcheck_fails_on_a_wrong_custom_function_as_torch_does():
    x = np.array([0.5, -1.5, 2.0])
    ours = te.autograd.gradcheck(WrongSquare.apply, (te.tensor(x, requires_grad=True),), raise_exception=False)
    theirs = torch.autograd.gradcheck(TorchWrongSquare.apply, (torch.tensor(x, requires_grad=True),),
                                      raise_exception=False)
    assert ours is False and theirs is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch for input 0"):
        te.autograd.gradcheck(WrongSquare.apply, (te.tensor(x, requires_grad=True),))


class Cube(te.autograd.Function):
    """z = x^3.   dz/dx = 3 x^2  (test_testing.py uses it too)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def test_custom_function_with_a_correct_backward_matches_torch():
    x = np.array([[0.5, -1.5], [2.0, 0.1]])
    check_against_torch(lambda t: Cube.apply(t).sum(-1), lambda t: (t ** 3).sum(-1), [x], "float64")
    assert te.autograd.gradcheck(Cube.apply, (te.tensor(x, requires_grad=True),))


def test_gradcheck_refuses_float32_inputs():
    with pytest.raises(ValueError, match="float64"):
        te.autograd.gradcheck(lambda t: t * 2, (te.tensor([1.0], requires_grad=True),))


# ---------------------------------------------------------------------------- the tutorial

def test_tutorial_first_autograd_example_matches_torch():
    # x (1x5), y (5x3), z (3x1) built from the same numbers; f = x @ y @ z is a 1x1 tensor.
    numbers = [0.5, -1.0, 2.0, 1.5, -0.5, 3.0, 0.25, -2.0, 1.0, 0.75, -1.25, 2.5, -0.5, 1.0, 0.3]
    grads = {}
    for lib in (te, torch):
        x = lib.tensor([numbers[:5]], requires_grad=True)
        y = lib.tensor(np.array(numbers, dtype=np.float32).reshape(5, 3), requires_grad=True)
        z = lib.tensor([[v] for v in numbers[:3]], requires_grad=True)
        f = x @ y @ z
        f.backward()
        grads[lib.__name__] = [t.grad.detach().numpy() for t in (x, y, z)]
        assert tuple(f.shape) == (1, 1)
    for ours, theirs in zip(grads["tinygrad_edu"], grads["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # and from the maths: df/dx = (y z)^T, df/dy = x^T z^T, df/dz = (x y)^T
    x, y, z = (np.array(numbers[:5])[None, :], np.array(numbers).reshape(5, 3), np.array(numbers[:3])[:, None])
    np.testing.assert_allclose(grads["tinygrad_edu"][0], (y @ z).T, rtol=1e-6)
    np.testing.assert_allclose(grads["tinygrad_edu"][1], x.T @ z.T, rtol=1e-6)
    np.testing.assert_allclose(grads["tinygrad_edu"][2], (x @ y).T, rtol=1e-6)


GRAPHS = {  # an intermediate `mid`, then what is done with it: is mid still held by the graph?
    "sum of a product": (lambda tp, x: x * x, lambda tp, mid: mid.sum()),
    "exp saves its output": (lambda tp, x: x * 2, lambda tp, mid: mid.exp().sum()),
    "mul saves its inputs": (lambda tp, x: x + 1, lambda tp, mid: (mid * mid).sum()),
    "relu saves its output": (lambda tp, x: x - 1, lambda tp, mid: tp.relu(mid).sum()),
    "sigmoid saves its output": (lambda tp, x: x * 3, lambda tp, mid: tp.sigmoid(mid).mean()),
    "matmul saves both": (lambda tp, x: x.reshape(2, 3), lambda tp, mid: (mid @ mid.T).sum()),
    "a view keeps its base": (lambda tp, x: x * 2, lambda tp, mid: mid[1:].exp().sum()),
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_the_graph_holds_an_intermediate_only_when_an_op_saved_it(name):
    """As in PyTorch: a result no op saved for backward is freed once the user lets it go, and the
    gradients still come out right (the graph keeps only shapes, dtypes and the saved values)."""
    import gc
    import weakref

    make, use = GRAPHS[name]
    held, grads = {}, {}
    for tp in (te, torch):
        x = tp.tensor(np.arange(6.0) / 7, requires_grad=True)
        mid = make(tp, x)
        out = use(tp, mid)
        ref = weakref.ref(mid)
        del mid
        gc.collect()
        held[tp.__name__] = ref() is not None
        out.backward()
        grads[tp.__name__] = x.grad.numpy()
    assert held["tinygrad_edu"] == held["torch"], held
    np.testing.assert_allclose(grads["tinygrad_edu"], grads["torch"], rtol=1e-12)
