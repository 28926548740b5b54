"""Elementwise ops. Binary ones broadcast like numpy; the engine sums their gradients back
to each input's shape (``autograd.sum_to_shape``), so backward here works in the output's shape.
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
        ctx.save_for_backward(x, y)
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
        ctx.save_for_backward(x, y)
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
