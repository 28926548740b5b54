"""2-D max pooling on a CUDA GPU (as ``torch.nn.functional.max_pool2d``), forward and backward.

Shapes: x (N, C, H, W); out, argmax and the gradient g (N, C, OH, OW) with
OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1 (rounded up instead with ceil_mode, as torch does), OW
likewise. Padding counts as -inf, so it never wins a window.

    out[n,c,oh,ow]    = max of x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] over the window's real inputs
    argmax[n,c,oh,ow] = h*W + w of that maximum in the unpadded plane

Ties go to the first maximum in row-major scan order and a NaN wins (the window's last NaN):
the rule of torch's CPU and CUDA kernels alike, ``value > best or isnan(value)``.

The output copies one input per window, so its derivative is 1 for that input, 0 for the rest:

    dL/dx[n, c, h, w] = sum of g[n,c,oh,ow] over the windows whose argmax is h*W + w

Forward: one thread per window. Backward: one thread per window adds its gradient into the
input it copied; windows overlap when stride < kernel, and two threads may then add into the
same input at the same moment, so the add is atomic (``cuda.atomic.add``: the GPU's
read-add-write that no other thread can interleave). The numpy twins are
``kernels.pool.max_pool2d_forward_numpy`` and ``max_pool2d_backward_numpy``.
"""
import math

import numpy as np
from numba import cuda

from ...backend_array import array_module
from ..pool import check_max_pool2d_grad, check_pool2d_args
from .blocks import launch_1d


@cuda.jit(cache=True)
def _max_pool_kernel(x, KH, KW, sh, sw, ph, pw, dh, dw, out, argmax):
    """One thread per window: out and argmax (P, OH, OW) from x (P, H, W), P = N*C planes."""
    k = cuda.grid(1)
    P, OH, OW = out.shape
    if k >= P * OH * OW:
        return
    q, oh, ow = k // (OH * OW), k // OW % OH, k % OW
    H, W = x.shape[1], x.shape[2]
    best, best_at, nan_at = -math.inf, -1, -1
    for i in range(KH):
        h = oh * sh - ph + i * dh
        if 0 <= h < H:
            for j in range(KW):
                col = ow * sw - pw + j * dw
                if 0 <= col < W:
                    value = x[q, h, col]
                    if best_at < 0 or value > best:  # the first real input starts the scan, even at -inf
                        best, best_at = value, h * W + col
                    if math.isnan(value):
                        nan_at = h * W + col
    if nan_at >= 0:  # torch's scan ends on the window's last NaN
        best, best_at = math.nan, nan_at
    out[q, oh, ow] = best
    argmax[q, oh, ow] = best_at


@cuda.jit(cache=True)
def _max_unpool_kernel(g, argmax, dx):
    """One thread per window: dx[q, argmax[q, k]] += g[q, k], atomically; g and argmax (P, K), dx (P, H*W) zeroed."""
    k = cuda.grid(1)
    P, K = g.shape
    if k >= P * K:
        return
    q, window = k // K, k % K
    cuda.atomic.add(dx, (q, argmax[q, window]), g[q, window])


def max_pool2d_forward(x, kernel_size, stride, padding, dilation=(1, 1), ceil_mode=False):
    """(out, argmax), each (N, C, OH, OW) on x's device; argmax int64. See the module docstring."""
    xp = array_module(x, op="max_pool2d")
    OH, OW = check_pool2d_args("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, H, W = x.shape
    out = xp.empty((N * C, OH, OW), x.dtype)
    argmax = xp.empty((N * C, OH, OW), np.int64)
    if out.size:
        blocks, threads = launch_1d(out.size)
        _max_pool_kernel[blocks, threads](xp.ascontiguousarray(x).reshape(N * C, H, W), *kernel_size, *stride,
                                          *padding, *dilation, out, argmax)
    return out.reshape(N, C, OH, OW), argmax.reshape(N, C, OH, OW)


def max_pool2d_backward(grad_out, argmax, x_shape):
    """dx of shape x_shape on grad_out's device, in its dtype: grad_out scattered through argmax."""
    xp = array_module(grad_out, argmax, op="max_pool2d backward")
    check_max_pool2d_grad(grad_out, argmax, x_shape)
    N, C, H, W = x_shape
    dx = xp.zeros((N * C, H * W), grad_out.dtype)
    g = xp.ascontiguousarray(grad_out).reshape(N * C, -1)
    if g.size:
        blocks, threads = launch_1d(g.size)
        _max_unpool_kernel[blocks, threads](g, xp.ascontiguousarray(argmax).reshape(N * C, -1), dx)
    return dx.reshape(x_shape)
