"""Stage 4, graded against PyTorch with tinygrad_edu.testing: values, dtypes and gradients."""
import numpy as np
import pytest
import torch

from tinygrad_edu.testing import check_against_torch

rng = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_mul(impl, dtype):
    check_against_torch(lambda x, y: impl.Mul.apply(x, y), torch.mul,
                        [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))], dtype)


def test_mul_broadcasts(impl):
    check_against_torch(lambda x, y: impl.Mul.apply(x, y), torch.mul,
                        [rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 1))])


def test_mul_of_a_tensor_with_itself(impl):
    check_against_torch(lambda x: impl.Mul.apply(x, x), lambda x: x * x, [rng.standard_normal(5)])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matmul(impl, dtype):
    check_against_torch(lambda a, b: impl.MatMul.apply(a, b), torch.matmul,
                        [rng.standard_normal((4, 3)), rng.standard_normal((3, 5))], dtype)


def test_batched_matmul(impl):
    check_against_torch(lambda a, b: impl.MatMul.apply(a, b), torch.matmul,
                        [rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 3, 5))])


def test_matmul_then_mul_in_one_graph(impl):
    check_against_torch(lambda a, b, c: impl.Mul.apply(impl.MatMul.apply(a, b), c),
                        lambda a, b, c: (a @ b) * c,
                        [rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)])
