"""Losses that need their own op: where the chain rule through primitives gives nan at the edges."""
import numpy as np

from ..autograd import Function


class BinaryCrossEntropy(Function):
    """l = -(y max(log x, -100) + (1 - y) max(log(1 - x), -100)), elementwise; x, y the same shape.

    d/dx = (x - y) / max(x (1 - x), 1e-12): PyTorch's formula, finite where x is exactly 0 or 1
    (a saturated float32 sigmoid), where the chain rule through the clamped logs gives 0 * inf = nan.
    d/dy = max(log(1 - x), -100) - max(log x, -100): finite at x = 0 or 1, where PyTorch's
    unclamped -logit(x) is infinite.
    """

    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log(1 - x), -100)
        ctx.save_for_backward(x, y, log_x, log_1mx)
        return -(y * log_x + (1 - y) * log_1mx)

    @staticmethod
    def backward(ctx, grad):
        x, y, log_x, log_1mx = ctx.saved_tensors
        eps = np.float32(1e-12)  # PyTorch's constant is a float: 9.99999996e-13 in float64 too
        dx = grad * (x - y) / np.maximum((1 - x) * x, eps) if ctx.needs_input_grad[0] else None
        dy = grad * (log_1mx - log_x) if ctx.needs_input_grad[1] else None
        return dx, dy
