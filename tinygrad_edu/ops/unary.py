"""Elementwise ops of one tensor: negation, exp, log, sqrt, abs, the activations, clamp, cast, clone.

Each keeps its derivative in the docstring; the output has the input's shape, so no
broadcasting is undone. A new elementwise op of one tensor goes here.
"""
import numpy as np

from ..autograd import Function


class Neg(Function):
    """z = -x.   dz/dx = -1"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Exp(Function):
    """z = e^x.   dz/dx = e^x = z"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            z = np.exp(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * z


class Log(Function):
    """z = log(x).   dz/dx = 1/x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return grad / x


class Sqrt(Function):
    """z = sqrt(x).   dz/dx = 1 / (2 sqrt(x)) = 1 / (2z)"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            z = np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return grad / (2 * z)


class Abs(Function):
    """z = |x|.   dz/dx = sign(x)  (0 at x = 0, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.sign(x)


class Relu(Function):
    """z = max(x, 0).   dz/dx = 1 where x > 0, else 0"""

    @staticmethod
    def forward(ctx, x):
        z = np.maximum(x, 0)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * (z > 0)


class Sigmoid(Function):
    """z = 1 / (1 + e^-x).   dz/dx = z (1 - z)"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):  # e^-x overflows to inf for very negative x: z = 0, correct
            z = 1 / (1 + np.exp(-x))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * z * (1 - z)


class Tanh(Function):
    """z = tanh(x).   dz/dx = 1 - z^2"""

    @staticmethod
    def forward(ctx, x):
        z = np.tanh(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * (1 - z * z)


class Clamp(Function):
    """z = min(max(x, lo), hi).   dz/dx = 1 where lo < x < hi, else 0

    At a bound itself the gradient is 0, as in PyTorch, so ``clamp(min=0)`` has relu's gradient.
    """

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        inside = np.ones(x.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= x > ctx.lo
        if ctx.hi is not None:
            inside &= x < ctx.hi
        return grad * inside


class Cast(Function):
    """z = x converted to another float dtype.   dz/dx = 1 (the engine casts the gradient back)"""

    @staticmethod
    def forward(ctx, x, np_dtype):
        return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


class Clone(Function):
    """z = a copy of x.   dz/dx = 1"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad
