"""The ``tinygrad_edu.add(x, y)`` style of calling tensor methods, as the tutorial writes
``torch.add(y, z)``. Each function simply calls the method of the same name; ``where``,
``cat`` and ``stack`` (several tensors in, no method of their own) are at the end.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from ._convert import broadcast_shape, wrap_dim
from .ops import binary, movement
from .tensor import Tensor


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))


def add(input: Tensor, other, alpha=1) -> Tensor:
    return _as_tensor(input).add(other, alpha=alpha)


def sub(input: Tensor, other, alpha=1) -> Tensor:
    return _as_tensor(input).sub(other, alpha=alpha)


def mul(input: Tensor, other) -> Tensor:
    return _as_tensor(input).mul(other)


def div(input: Tensor, other) -> Tensor:
    return _as_tensor(input).div(other)


def pow(input: Tensor, exponent) -> Tensor:
    if not isinstance(input, Tensor):
        return exponent.__rpow__(input)
    return input.pow(exponent)


def neg(input: Tensor) -> Tensor:
    return input.neg()


def exp(input: Tensor) -> Tensor:
    return input.exp()


def log(input: Tensor) -> Tensor:
    return input.log()


def sqrt(input: Tensor) -> Tensor:
    return input.sqrt()


def abs(input: Tensor) -> Tensor:
    return input.abs()


def relu(input: Tensor) -> Tensor:
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def clamp(input: Tensor, min=None, max=None) -> Tensor:
    return input.clamp(min, max)


clip = clamp


def softmax(input: Tensor, dim: int) -> Tensor:
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return input.log_softmax(dim)


def sum(input: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.mean(dim, keepdim)


def max(input: Tensor, dim=None, keepdim: bool = False):
    return input.max(dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    return input.min(dim, keepdim)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.argmax(dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.argmin(dim, keepdim)


def eq(input: Tensor, other) -> Tensor:
    return input.eq(other)


def equal(input: Tensor, other: Tensor) -> bool:
    return input.equal(other)


def reshape(input: Tensor, shape) -> Tensor:
    return input.reshape(shape)


def view_copy(input: Tensor, size) -> Tensor:
    """``input.view(size)`` as a new tensor that owns its memory; being a copy, it also takes a
    non-contiguous input, as PyTorch's does."""
    return input.reshape(size).clone()


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def squeeze(input: Tensor, dim=None) -> Tensor:
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return input.unsqueeze(dim)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return input.transpose(dim0, dim1)


def t(input: Tensor) -> Tensor:
    return input.t()


def permute(input: Tensor, dims) -> Tensor:
    return input.permute(dims)


def detach(input: Tensor) -> Tensor:
    return input.detach()


def clone(input: Tensor) -> Tensor:
    return input.clone()


def matmul(input: Tensor, other) -> Tensor:
    return _as_tensor(input).matmul(other)


def where(condition: Tensor, x, y) -> Tensor:
    """Elementwise ``x`` where ``condition`` holds, else ``y``; differentiable in x and y."""
    dtype = dtypes.result_type(*(v for v in (x, y)))
    x = x.to(dtype) if isinstance(x, Tensor) else Tensor._make(np.asarray(x, dtype=dtype.np))
    y = y.to(dtype) if isinstance(y, Tensor) else Tensor._make(np.asarray(y, dtype=dtype.np))
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    broadcast_shape(broadcast_shape(cond.shape, x.shape), y.shape)  # PyTorch's message, not numpy's
    return binary.Where.apply(cond.astype(bool), x, y)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other dims must match."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    d = wrap_dim(dim, tensors[0].ndim)
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or any(
                t.shape[i] != tensors[0].shape[i] for i in range(t.ndim) if i != d):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                               f"Expected {list(tensors[0].shape)} but got {list(t.shape)}")
    dtype = dtypes.result_type(*tensors)
    return movement.Cat.apply(*[t.to(dtype) for t in tensors], dim=d)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry 1")
    d = wrap_dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in tensors], d)
