"""Softmax and log-softmax along one dim, computed stably by subtracting the max first."""
import numpy as np

from .. import kernels
from ..autograd import Function


class Softmax(Function):
    """y_i = e^(x_i) / sum_j e^(x_j).

    dy_i/dx_k = y_i (delta_ik - y_k), so dL/dx = y * (g - sum(g * y)).
    """

    @staticmethod
    def forward(ctx, x, dim):
        # initial: an empty dim has no max; asarray: an array even for a 0-d x
        y = np.asarray(x - x.max(axis=dim, keepdims=True, initial=-np.inf))
        np.exp(y, out=y)  # in place: one array of x's size, not three
        y /= y.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        dx = grad - (grad * y).sum(axis=ctx.dim, keepdims=True)
        dx *= y  # in place: y * (g - sum(g * y)), without a second array of x's size
        return dx


class LogSoftmax(Function):
    """y_i = x_i - log(sum_j e^(x_j)).

    dy_i/dx_k = delta_ik - softmax(x)_k, so dL/dx = g - softmax(x) * sum(g).
    """

    @staticmethod
    def forward(ctx, x, dim):
        if x.ndim == 2 and dim == 1 and x.shape[1] and x.dtype.kind == "f" and x.flags.c_contiguous:
            y = kernels.log_softmax_rows(x)  # a classifier's logits: one fused pass (kernels/softmax.py)
        else:
            y = x - x.max(axis=dim, keepdims=True, initial=-np.inf)
            with np.errstate(divide="ignore"):  # log(0) where the dim is empty: no element uses it
                y -= np.log(np.exp(y).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - np.exp(y) * grad.sum(axis=ctx.dim, keepdims=True)
