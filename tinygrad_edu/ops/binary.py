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
