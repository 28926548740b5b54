"""Stage 3, graded against PyTorch: the leaves' gradients after your backward pass."""
import numpy as np
import pytest
import torch

import tinygrad_edu

rng = np.random.default_rng(0)


def leaves(engine, *arrays):
    return [engine.tensor(a, dtype=engine.float64, requires_grad=True) for a in arrays]


def compare(impl, fn, *arrays, gradient=None):
    ours, theirs = leaves(tinygrad_edu, *arrays), leaves(torch, *arrays)
    out, ref = fn(*ours), fn(*theirs)
    impl.backward(out, None if gradient is None else tinygrad_edu.tensor(gradient))
    ref.backward(None if gradient is None else torch.tensor(gradient))
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.grad is not None, f"input {k} got no gradient"
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {k}")


def test_the_tutorials_x_y_z(impl):
    compare(impl, lambda x, y, z: x @ y @ z, rng.standard_normal((1, 5)), rng.standard_normal((5, 3)),
            rng.standard_normal((3, 1)))


def test_a_tensor_used_twice_gets_both_gradients(impl):
    compare(impl, lambda x: (x * x + x.exp()).sum(), rng.standard_normal((3, 2)))


def test_a_diamond(impl):
    def fn(x, w):
        h = (x @ w).tanh()
        return (h * h.sigmoid() + h).sum()
    compare(impl, fn, rng.standard_normal((4, 3)), rng.standard_normal((3, 2)))


def test_broadcast_inputs(impl):
    compare(impl, lambda x, b: ((x + b) * b).sum(), rng.standard_normal((4, 3)), rng.standard_normal(3))


def test_a_non_scalar_output_with_a_gradient(impl):
    compare(impl, lambda x: x.relu() * 3, rng.standard_normal((2, 3)), gradient=rng.standard_normal((2, 3)))


def test_gradients_add_up_over_two_calls(impl):
    (x,) = leaves(tinygrad_edu, [1.0, 2.0])
    impl.backward((x * x).sum())
    impl.backward((x * 3).sum())
    np.testing.assert_allclose(x.grad.numpy(), [2.0 + 3.0, 4.0 + 3.0])


def test_the_order_puts_consumers_first(impl):
    x, w = leaves(tinygrad_edu, rng.standard_normal((2, 2)), rng.standard_normal((2, 2)))
    h = x @ w
    out = (h * h + h.exp()).sum()
    order = impl.topological_order(out.grad_fn)
    assert len(order) == len({id(node) for node in order}), "each node once"
    position = {id(node): k for k, node in enumerate(order)}
    assert {id(out.grad_fn), id(h.grad_fn), id(x), id(w)} <= set(position)
    for node in order:
        for parent, needed in zip(getattr(node, "parents", ()), getattr(node, "needs_input_grad", ())):
            if needed:
                assert position[id(node)] < position[id(parent)], "a node before the nodes it was made from"


def test_a_long_chain_needs_no_recursion(impl):
    (x,) = leaves(tinygrad_edu, [1.0])
    out = x
    for _ in range(5000):
        out = out * 1.0001
    impl.backward(out.sum())
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 5000], rtol=1e-9)
