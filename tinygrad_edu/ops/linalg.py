"""Matrix multiplication, for 1-D, 2-D and batched (broadcasting) operands."""
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
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if b.ndim == 1:
            g2 = g2[..., None]
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
            ga = ga[..., 0, :] if a.ndim == 1 else ga
        if ctx.needs_input_grad[1]:
            gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
            gb = gb[..., :, 0] if b.ndim == 1 else gb
        return ga, gb
