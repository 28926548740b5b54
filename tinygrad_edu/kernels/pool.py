"""2-D max pooling (as ``torch.nn.functional.max_pool2d``), forward and backward.

Shapes: x (N, C, H, W); out, argmax and the gradient g (N, C, OH, OW) with
OH = (H + 2*ph - KH) // sh + 1, OW = (W + 2*pw - KW) // sw + 1. Padding counts as -inf, so it
never wins a window (torch requires ph <= KH/2 and pw <= KW/2, so every window holds a real input).

    out[n,c,oh,ow]    = max of x[n, c, oh*sh - ph + i, ow*sw - pw + j] over the window's real inputs
    argmax[n,c,oh,ow] = h*W + w of that maximum in the unpadded plane of x

Ties go to the first maximum in row-major scan order, and a NaN wins over everything (the last
NaN of the window, if several): exactly torch's CPU kernel, which keeps a candidate while scanning
and replaces it when ``value > best or isnan(value)``.

The output is a copy of one input per window, so its derivative is 1 for that input and 0 for
the others:

    dL/dx[n, c, h, w] = sum of g[n,c,oh,ow] over the windows whose argmax is h*W + w

(a sum, because with stride < kernel one input can be the maximum of several windows).
"""
import numpy as np
from numba import njit, prange

# ----------------------------------------------------------------------------------------------
# numpy twin
# ----------------------------------------------------------------------------------------------


def max_pool2d_forward_numpy(x, kernel_size, stride, padding):
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    N, C, H, W = x.shape
    OH, OW = (H + 2 * ph - KH) // sh + 1, (W + 2 * pw - KW) // sw + 1
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    top = np.arange(OH)[:, None] * sh - ph  # window corners in unpadded coordinates, (OH, 1)
    left = np.arange(OW)[None, :] * sw - pw  # (1, OW)
    # torch's scan, done for all windows at once, one kernel offset (i, j) at a time
    out = np.full((N, C, OH, OW), -np.inf, x.dtype)
    argmax = np.broadcast_to(np.maximum(top, 0) * W + np.maximum(left, 0), out.shape).copy()
    for i in range(KH):
        for j in range(KW):
            value = xpad[:, :, i:i + sh * (OH - 1) + 1:sh, j:j + sw * (OW - 1) + 1:sw]
            better = (value > out) | np.isnan(value)
            out = np.where(better, value, out)
            argmax = np.where(better, (top + i) * W + (left + j), argmax)
    return out, argmax.astype(np.int64)


def max_pool2d_backward_numpy(grad_out, argmax, x_shape):
    N, C, H, W = x_shape
    dx = np.zeros((N * C, H * W), grad_out.dtype)
    plane = np.arange(N * C)[:, None]
    # add.at, not +=, so that an input picked by several windows gets all their gradients
    np.add.at(dx, (plane, argmax.reshape(N * C, -1)), grad_out.reshape(N * C, -1))
    return dx.reshape(x_shape)


# ----------------------------------------------------------------------------------------------
# numba path: the same scan as loops, planes (n, c) shared out among numba's threads
# ----------------------------------------------------------------------------------------------

@njit(parallel=True, cache=True)
def _max_pool_kernel(x, KH, KW, sh, sw, ph, pw, out, argmax):
    """x (P, H, W) with P = N*C planes; out and argmax (P, OH, OW)."""
    P, H, W = x.shape
    _, OH, OW = out.shape
    for q in prange(P):
        plane = x[q]
        for oh in range(OH):
            top = oh * sh - ph
            h0, h1 = max(top, 0), min(top + KH, H)
            for ow in range(OW):
                left = ow * sw - pw
                w0, w1 = max(left, 0), min(left + KW, W)
                best, best_at, nan_at = -np.inf, h0 * W + w0, -1
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        value = plane[h, w]
                        # two separate ifs, not "value > best or isnan(value)": each compiles to a
                        # branch-free select, which made this kernel 3x faster
                        if value > best:
                            best, best_at = value, h * W + w
                        if np.isnan(value):
                            nan_at = h * W + w
                if nan_at >= 0:  # torch's scan ends on the window's last NaN
                    best, best_at = np.nan, nan_at
                out[q, oh, ow] = best
                argmax[q, oh, ow] = best_at


@njit(parallel=True, cache=True)
def _max_unpool_kernel(grad, argmax, dx):
    """dx[q, argmax[q, k]] += grad[q, k]; grad and argmax (P, OH*OW), dx (P, H*W) zeroed."""
    for q in prange(grad.shape[0]):
        for k in range(grad.shape[1]):
            dx[q, argmax[q, k]] += grad[q, k]


def max_pool2d_forward_numba(x, kernel_size, stride, padding):
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    N, C, H, W = x.shape
    OH, OW = (H + 2 * ph - KH) // sh + 1, (W + 2 * pw - KW) // sw + 1
    out = np.empty((N * C, OH, OW), x.dtype)
    argmax = np.empty((N * C, OH, OW), np.int64)
    _max_pool_kernel(np.ascontiguousarray(x).reshape(N * C, H, W), KH, KW, sh, sw, ph, pw, out, argmax)
    return out.reshape(N, C, OH, OW), argmax.reshape(N, C, OH, OW)


def max_pool2d_backward_numba(grad_out, argmax, x_shape):
    N, C, H, W = x_shape
    dx = np.zeros((N * C, H * W), grad_out.dtype)
    _max_unpool_kernel(np.ascontiguousarray(grad_out).reshape(N * C, -1),
                       np.ascontiguousarray(argmax, dtype=np.int64).reshape(N * C, -1), dx)
    return dx.reshape(x_shape)
