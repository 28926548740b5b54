"""Scans: running totals along one dim (``cumsum``)."""
import numpy as np

from ..autograd import Function


class CumSum(Function):
    """z[i] = x[0] + ... + x[i] along ``dim``.

    dz[i]/dx[j] = 1 for j <= i, so dL/dx[j] = sum of g[i] for i >= j: the running total of the
    gradient taken from the other end.
    """

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return np.flip(np.cumsum(np.flip(grad, ctx.dim), axis=ctx.dim), ctx.dim)
