"""Convolution and max-pooling ops. The arithmetic lives in ``tinygrad_edu.kernels`` (numba,
with a numpy twin); these Functions connect it to autograd.
"""
import numpy as np

from .. import kernels
from ..autograd import Function


class Conv2d(Function):
    """out[n,f,i,j] = b[f] + sum_{c,u,v} w[f,c,u,v] * xpad[n, c, i*sh+u, j*sw+v]   (cross-correlation)

    dL/dx: the gradient "fully convolved" with the flipped kernel (scattered back through the
    windows); dL/dw[f,c,u,v] = sum_{n,i,j} g[n,f,i,j] * xpad[n,c,i*sh+u,j*sw+v]; dL/db[f] = sum g[n,f,:,:].
    Shapes: x (N, C, H, W), w (F, C, KH, KW), b (F,), out (N, F, OH, OW).
    """

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0)):
        ctx.save_for_backward(x, w)
        ctx.stride, ctx.padding = stride, padding
        return kernels.conv2d_forward(x, w, b, stride, padding)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad + (False,) * (3 - len(ctx.needs_input_grad))
        dx, dw, db = kernels.conv2d_backward(np.ascontiguousarray(grad), x, w, ctx.stride, ctx.padding, needs)
        return (dx, dw, db)[:len(ctx.inputs)]


class MaxPool2d(Function):
    """out[n,c,i,j] = max of the window of x starting at (i*sh - ph, j*sw - pw).

    dL/dx: each output's gradient goes to the one input that was the window's maximum (the
    first one on ties), added up where windows overlap. Shapes: x (N, C, H, W), out (N, C, OH, OW).
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding):
        out, argmax = kernels.max_pool2d_forward(x, kernel_size, stride, padding)
        ctx.save_for_backward(argmax)
        ctx.x_shape = x.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        (argmax,) = ctx.saved_tensors
        return kernels.max_pool2d_backward(np.ascontiguousarray(grad), argmax, ctx.x_shape)
