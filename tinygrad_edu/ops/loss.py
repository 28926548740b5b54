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


class NLLLoss(Function):
    """Negative log-likelihood of the target classes, in one op (a composite took six graph nodes).

    x (N, C) log-probabilities, labels (N,) class indices, w (N,) each sample's weight (0 for an
    ignored target), or None when every weight is 1. Per sample l_n = -w_n x[n, labels_n]; the loss
    is their sum, or the sum divided by sum(w) for "mean", or the vector l for "none".
    dL/dx[n, labels_n] = -w_n (sum), -w_n / sum(w) (mean; 0 when sum(w) = 0), -w_n g_n (none);
    0 everywhere else.
    """

    @staticmethod
    def forward(ctx, x, labels, w, reduction):
        rows = np.arange(len(labels))
        losses = -x[rows, labels] if w is None else -w * x[rows, labels]
        ctx.save_for_backward(rows, labels, w)
        ctx.shape, ctx.reduction = x.shape, reduction
        if reduction == "none":
            return losses
        total = losses.sum()
        ctx.count = x.dtype.type(len(labels)) if w is None else w.sum()
        if reduction == "sum":
            return np.asarray(total)
        if ctx.count:
            return np.asarray(total / ctx.count)
        with np.errstate(invalid="ignore"):  # every target ignored: 0 / 0 = nan, as in PyTorch
            return np.asarray(total / ctx.count)

    @staticmethod
    def backward(ctx, grad):
        rows, labels, w = ctx.saved_tensors
        if ctx.reduction == "mean":  # with every target ignored, w is all 0 and so is the gradient
            grad = grad / ctx.count if ctx.count else np.zeros_like(grad)
        scale = -grad if w is None else -w * grad
        gx = np.zeros(ctx.shape, dtype=grad.dtype)
        gx[rows, labels] = scale
        return gx


class BinaryCrossEntropyWithLogits(Function):
    """l = (1 - y) x - (1 + (p - 1) y) log sigmoid(x), elementwise: binary cross-entropy of sigmoid(x)
    with the positive term weighted by p (``pos_weight``, 1 when absent), in one stable op.

    log sigmoid(x) = min(x, 0) - log1p(e^-|x|) never overflows, where log(sigmoid(x)) gives -inf.
    dl/dx = (1 + (p - 1) y) sigmoid(x) - p y;   dl/dy = -x - (p - 1) log sigmoid(x).
    x, y the same shape; p broadcasts against them and gets no gradient (PyTorch refuses one).
    """
    broadcasts = True

    @staticmethod
    def forward(ctx, x, y, p=None):
        with np.errstate(over="ignore"):
            log_sig = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        weight = 1 if p is None else (p - 1) * y + 1
        ctx.save_for_backward(x, y, p, log_sig)
        return (1 - y) * x - weight * log_sig

    @staticmethod
    def backward(ctx, grad):
        x, y, p, log_sig = ctx.saved_tensors
        dx = dy = None
        if ctx.needs_input_grad[0]:
            with np.errstate(over="ignore"):
                s = 1 / (1 + np.exp(-x))
            dx = grad * (s - y if p is None else (p * y + 1 - y) * s - p * y)
        if ctx.needs_input_grad[1]:
            dy = grad * (-x if p is None else -x - (p - 1) * log_sig)
        return dx, dy, None
