"""Matrix multiplication, for 1-D, 2-D and batched (broadcasting) operands."""
import math

import numpy as np

from ..autograd import Function


class MatMul(Function):
    """Z = A @ B.   dL/dA = dL/dZ @ B^T,   dL/dB = A^T @ dL/dZ

    A 1-D operand is treated as a row (A) or a column (B) and that dim dropped again, as
    ``np.matmul`` and PyTorch do. Batch dims broadcast; the engine sums their gradients back.
    """
    broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a_1d, b_1d = ctx.inputs[0].ndim == 1, ctx.inputs[1].ndim == 1
        g2 = grad
        if b_1d:
            g2 = g2[..., None]
        if a_1d:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = np.matmul(g2, np.swapaxes(b[:, None] if b_1d else b, -1, -2))
            ga = ga[..., 0, :] if a_1d else ga
        if ctx.needs_input_grad[1]:
            gb = np.matmul(np.swapaxes(a[None, :] if a_1d else a, -1, -2), g2)
            gb = gb[..., :, 0] if b_1d else gb
        return ga, gb


class Linear(Function):
    """y = x W^T + b, fused into one op (one graph node instead of transpose, matmul and add).

    dL/dx = g W,   dL/dW = g^T x (summed over all batch dims),   dL/db = g summed over batch dims.
    Shapes: x (*, in), W (out, in), b (out,), y (*, out).
    """

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        y = x @ w.T
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        rows = math.prod(grad.shape[:-1])  # not reshape(-1, ...): in_features may be 0
        g2 = grad.reshape(rows, grad.shape[-1])
        gx = grad @ w if needs[0] else None
        gw = g2.T @ x.reshape(rows, x.shape[-1]) if needs[1] else None
        gb = g2.sum(axis=0) if len(needs) > 2 and needs[2] else None
        return (gx, gw, gb)[:len(needs)]
