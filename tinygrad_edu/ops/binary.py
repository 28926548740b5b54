"""Elementwise ops of two (or three) tensors: + - * / ** and where.

They broadcast like numpy; the engine sums their gradients back to each input's shape
(``autograd.sum_to_shape``), so backward here works in the output's shape. A new op of two
tensors goes here; an op of one tensor goes in ``unary.py``.
"""
import numpy as np

from ..autograd import Function


class Add(Function):
    """z = x + y.   dz/dx = 1,  dz/dy = 1"""
    broadcasts = True

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    """z = x - y.   dz/dx = 1,  dz/dy = -1"""
    broadcasts = True

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad


class Mul(Function):
    """z = x * y.   dz/dx = y,  dz/dy = x"""
    broadcasts = True

    @staticmethod
    def forward(ctx, x, y):
        # each saves only what the other's gradient needs, as PyTorch: x * 2 keeps x free to change in place
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y if ctx.needs_input_grad[0] else None)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return (grad * y if ctx.needs_input_grad[0] else None,
                grad * x if ctx.needs_input_grad[1] else None)


class Div(Function):
    """z = x / y.   dz/dx = 1/y,  dz/dy = -x/y^2"""
    broadcasts = True

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)
        with np.errstate(divide="ignore", invalid="ignore"):  # x/0 gives inf or nan, as in PyTorch
            return x / y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad / y if ctx.needs_input_grad[0] else None,
                    -grad * x / (y * y) if ctx.needs_input_grad[1] else None)


class Pow(Function):
    """z = x ** y.   dz/dx = y * x^(y-1),  dz/dy = x^y * log(x)"""
    broadcasts = True

    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.power(x, y)
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, grad):
        x, y, z = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            gx = grad * y * np.power(x, y - 1) if ctx.needs_input_grad[0] else None
            # PyTorch defines the y-gradient as 0 where x == 0 and y >= 0 (0^y is flat there)
            gy = grad * np.where((x == 0) & (y >= 0), 0, z * np.log(x)) if ctx.needs_input_grad[1] else None
        return gx, gy


class Where(Function):
    """z = cond ? x : y.   dz/dx = cond,  dz/dy = not cond   (cond itself is not differentiated)"""
    broadcasts = True

    @staticmethod
    def forward(ctx, cond, x, y):
        ctx.save_for_backward(cond)
        return np.where(cond, x, y)

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        return np.where(cond, grad, 0), np.where(cond, 0, grad)


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
