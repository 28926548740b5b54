"""The ReLU kernels (``tinygrad_edu.kernels.relu``), both paths, against torch's ReLU bit for bit.

ReLU copies or zeroes values, so everything must match exactly: -0.0 and NaN pass through the
forward, a NaN output passes its gradient back, a NaN gradient where the output is <= 0 is dropped.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from strategies import with_layout
from tinygrad_edu.kernels import relu

PATHS = ("numba", "numpy")
SPECIAL = [-1.5, -0.0, 0.0, np.nan, 2.0, -np.inf, np.inf, 1e-45]


def _torch_relu(x, grad):
    xt = torch.from_numpy(x.copy()).requires_grad_()
    z = torch.relu(xt)
    z.backward(torch.from_numpy(grad.copy()))
    return z.detach().numpy(), xt.grad.numpy()


def _check(path, x, grad):
    forward, backward = getattr(relu, f"relu_forward_{path}"), getattr(relu, f"relu_backward_{path}")
    z_ref, g_ref = _torch_relu(x, grad)
    z = forward(x)
    g = backward(grad, z)
    assert z.dtype == x.dtype and g.dtype == x.dtype and z.shape == x.shape and g.shape == x.shape
    np.testing.assert_array_equal(z, z_ref)
    np.testing.assert_array_equal(np.signbit(z), np.signbit(z_ref))  # -0.0 stays -0.0
    np.testing.assert_array_equal(g, g_ref)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values(path, dtype):
    x = np.array(SPECIAL, dtype)
    grad = np.array([1.0, 2.0, np.nan, 3.0, 4.0, 5.0, np.nan, 6.0], dtype)
    _check(path, x, grad)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(PATHS), st.sampled_from([np.float32, np.float64]), st.data())
def test_against_torch(path, dtype, data):
    x = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=4, max_side=5),
                             elements=st.sampled_from(SPECIAL) | st.floats(-3, 3, width=32)))
    grad = data.draw(hnp.arrays(dtype, x.shape, elements=st.floats(-3, 3, width=32)))
    layout = data.draw(st.sampled_from(["contiguous", "transposed", "sliced"]))
    _check(path, with_layout(x, layout), with_layout(grad, layout))


def test_the_numba_backward_refuses_a_gradient_of_another_shape():
    """The loop walks the output's elements: a smaller gradient must never be read past its end."""
    z = np.ones((4, 5), dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"relu backward: grad of shape \(3,\) for an output of shape \(4, 5\)"):
        relu.relu_backward_numba(np.ones(3, dtype=np.float32), z)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("value", [2.5, np.nan])
def test_a_broadcast_gradient_as_sums_backward_gives(path, value):
    """sum's backward hands relu a read-only broadcast view of one number (no memory of x's size)."""
    x = np.array(SPECIAL * 3, np.float32).reshape(4, 6)
    _check(path, x, np.broadcast_to(np.float32(value), x.shape))
