"""Convolution, padding and pooling ops. The arithmetic lives in ``tinygrad_edu.kernels`` (numba,
with a numpy twin; numpy only for the average and adaptive pools); these Functions connect it
to autograd. Each kernel checks its own arguments and raises PyTorch's error for a wrong call.
"""
import numpy as np

from .. import kernels
from ..autograd import Function
from ..kernels import pool


class Conv2d(Function):
    """out[n,f,i,j] = b[f] + sum_{c,u,v} w[f,c,u,v] * xpad[n, c, i*sh + u*dh, j*sw + v*dw]   (cross-correlation)

    c runs over the input channels of f's group (groups G: C/G inputs and F/G outputs each).
    dL/dx: the gradient "fully convolved" with the flipped kernel (scattered back through the
    windows); dL/dw[f,c,u,v] = sum_{n,i,j} g[n,f,i,j] * xpad[n,c,i*sh+u*dh,j*sw+v*dw];
    dL/db[f] = sum g[n,f,:,:]. Shapes: x (N, C, H, W), w (F, C/G, KH, KW), b (F,), out (N, F, OH, OW).
    """

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        ctx.save_for_backward(x, w)
        ctx.stride, ctx.padding, ctx.dilation, ctx.groups = stride, padding, dilation, groups
        return kernels.conv2d_forward(x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad + (False,) * (3 - len(ctx.needs_input_grad))
        dx, dw, db = kernels.conv2d_backward(np.ascontiguousarray(grad), x, w, ctx.stride, ctx.padding, needs,
                                             ctx.dilation, ctx.groups)
        return (dx, dw, db)[:len(ctx.parents)]


_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class Pad2d(Function):
    """z = x (N, C, H, W) grown by pads = (left, right, top, bottom) along W and H.

    mode "constant": the border is ``value``; dz/dx crops the gradient back.
    "reflect" / "replicate" / "circular": each border element is a copy of an input element
    (mirrored without the edge / the edge repeated / wrapped around), so dL/dx[h, w] is the sum
    of the gradients of every copy of x[h, w] (np.add.at over the index maps).
    """

    @staticmethod
    def forward(ctx, x, pads, mode="constant", value=0.0):
        left, right, top, bottom = pads
        ctx.x_shape, ctx.pads, ctx.mode = x.shape, pads, mode
        if mode == "constant":
            return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)
        for dim, before, after in ((3, left, right), (2, top, bottom)):
            size = x.shape[dim]
            if mode == "reflect" and max(before, after) >= size:
                raise RuntimeError(f"pad ({mode}): Argument #4: Padding size should be less than the corresponding "
                                   f"input dimension, but got: padding ({before}, {after}) at dimension {dim} of "
                                   f"input {list(x.shape)}")
            if mode == "circular" and max(before, after) > size:
                raise RuntimeError(f"pad ({mode}): Padding value causes wrapping around more than once. (padding "
                                   f"({before}, {after}) at dimension {dim} of input {list(x.shape)})")
        ctx.rows = np.pad(np.arange(x.shape[2]), (top, bottom), mode=_NUMPY_MODES[mode])
        ctx.cols = np.pad(np.arange(x.shape[3]), (left, right), mode=_NUMPY_MODES[mode])
        return x[:, :, ctx.rows[:, None], ctx.cols[None, :]]

    @staticmethod
    def backward(ctx, grad):
        left, right, top, bottom = ctx.pads
        if ctx.mode == "constant":
            _, _, H, W = grad.shape
            return grad[:, :, top:H - bottom, left:W - right]
        dx = np.zeros(ctx.x_shape, grad.dtype)
        np.add.at(dx, (slice(None), slice(None), ctx.rows[:, None], ctx.cols[None, :]), grad)
        return dx


class MaxPool2d(Function):
    """out[n,c,i,j] = max of the window of x starting at (i*sh - ph, j*sw - pw), taps dh and dw apart.

    dL/dx: each output's gradient goes to the one input that was the window's maximum (the
    first one on ties), added up where windows overlap. Shapes: x (N, C, H, W), out (N, C, OH, OW).
    With ``return_indices`` the forward also gives that input's index h*W + w (int64).
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation=(1, 1), ceil_mode=False, return_indices=False):
        out, argmax = kernels.max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode)
        ctx.save_for_backward(argmax)
        ctx.x_shape = x.shape
        return (out, argmax) if return_indices else out

    @staticmethod
    def backward(ctx, grad):
        (argmax,) = ctx.saved_tensors
        return kernels.max_pool2d_backward(np.ascontiguousarray(grad), argmax, ctx.x_shape)


class AvgPool2d(Function):
    """out[n,c,i,j] = (sum of the window's real inputs) / d, d the divisor torch uses (see kernels/pool.py).

    dL/dx[n,c,h,w] = sum of g[n,c,i,j] / d over the windows holding (h, w).
    Shapes: x (N, C, H, W), out (N, C, OH, OW).
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        ctx.x_shape = x.shape
        ctx.options = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        return pool.avg_pool2d_forward(x, *ctx.options)

    @staticmethod
    def backward(ctx, grad):
        return pool.avg_pool2d_backward(np.ascontiguousarray(grad), ctx.x_shape, *ctx.options)


class AdaptiveAvgPool2d(Function):
    """out[n,c,i,j] = mean of x[n, c, floor(i*H/OH) : ceil((i+1)*H/OH), floor(j*W/OW) : ceil((j+1)*W/OW)].

    dL/dx: each output's gradient shared equally among its window's inputs, added up where
    windows overlap. Shapes: x (N, C, H, W), out (N, C, OH, OW).
    """

    @staticmethod
    def forward(ctx, x, output_size):
        ctx.x_shape = x.shape
        return pool.adaptive_avg_pool2d_forward(x, output_size)

    @staticmethod
    def backward(ctx, grad):
        return pool.adaptive_avg_pool2d_backward(np.ascontiguousarray(grad), ctx.x_shape)


class AdaptiveMaxPool2d(Function):
    """out[n,c,i,j] = max over AdaptiveAvgPool2d's window; with ``return_indices`` also its index h*W + w.

    dL/dx: as MaxPool2d's, through the argmax. Shapes: x (N, C, H, W), out (N, C, OH, OW).
    """

    @staticmethod
    def forward(ctx, x, output_size, return_indices=False):
        out, argmax = pool.adaptive_max_pool2d_forward(x, output_size)
        ctx.save_for_backward(argmax)
        ctx.x_shape = x.shape
        return (out, argmax) if return_indices else out

    backward = staticmethod(MaxPool2d.backward)  # the same saved argmax and input shape
