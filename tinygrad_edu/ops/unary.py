"""Elementwise ops of one tensor: negation, exp, log, sqrt, abs, the activations, clamp, cast, clone.

Each keeps its derivative in the docstring; the output has the input's shape, so no
broadcasting is undone. A new elementwise op of one tensor goes here.
"""
import math

import numpy as np

from .. import kernels
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
    """z = max(x, 0).   dz/dx = 1 where z > 0, else 0   (one-pass kernels: ``kernels/relu.py``)"""

    @staticmethod
    def forward(ctx, x):
        z = kernels.relu_forward(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return kernels.relu_backward(grad, z)


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


# ---------------------------------------------------------------------------- trigonometric and hyperbolic

class Sin(Function):
    """z = sin(x).   dz/dx = cos(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.cos(x)


class Cos(Function):
    """z = cos(x).   dz/dx = -sin(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * np.sin(x)


class Tan(Function):
    """z = tan(x).   dz/dx = 1 / cos^2(x) = 1 + z^2"""

    @staticmethod
    def forward(ctx, x):
        z = np.tan(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * (1 + z * z)


class Asin(Function):
    """z = asin(x), for -1 <= x <= 1.   dz/dx = 1 / sqrt(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):  # outside [-1, 1]: nan, as in PyTorch
            return np.arcsin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / np.sqrt(1 - x * x)


class Acos(Function):
    """z = acos(x), for -1 <= x <= 1.   dz/dx = -1 / sqrt(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return -grad / np.sqrt(1 - x * x)


class Atan(Function):
    """z = atan(x).   dz/dx = 1 / (1 + x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 + x * x)


class Sinh(Function):
    """z = sinh(x) = (e^x - e^-x) / 2.   dz/dx = cosh(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.sinh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return grad * np.cosh(x)


class Cosh(Function):
    """z = cosh(x) = (e^x + e^-x) / 2.   dz/dx = sinh(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.cosh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return grad * np.sinh(x)


# ---------------------------------------------------------------------------- logs, powers, erf

class Log2(Function):
    """z = log2(x).   dz/dx = 1 / (x ln 2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return grad / (x * np.log(2.0).astype(x.dtype))


class Log10(Function):
    """z = log10(x).   dz/dx = 1 / (x ln 10)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return grad / (x * np.log(10.0).astype(x.dtype))


class Log1p(Function):
    """z = log(1 + x), accurate for tiny x.   dz/dx = 1 / (1 + x)   (inf at x = -1, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return grad / (1 + x)


class Expm1(Function):
    """z = e^x - 1, accurate for tiny x.   dz/dx = e^x = z + 1"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            z = np.expm1(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * (z + 1)


class Reciprocal(Function):
    """z = 1 / x.   dz/dx = -1 / x^2 = -z^2"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            z = np.reciprocal(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return -grad * z * z


class Rsqrt(Function):
    """z = 1 / sqrt(x).   dz/dx = -1 / (2 x^(3/2)) = -z^3 / 2   (-inf at x = 0, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            z = 1 / np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        with np.errstate(invalid="ignore"):
            return -0.5 * grad * z * z * z


_erf = np.vectorize(math.erf, otypes=[np.float64])  # numpy has no erf; libm's, element by element


def erf(x: np.ndarray) -> np.ndarray:
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt, in x's dtype."""
    return _erf(x).astype(x.dtype, copy=False)


class Erf(Function):
    """z = erf(x) = 2/sqrt(pi) * integral of e^(-t^2) from 0 to x.   dz/dx = 2/sqrt(pi) e^(-x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (2 / np.sqrt(np.pi)) * np.exp(-x * x)


# ---------------------------------------------------------------------------- flat between jumps

class _Flat(Function):
    """Steps: ``numpy_op(x)`` is constant between its jumps, so dz/dx = 0 everywhere (PyTorch's choice
    at the jumps too). Subclasses name the numpy function."""

    @staticmethod
    def forward(ctx, x, *args):
        ctx.shape = x.shape
        return type(ctx).numpy_op(x, *args)

    @staticmethod
    def backward(ctx, grad):
        return np.zeros(ctx.shape, dtype=grad.dtype)


def _sign(x):
    return np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype)  # PyTorch: sign(nan) = 0


class Sign(_Flat):
    """z = -1, 0 or 1 by the sign of x (0 for nan).   dz/dx = 0"""
    numpy_op = staticmethod(_sign)


class Floor(_Flat):
    """z = the largest integer <= x.   dz/dx = 0"""
    numpy_op = staticmethod(np.floor)


class Ceil(_Flat):
    """z = the smallest integer >= x.   dz/dx = 0"""
    numpy_op = staticmethod(np.ceil)


class Trunc(_Flat):
    """z = x with its fraction dropped (towards 0).   dz/dx = 0"""
    numpy_op = staticmethod(np.trunc)


class Round(_Flat):
    """z = x rounded to ``decimals`` places, halves to even (2.5 -> 2).   dz/dx = 0"""
    numpy_op = staticmethod(np.round)
