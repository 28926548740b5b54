"""``Tensor.new_*``: new tensors that take this tensor's dtype unless told otherwise, against torch."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_edu
from helpers import raise_the_same

CASES = [
    ("new_ones", (5, 3), {}),
    ("new_ones", ((2, 4),), {"dtype": "float64"}),
    ("new_zeros", ([3],), {}),
    ("new_zeros", (2, 1), {"dtype": "int64"}),
    ("new_empty", (0, 2), {}),
    ("new_full", ((2, 3), 1.5), {}),
    ("new_full", ((2,), 7), {"dtype": "float32"}),
    ("new_tensor", ([[1.5, 2.0], [3.0, 4.0]],), {}),
    ("new_tensor", ([1, 2],), {"dtype": "float64"}),
]


@pytest.mark.parametrize("source", [np.array([5.5, 3.0], np.float32), np.array([1.0], np.float64),
                                    np.array([1, 2], np.int64)])
@pytest.mark.parametrize("method, args, kwargs", CASES)
def test_new_tensor_matches_torch(source, method, args, kwargs):
    results = []
    for lib in (tinygrad_edu, torch):
        options = {k: getattr(lib, v) for k, v in kwargs.items()}
        t = getattr(lib.from_numpy(source.copy()), method)(*args, **options)
        if method == "new_empty":  # uninitialised in torch: only the shape and dtype can be compared
            results.append((tuple(t.shape), str(t.dtype).split(".")[-1], None))
        else:
            results.append((tuple(t.shape), str(t.dtype).split(".")[-1], t.numpy().tolist()))
        assert t.requires_grad is False and t.is_leaf
    assert results[0] == results[1]


def test_new_ones_requires_grad_is_a_leaf():
    for lib in (tinygrad_edu, torch):
        t = lib.tensor([1.0, 2.0]).new_ones(3, requires_grad=True)
        assert t.requires_grad and t.is_leaf and t.grad_fn is None
        t.sum().backward()
        assert t.grad.numpy().tolist() == [1.0, 1.0, 1.0]


def test_new_tensor_copies_and_leaves_the_graph():
    for lib in (tinygrad_edu, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch suggests x.detach().clone() here
            y = x.new_tensor(x)
        assert not y.requires_grad and y.grad_fn is None
        y.add_(1)
        assert x.detach().numpy().tolist() == [1.0, 2.0]


def test_integer_new_ones_cannot_require_grad():
    raise_the_same("lib.tensor([1, 2]).new_ones(2, requires_grad=True)", RuntimeError,
                   "Tensors of floating point and complex dtype can require gradients")
