"""Matrix multiplication, for 1-D, 2-D and batched (broadcasting) operands."""
import math

import numpy as np

from .. import runtime
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
        ctx.a_1d, ctx.b_1d = a.ndim == 1, b.ndim == 1
        return runtime.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a_1d, b_1d = ctx.a_1d, ctx.b_1d
        g2 = grad
        if b_1d:
            g2 = g2[..., None]
        if a_1d:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = runtime.matmul(g2, np.swapaxes(b[:, None] if b_1d else b, -1, -2))
            ga = ga[..., 0, :] if a_1d else ga
        if ctx.needs_input_grad[1]:
            gb = runtime.matmul(np.swapaxes(a[None, :] if a_1d else a, -1, -2), g2)
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
        y = runtime.matmul(x, w.T)
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        rows = math.prod(grad.shape[:-1])  # not reshape(-1, ...): in_features may be 0
        g2 = grad.reshape(rows, grad.shape[-1])
        gx = runtime.matmul(grad, w) if needs[0] else None
        gw = runtime.matmul(g2.T, x.reshape(rows, x.shape[-1])) if needs[1] else None
        gb = g2.sum(axis=0) if len(needs) > 2 and needs[2] else None
        return (gx, gw, gb)[:len(needs)]


class Einsum(Function):
    """z = np.einsum(equation, *xs), the equation explicit ("ij,jk->ik") and without "...".

    z sums, over the letters not in the output, the product of the operands' entries. So
    dL/dx_k = einsum of g with all the other operands, giving x_k's letters: letters x_k alone
    has (summed away, "ij->") get g broadcast along them, and a repeated letter ("ii->i") puts
    the gradient on the diagonal. Operands with a size-1 dim broadcast; the engine sums back.
    """
    broadcasts = True

    @staticmethod
    def forward(ctx, *xs, equation):
        ins, out = equation.split("->")
        ctx.ins, ctx.out = ins.split(","), out
        ctx.sizes = {c: n for x, sub in zip(xs, ctx.ins) for c, n in zip(sub, x.shape) if n != 1}
        xs = [np.broadcast_to(x, [ctx.sizes.get(c, 1) for c in sub]) for x, sub in zip(xs, ctx.ins)]
        ctx.save_for_backward(*xs)
        return np.array(np.einsum(equation, *xs))  # a copy: einsum returns views for "ij->ji" or "ii->i"

    @staticmethod
    def backward(ctx, grad):
        xs = ctx.saved_tensors
        grads = []
        for k, sub in enumerate(ctx.ins):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.ins) if j != k]
            letters = "".join(dict.fromkeys(sub))  # each letter once, in order
            known = set(ctx.out).union(*others)
            present = "".join(c for c in letters if c in known)
            g = np.einsum(",".join([ctx.out] + others) + "->" + present,
                          grad, *[x for j, x in enumerate(xs) if j != k])
            g = np.broadcast_to(g.reshape([ctx.sizes.get(c, 1) if c in present else 1 for c in letters]),
                                [ctx.sizes.get(c, 1) for c in letters])
            if letters != sub:  # a repeated letter: the gradient lives on the diagonal
                full = np.zeros(xs[k].shape, dtype=grad.dtype)
                np.einsum(sub + "->" + letters, full)[...] = g
                g = full
            grads.append(g)
        return tuple(grads)
