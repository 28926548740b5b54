"""Activation functions beyond relu/sigmoid/tanh, each one op with its derivative beside it.

Every formula, branch and tie rule (which side a kink belongs to) is PyTorch's CPU kernel's,
so values and gradients match it exactly, kinks included. Each class is named so that its
grad_fn reads as PyTorch's (``EluBackward0``).
"""
import math

import numpy as np

from ..autograd import Function
from .unary import erf


class LeakyRelu(Function):
    """z = x if x > 0 else slope * x.   dz/dx = 1 if x > 0 else slope   (slope at x = 0)"""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return np.where(x > 0, grad, grad * ctx.slope)


class Elu(Function):
    """z = x if x > 0 else alpha (e^x - 1).   dz/dx = 1 if x > 0 else alpha e^x   (alpha at x = 0)"""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        with np.errstate(over="ignore"):  # e^x of the discarded branch may overflow
            return np.where(x > 0, x, alpha * np.expm1(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return np.where(x > 0, grad, grad * ctx.alpha * np.exp(x))


_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_BETA = math.sqrt(2 / math.pi)
_TANH_KAPPA = 0.044715


class Gelu(Function):
    """Gaussian error linear unit, z = x Phi(x), Phi the standard normal CDF.

    approximate="none":  z = x/2 (1 + erf(x/sqrt 2)).   dz/dx = Phi(x) + x phi(x),  phi(x) = e^(-x^2/2) / sqrt(2 pi)
    approximate="tanh":  z = x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3).
        dz/dx = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
    """

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(_TANH_BETA * (x + _TANH_KAPPA * x * x * x)))
        return x * 0.5 * (1 + erf(x * _SQRT1_2))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = np.tanh(_TANH_BETA * (x + _TANH_KAPPA * x * x * x))
            du = _TANH_BETA * (1 + 3 * _TANH_KAPPA * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        cdf = 0.5 * (1 + erf(x * _SQRT1_2))
        pdf = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return grad * (cdf + x * pdf)


class Silu(Function):
    """z = x sigmoid(x) = x / (1 + e^-x).   dz/dx = s (1 + x (1 - s)),  s = sigmoid(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):  # e^-x -> inf for very negative x: z = -0, correct
            return x / (1 + np.exp(-x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            s = 1 / (1 + np.exp(-x))
        return grad * s * (1 + x * (1 - s))


class Softplus(Function):
    """z = log(1 + e^(beta x)) / beta, and z = x where beta x > threshold (PyTorch's linear tail).

    dz/dx = e^(beta x) / (1 + e^(beta x)) = sigmoid(beta x), and 1 where beta x > threshold.
    """

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        bx = x * beta
        with np.errstate(over="ignore", divide="ignore"):  # a discarded branch may overflow; beta = 0 gives inf
            return np.where(bx > threshold, x, np.log1p(np.exp(bx)) / beta)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.exp(bx)
            return np.where(bx > ctx.threshold, grad, grad * z / (z + 1))


class Hardtanh(Function):
    """z = min(max(x, min_val), max_val).   dz/dx = 1 where min_val < x < max_val, else 0 (0 at the bounds)"""

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.save_for_backward(x)
        ctx.bounds = (min_val, max_val)
        return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)  # an int tensor stays int

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        return np.where((x > lo) & (x < hi), grad, 0).astype(grad.dtype, copy=False)
