"""``torch.autograd.Variable``, the pre-0.4 name the 60 Minute Blitz's old autograd page still uses,
against torch: a new leaf sharing the data, every tensor an instance."""
import numpy as np
import pytest
import torch
from torch.autograd import Variable as TorchVariable

import tinygrad_edu
from helpers import raise_the_same
from tinygrad_edu.autograd import Variable

ENGINES = [(tinygrad_edu, Variable), (torch, TorchVariable)]


@pytest.mark.parametrize("lib, var", ENGINES)
def test_variable_is_a_new_leaf_sharing_memory(lib, var):
    t = lib.ones(2, 2)
    v = var(t, requires_grad=True)
    assert type(v) is lib.Tensor and v is not t
    assert v.requires_grad and v.is_leaf and not t.requires_grad
    with lib.no_grad():
        v.add_(1)
    assert t.numpy().tolist() == [[2.0, 2.0], [2.0, 2.0]]


@pytest.mark.parametrize("lib, var", ENGINES)
def test_variable_of_a_computed_tensor_is_detached(lib, var):
    a = lib.ones(3, requires_grad=True)
    b = var(a * 2)
    assert not b.requires_grad and b.grad_fn is None
    assert var(a * 2, requires_grad=True).is_leaf


def test_every_tensor_is_a_variable():
    for lib, var in ENGINES:
        assert isinstance(lib.zeros(1), var) and not isinstance(1.0, var) and not isinstance(np.zeros(1), var)


def test_blitz_gradient_through_variable_matches_torch():
    """out = mean(3 (x + 2)^2) from a Variable of ones: d out / dx = 4.5 everywhere, on both engines."""
    grads = []
    for lib, var in ENGINES:
        x = var(lib.from_numpy(np.array([[1.0, -0.5], [2.0, 0.25]])), requires_grad=True)
        y = x + 2
        (y * y * 3).mean().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_variable_errors_match_torch():
    raise_the_same("lib.autograd.Variable(lib.tensor([1, 2]), requires_grad=True)", RuntimeError,
                   "Tensors of floating point and complex dtype can require gradients")
    raise_the_same("lib.autograd.Variable([1, 2])", TypeError, "Variable data has to be a tensor, but got list")
