"""tinygrad_edu.testing: the one-line check a learner runs on a new op passes on right ops and
fails, naming what differs, on wrong values, shapes, dtypes and gradients."""
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu
from test_autograd import Cube
from tinygrad_edu.testing import TOLERANCES, assert_close_to_torch

rng = np.random.default_rng(0)
A, B = rng.standard_normal((3, 4)), rng.standard_normal(4)


class CubeWrongGrad(Cube):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x ** 2


def test_module_form_passes_on_the_same_maths():
    assert_close_to_torch(lambda m, x, y: m.sigmoid(x) * y + m.exp(x).sum(1, keepdim=True), A, B)


def test_pair_form_passes_on_a_new_function():
    edu, outs, ref, ref_outs = assert_close_to_torch((lambda x: Cube.apply(x), lambda x: x ** 3), A)
    np.testing.assert_allclose(edu[0].grad.numpy(), ref[0].grad.numpy(), rtol=1e-12)


def test_a_wrong_gradient_fails_naming_the_input():
    with pytest.raises(AssertionError, match="gradient of input 0"):
        assert_close_to_torch((lambda x: CubeWrongGrad.apply(x), lambda x: x ** 3), A)


def test_a_wrong_value_fails_naming_the_output():
    with pytest.raises(AssertionError, match="output 0"):
        assert_close_to_torch((lambda x: x * 2.0, lambda x: x * 2.0 + 1e-6), A)


def test_a_wrong_shape_fails():
    with pytest.raises(AssertionError, match=r"shape \(3, 4\) != torch \(4, 3\)"):
        assert_close_to_torch((lambda x: x, lambda x: x.T), A)


def test_a_wrong_dtype_fails():
    with pytest.raises(AssertionError, match="dtype float32 != torch float64"):
        assert_close_to_torch((lambda x: x.float(), lambda x: x), A)


def test_float32_uses_its_own_tolerance():
    # 1e-6 relative is inside float32's 1e-5 and far outside float64's 1e-10
    assert TOLERANCES["float32"][0] > 1e-6 > TOLERANCES["float64"][0]
    assert_close_to_torch((lambda x: x * (1 + 1e-6), lambda x: x), A, dtype="float32")
    with pytest.raises(AssertionError):
        assert_close_to_torch((lambda x: x * (1 + 1e-6), lambda x: x), A, dtype="float64")


def test_grad_false_compares_values_only():
    _, outs, _, ref_outs = assert_close_to_torch(lambda m, x: m.tanh(x), A, grad=False)
    assert not outs[0].requires_grad and not ref_outs[0].requires_grad


def test_a_missing_gradient_fails():
    with pytest.raises(AssertionError, match="no gradient, torch has one"):
        assert_close_to_torch((lambda x, y: x.detach() * y, lambda x, y: x * y), A, B)


def test_importing_testing_does_not_import_torch():
    code = "import sys, tinygrad_edu.testing\nassert 'torch' not in sys.modules\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_engine_module_is_what_fn_receives():
    seen = []
    assert_close_to_torch(lambda m, x: seen.append(m.__name__) or x * 1, A)
    assert seen == ["tinygrad_edu", "torch"]
    assert tinygrad_edu.testing.assert_close_to_torch is assert_close_to_torch


def test_copy_keep_layout_keeps_a_transpose_transposed():
    from tinygrad_edu.testing import copy_keep_layout
    a = np.arange(6.0).reshape(2, 3).T
    b = copy_keep_layout(a, np.float32)
    assert b.dtype == np.float32 and b.strides == (4, 12) and not b.flags.c_contiguous
    np.testing.assert_array_equal(b, a)
