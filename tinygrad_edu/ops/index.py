"""Ops that pick or place elements by an index tensor along one dim: gather, scatter, scatter_add.

``index_select``, ``sort``, ``topk`` and ``masked_fill`` are built on these (or on ``movement.Index``
and ``where``) in tensor.py. The index is checked there; here it is known to be in range.
"""
import numpy as np

from ..autograd import Function


def positions(dim, index):
    """The places ``index`` names along ``dim``: ``x[positions(dim, index)]`` is ``gather(x, dim, index)``."""
    rest = np.indices(index.shape, sparse=True)
    return tuple(index if d == dim else rest[d] for d in range(index.ndim))


def _leading(shape):
    """The slice of a larger array that an index of ``shape`` covers (src may be larger than index)."""
    return tuple(slice(0, n) for n in shape)


class Gather(Function):
    """z[i][j][k] = x[i][index[i][j][k]][k]   (for dim = 1; index has x's number of dims)

    dL/dx: zeros with each g[i][j][k] added back at the place it was picked from; a place picked
    twice gets both.
    """

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.where = x.shape, positions(dim, index)
        return x[ctx.where]

    @staticmethod
    def backward(ctx, grad):
        gx = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(gx, ctx.where, grad)
        return gx


class Scatter(Function):
    """z = x with z[i][index[i][j][k]][k] = src[i][j][k]   (for dim = 1); src may be a number.

    dL/dx = g with the overwritten places set to 0; dL/dsrc[i][j][k] = g at the place src went to
    (gather of g). If an index repeats, which write wins is unspecified in PyTorch too.
    """

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.where, ctx.covered, ctx.src_shape = positions(dim, index), _leading(index.shape), np.shape(src)
        z = x.copy()
        z[ctx.where] = src if np.ndim(src) == 0 else src[ctx.covered]
        return z

    @staticmethod
    def backward(ctx, grad):
        gx = None
        if ctx.needs_input_grad[0]:
            gx = grad.copy()
            gx[ctx.where] = 0
        if len(ctx.needs_input_grad) < 2:  # src was a number
            return gx
        gsrc = np.zeros(ctx.src_shape, dtype=grad.dtype)
        gsrc[ctx.covered] = grad[ctx.where]
        return gx, gsrc


class ScatterAdd(Function):
    """z = x with src[i][j][k] added at z[i][index[i][j][k]][k]   (for dim = 1); repeats add up.

    dL/dx = g;  dL/dsrc[i][j][k] = g at the place it was added to (gather of g), 0 outside index's shape.
    """

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.where, ctx.covered, ctx.src_shape = positions(dim, index), _leading(index.shape), src.shape
        z = x.copy()
        np.add.at(z, ctx.where, src[ctx.covered])
        return z

    @staticmethod
    def backward(ctx, grad):
        gsrc = np.zeros(ctx.src_shape, dtype=grad.dtype)
        gsrc[ctx.covered] = grad[ctx.where]
        return grad, gsrc


class ScatterReduce(Function):
    """z = x with src[i][j][k] added to (``reduce="add"``) or multiplied into (``"multiply"``)
    z[i][index[i][j][k]][k]   (for dim = 1); src may be a number.

    PyTorch has no derivative for this form (scatter with ``reduce=``): backward raises its error.
    """

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        where = positions(dim, index)
        values = src if np.ndim(src) == 0 else src[_leading(index.shape)]
        z = x.copy()
        (np.add if reduce == "add" else np.multiply).at(z, where, np.broadcast_to(values, index.shape))
        return z

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::scatter is not implemented")
