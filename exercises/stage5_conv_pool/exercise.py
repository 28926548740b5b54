"""Stage 5: convolution and max pooling on numpy arrays, then one numba kernel.

Shapes: x (N, C, H, W), w (F, C, KH, KW), b (F,) or None; stride, padding, kernel_size are
pairs (sh, sw), (ph, pw), (KH, KW). Outputs have x's dtype.
"""
from __future__ import annotations

import numba  # noqa: F401  (numba.njit(cache=True), for part 4)
import numpy as np  # noqa: F401


def conv2d_forward(x, w, b, stride, padding):
    """out (N, F, OH, OW) = b[f] + sum_{c,i,j} w[f,c,i,j] * xpad[n, c, oh*sh + i, ow*sw + j]"""
    raise NotImplementedError("conv2d_forward: pad x, then add up the kernel offsets")


def conv2d_backward(grad_out, x, w, stride, padding):
    """(dx like x, dw like w, db (F,)) from grad_out (N, F, OH, OW)."""
    raise NotImplementedError("conv2d_backward: db, dw over the windows, dx scattered back")


def max_pool2d_forward(x, kernel_size, stride, padding):
    """(out (N, C, OH, OW), argmax (N, C, OH, OW) int64 = h*W + w of each maximum)."""
    raise NotImplementedError("max_pool2d_forward: pad with -inf, keep the first maximum and where it was")


def max_pool2d_backward(grad_out, argmax, x_shape):
    """dx of shape x_shape: each grad_out[n,c,oh,ow] added at argmax[n,c,oh,ow] of its plane."""
    raise NotImplementedError("max_pool2d_backward: np.add.at into a zero (N*C, H*W) array")


def conv2d_forward_numba(x, w, b, stride, padding):
    """conv2d_forward again, as plain loops inside a @numba.njit(cache=True) function."""
    raise NotImplementedError("conv2d_forward_numba: write the loops in a jitted function and call it")
