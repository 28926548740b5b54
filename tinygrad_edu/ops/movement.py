"""Ops that move or select elements without arithmetic: reshape, permute, expand,
indexing, concatenation. Their backward moves the gradient back the same way.
"""
import numpy as np

from ..autograd import Function


class Reshape(Function):
    """z = x laid out in ``shape`` (same elements, same order).   dz/dx: reshape back"""
    is_view = True  # when numpy can reshape without a copy

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return np.reshape(grad, ctx.in_shape)


class Permute(Function):
    """z = x with its dims reordered, z.shape[i] = x.shape[dims[i]].   dz/dx: the inverse permutation"""
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, grad):
        return np.transpose(grad, np.argsort(ctx.dims))


class Expand(Function):
    """z = x repeated along its size-1 dims up to ``shape`` (no copy).

    dz/dx: each x[i] feeds many z, so its gradient is their sum. The engine does that sum
    (``broadcasts = True``), exactly as for a broadcasting binary op.
    """
    broadcasts = True
    is_view = True  # read-only: numpy refuses writes, and so does the engine (_inplace.py)

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad


def _is_basic(index) -> bool:
    """True when ``index`` only slices (ints, slices, None, ...): no element is picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


class Index(Function):
    """z = x[index], by slices, integers, integer arrays (gather) or boolean masks.

    dz/dx: zeros with the gradient scattered back to the picked places; a place picked
    twice by an integer array gets both gradients added (``np.add.at``).
    Slicing gives a view of x (an integer index too: ``x[0]`` is a 0-dim view, not a copy).
    """
    is_view = True  # for slices; numpy copies for integer arrays and masks

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        z = x[index]
        if not isinstance(z, np.ndarray):  # one element: numpy gives a scalar, x[index, ...] a 0-dim view
            z = x[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
        return z

    @staticmethod
    def backward(ctx, grad):
        gx = np.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic(ctx.index):
            gx[ctx.index] = grad
        else:
            np.add.at(gx, ctx.index, grad)
        return gx


class Cat(Function):
    """z = the inputs joined along ``dim``.   dz/dx_k: the slice of the gradient that x_k filled"""

    @staticmethod
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        ctx.bounds = np.cumsum([x.shape[dim] for x in xs])[:-1]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.bounds, axis=ctx.dim))


class IndexPut(Function):
    """z = x with z[index] = v (v broadcast to the shape of x[index]): ``x[index] = v`` as an op.

    dz/dx: 1 everywhere except at the written places, where x's old values are gone (0);
    dz/dv: the gradient at the written places, summed over v's broadcast (``broadcasts = True``).
    """
    broadcasts = True

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        z = x.copy()
        z[index] = v
        return z

    @staticmethod
    def backward(ctx, grad):
        gx = grad.copy()
        gx[ctx.index] = 0
        return gx, grad[ctx.index]
