"""Elementwise ops of two tensors beyond arithmetic: clamp with tensor bounds, maximum, minimum, atan2.

Like ``binary.py``'s they broadcast; the engine sums their gradients back to each input's
shape (``autograd.sum_to_shape``).
"""
import numpy as np

from ..autograd import Function


class ClampBounds(Function):
    """z = min(max(x, lo), hi) with tensor bounds lo and/or hi (None: no bound), all broadcast.

    With one bound it is ``maximum(x, lo)`` (or ``minimum(x, hi)``): the larger one gets the
    gradient, and where x equals the bound they share it, 1/2 each. With both bounds (PyTorch's
    rule, read off its results):
        lo < hi:  dz/dx = 1 inside, dz/dlo = 1 below lo, dz/dhi = 1 above hi; 1/2 each at a tie;
        lo = hi:  z = hi, the gradient goes to x where x = lo, else to the bound x is beyond;
        lo > hi:  z = hi everywhere: dz/dhi = 1.
    """
    broadcasts = True

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        z = x if lo is None else np.maximum(x, lo)
        return z if hi is None else np.minimum(z, hi)

    @staticmethod
    def backward(ctx, grad):
        x, lo, hi = ctx.saved_tensors
        if lo is not None and hi is not None:
            below, equal, above = lo < hi, lo == hi, lo > hi
            at_lo, at_hi = 0.5 * (x == lo), 0.5 * (x == hi)
            gx = below * (((x > lo) & (x < hi)) + at_lo + at_hi) + equal * (x == lo)
            glo = (below | equal) * (x < lo) + below * at_lo
            ghi = (below | equal) * (x > hi) + below * at_hi + above
            return grad * gx, grad * glo, grad * ghi
        bound = lo if lo is not None else hi
        beyond = x < bound if lo is not None else x > bound
        tie = 0.5 * (x == bound)
        return grad * (~beyond - tie), grad * (beyond + tie)


class Maximum(Function):
    """z = max(x, y), elementwise.   dz/dx = 1 where x > y, dz/dy = 1 where y > x; a tie gives each 1/2

    Splitting a tie evenly is PyTorch's rule; where a nan makes x and y incomparable, z is nan and
    both get the whole gradient, as in PyTorch.
    """
    broadcasts = True

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        tie = x == y
        return (grad * np.where(tie, 0.5, ~(x < y)).astype(grad.dtype),
                grad * np.where(tie, 0.5, ~(x > y)).astype(grad.dtype))


class Minimum(Function):
    """z = min(x, y), elementwise.   dz/dx = 1 where x < y, dz/dy = 1 where y < x; a tie gives each 1/2

    As for maximum, a nan in x or y sends the whole gradient to both.
    """
    broadcasts = True

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.minimum(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        tie = x == y
        return (grad * np.where(tie, 0.5, ~(x > y)).astype(grad.dtype),
                grad * np.where(tie, 0.5, ~(x < y)).astype(grad.dtype))


class Atan2(Function):
    """z = atan2(y, x), the angle of the point (x, y).   dz/dy = x / (x^2 + y^2),  dz/dx = -y / (x^2 + y^2)"""
    broadcasts = True

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, grad):
        y, x = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad / (x * x + y * y)
        return scale * x, -scale * y
