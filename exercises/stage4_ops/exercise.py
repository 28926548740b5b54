"""Stage 4: two ops, forward and backward side by side. Fill in the four methods."""
from __future__ import annotations

import numpy as np  # noqa: F401  (np.matmul, np.swapaxes)

from tinygrad_edu.autograd import Function


class Mul(Function):
    """z = x * y.   dz/dx = y,  dz/dy = x"""
    broadcasts = True

    @staticmethod
    def forward(ctx, x, y):
        raise NotImplementedError("Mul.forward: save x and y for backward, return x * y")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("Mul.backward: return (dL/dx, dL/dy)")


class MatMul(Function):
    """Z = A @ B.   dL/dA = dL/dZ @ B^T,   dL/dB = A^T @ dL/dZ   (2-D, or batched 3-D)"""
    broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        raise NotImplementedError("MatMul.forward: save a and b, return np.matmul(a, b)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("MatMul.backward: return (dL/dA, dL/dB)")
