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


class Amax(Function):
    """z = max (or min) of x over ``dims`` (all dims when None), without indices.

    dz/dx[i] = 1/k for each of the k elements of a reduced slice equal to its maximum: ties share
    the gradient evenly, as in PyTorch's ``amax`` (``max(dim)`` instead sends it all to one index).
    """

    @staticmethod
    def forward(ctx, x, dims=None, keepdim=False, largest=True):
        z = (np.amax if largest else np.amin)(x, axis=dims, keepdims=True)
        ctx.save_for_backward(x == z)
        ctx.dims, ctx.keepdim = dims, keepdim
        return z if keepdim else np.squeeze(z, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        (hits,) = ctx.saved_tensors
        grad = _expand_back(grad, hits.shape, ctx.dims, ctx.keepdim)
        return hits * (grad / hits.sum(axis=ctx.dims, keepdims=True))


class Prod(Function):
    """z = product of x along ``dim`` (all elements when None).

    dz/dx[i] = product of all the other x[j]. Computed as (product of those before i) *
    (product of those after i), so it stays right where x has zeros (PyTorch's values too).
    """

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        return np.asarray(np.prod(x, axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        flat = x.reshape(-1) if ctx.dim is None else x
        axis = 0 if ctx.dim is None else ctx.dim
        ones = np.ones(flat.shape[:axis] + (1,) + flat.shape[axis + 1:], dtype=flat.dtype)
        before = np.cumprod(np.concatenate([ones, flat], axis=axis), axis=axis)
        after = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, axis)], axis=axis), axis=axis), axis)
        others = (np.delete(before, -1, axis=axis) * np.delete(after, 0, axis=axis)).reshape(x.shape)
        dims = None if ctx.dim is None else (ctx.dim,)
        return others * _expand_back(grad, x.shape, dims, ctx.keepdim)


class Norm(Function):
    """z = (sum over ``dims`` of |x|^p)^(1/p), for a finite p other than 1 (p = 2: the Euclidean length);
    for p = 0, the count of non-zero elements.

    dz/dx = x |x|^(p-2) / z^(p-1)  (x / z for p = 2), and 0 where z = 0 or x = 0, as in PyTorch;
    none for p = 0 (a count). p = 1, inf and -inf are built from abs, sum and amax in
    tensor.py: no op of their own.
    """

    @staticmethod
    def forward(ctx, x, p, dims=None, keepdim=False):
        a = np.abs(x)
        if p == 0:
            z = np.sum(a != 0, axis=dims, keepdims=True).astype(x.dtype)
        elif p == 2:
            z = np.sqrt(np.sum(a * a, axis=dims, keepdims=True))
        else:
            z = np.sum(a ** p, axis=dims, keepdims=True) ** (1 / p)
        ctx.save_for_backward(x, z)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        return z if keepdim else np.squeeze(z, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        x, z = ctx.saved_tensors
        grad = _expand_back(grad, x.shape, ctx.dims, ctx.keepdim)
        if ctx.p == 0:
            return None  # no gradient at all (PyTorch leaves x.grad None too)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = x / z if ctx.p == 2 else x * np.abs(x) ** (ctx.p - 2) / z ** (ctx.p - 1)
        return grad * np.where((z == 0) | (x == 0), 0, scale)  # 0 * inf for p < 2 at x = 0: PyTorch's 0
