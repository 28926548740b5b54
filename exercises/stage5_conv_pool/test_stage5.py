"""Stage 5, graded against torch.nn.functional.conv2d and max_pool2d: values and gradients."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

rng = np.random.default_rng(0)
CONVS = [((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (0, 0)),
         ((1, 2, 8, 8), (3, 2, 3, 2), (2, 1), (1, 0)),
         ((2, 1, 5, 5), (2, 1, 5, 5), (1, 1), (2, 2))]
POOLS = [((2, 3, 6, 6), (2, 2), (2, 2), (0, 0)), ((1, 2, 7, 5), (3, 3), (2, 1), (1, 1))]


def conv_case(x_shape, w_shape, dtype="float64"):
    return (rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype),
            rng.standard_normal(w_shape[0]).astype(dtype))


def torch_conv(x, w, b, stride, padding, grad_out=None):
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(tx, tw, tb, stride, padding)
    if grad_out is not None:
        out.backward(torch.tensor(grad_out))
    return out.detach().numpy(), tx.grad, tw.grad, tb.grad


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONVS)
def test_conv2d_forward(impl, x_shape, w_shape, stride, padding):
    x, w, b = conv_case(x_shape, w_shape)
    expected, *_ = torch_conv(x, w, b, stride, padding)
    np.testing.assert_allclose(impl.conv2d_forward(x, w, b, stride, padding), expected, rtol=1e-10, atol=1e-12)


def test_conv2d_forward_float32_without_bias(impl):
    x, w, _ = conv_case((2, 3, 6, 6), (4, 3, 3, 3), "float32")
    out = impl.conv2d_forward(x, w, None, (1, 1), (1, 1))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, F.conv2d(torch.tensor(x), torch.tensor(w), None, 1, 1).numpy(),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONVS)
def test_conv2d_backward(impl, x_shape, w_shape, stride, padding):
    x, w, b = conv_case(x_shape, w_shape)
    out, *_ = torch_conv(x, w, b, stride, padding)
    grad_out = rng.standard_normal(out.shape)
    _, dx, dw, db = torch_conv(x, w, b, stride, padding, grad_out)
    ours = impl.conv2d_backward(grad_out, x, w, stride, padding)
    for name, a, e in zip(("dx", "dw", "db"), ours, (dx, dw, db)):
        np.testing.assert_allclose(a, e.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOLS)
def test_max_pool2d_forward_and_backward(impl, x_shape, kernel, stride, padding):
    x = rng.standard_normal(x_shape)
    tx = torch.tensor(x, requires_grad=True)
    expected, indices = F.max_pool2d(tx, kernel, stride, padding, return_indices=True)
    out, argmax = impl.max_pool2d_forward(x, kernel, stride, padding)
    np.testing.assert_array_equal(out, expected.detach().numpy())
    np.testing.assert_array_equal(argmax, indices.numpy())
    grad_out = rng.standard_normal(out.shape)
    expected.backward(torch.tensor(grad_out))
    np.testing.assert_allclose(impl.max_pool2d_backward(grad_out, argmax, x.shape), tx.grad.numpy(),
                               rtol=1e-12, atol=1e-12)


def test_max_pool2d_ties_go_to_the_first(impl):
    x = np.zeros((1, 1, 4, 4))
    tx = torch.tensor(x)
    _, indices = F.max_pool2d(tx, 3, 1, 0, return_indices=True)
    np.testing.assert_array_equal(impl.max_pool2d_forward(x, (3, 3), (1, 1), (0, 0))[1], indices.numpy())


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONVS[:2])
def test_conv2d_forward_numba(impl, x_shape, w_shape, stride, padding):
    x, w, b = conv_case(x_shape, w_shape)
    expected, *_ = torch_conv(x, w, b, stride, padding)
    np.testing.assert_allclose(impl.conv2d_forward_numba(x, w, b, stride, padding), expected,
                               rtol=1e-10, atol=1e-12)
