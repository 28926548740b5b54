"""Reductions: sum and max/min, over the whole tensor or over some dims.

``mean`` is built from ``sum`` in tensor.py; it needs no op of its own.
"""
import numpy as np

from ..autograd import Function


def _expand_back(grad, shape, dims, keepdim):
    """Reinsert the reduced dims (size 1) so ``grad`` broadcasts against the input of ``shape``."""
    if not keepdim and dims is not None:
        grad = np.expand_dims(grad, dims)
    elif dims is None:
        grad = np.reshape(grad, (1,) * len(shape))
    return grad


class Sum(Function):
    """z = sum of x over ``dims`` (all dims when None).   dz/dx[i] = 1 for every summed x[i]"""

    @staticmethod
    def forward(ctx, x, dims=None, keepdim=False):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.asarray(np.sum(x, axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        grad = _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim)
        return np.broadcast_to(grad, ctx.shape)


class MaxAll(Function):
    """z = max (or min) of all elements.   dz/dx[i] = 1/k for each of the k elements equal to z

    Ties share the gradient evenly, as in PyTorch's ``max()`` without a dim.
    """

    @staticmethod
    def forward(ctx, x, largest=True):
        z = np.asarray(x.max() if largest else x.min())
        ctx.save_for_backward(x == z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (hits,) = ctx.saved_tensors
        return hits * (grad / hits.sum())


class MaxDim(Function):
    """values, indices = max (or min) of x along ``dim``.

    dz/dx[..., j, ...] = 1 where j is the returned index, else 0. The first maximum wins on
    ties, as in PyTorch on the CPU. ``indices`` is a second, non-differentiable output.
    """

    @staticmethod
    def forward(ctx, x, dim, keepdim=False, largest=True):
        idx = np.argmax(x, axis=dim) if largest else np.argmin(x, axis=dim)
        idx = np.expand_dims(idx, dim)
        values = np.take_along_axis(x, idx, axis=dim)
        ctx.save_for_backward(idx)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        return values, idx.astype(np.int64)

    @staticmethod
    def backward(ctx, grad):
        (idx,) = ctx.saved_tensors
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.dim)
        gx = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(gx, idx, grad, axis=ctx.dim)
        return gx
