"""2-D convolution (cross-correlation, as ``torch.nn.functional.conv2d``), forward and backward.

Shapes: x (N, C, H, W), w (F, C, KH, KW), b (F,), out and its gradient g (N, F, OH, OW) with
OH = (H + 2*ph - KH) // sh + 1 and OW = (W + 2*pw - KW) // sw + 1; xpad is x with ph zero rows
above and below and pw zero columns left and right.

    out[n,f,oh,ow] = b[f] + sum_{c,i,j} w[f,c,i,j] * xpad[n, c, oh*sh + i, ow*sw + j]

Every output is a sum of products, so each gradient collects, for one input element, the
products it took part in:

    dL/db[f]       = sum_{n,oh,ow} g[n,f,oh,ow]
    dL/dw[f,c,i,j] = sum_{n,oh,ow} g[n,f,oh,ow] * xpad[n, c, oh*sh + i, ow*sw + j]
    dL/dxpad[n, c, oh*sh + i, ow*sw + j]  +=  g[n,f,oh,ow] * w[f,c,i,j]   for every n, f, oh, ow, c, i, j
    dL/dx = dL/dxpad without its padding

Two implementations with the same maths:

* ``*_numpy``: im2col. ``sliding_window_view`` sees every receptive field of xpad without copying,
  and one ``tensordot`` (a single GEMM) contracts it with the weights. The input gradient is
  scattered back one kernel offset (i, j) at a time ("col2im").
* ``*_numba``: direct loops over "planes" (below), compiled by numba, run in parallel over
  images and channels with ``prange``. No BLAS call, so numba's threads never compete with
  OpenBLAS's; ``numba.set_num_threads`` (or ``NUMBA_NUM_THREADS``) sets how many run.
"""
from collections import namedtuple

import numpy as np
from numba import njit, prange
from numpy.lib.stride_tricks import sliding_window_view

# reassoc lets LLVM vectorise the sums of products; no nnan/ninf, so NaN and inf propagate as in torch
_FASTMATH = {"reassoc", "contract"}


def _out_size(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


def _pad(x, padding):
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


# ----------------------------------------------------------------------------------------------
# numpy twin
# ----------------------------------------------------------------------------------------------

def _windows(xpad, kernel_shape, stride):
    """Every receptive field of xpad: a (N, C, OH, OW, KH, KW) view, no copy."""
    sh, sw = stride
    return sliding_window_view(xpad, kernel_shape, axis=(2, 3))[:, :, ::sh, ::sw]


def conv2d_forward_numpy(x, w, b, stride, padding):
    windows = _windows(_pad(x, padding), w.shape[2:], stride)
    # out[n,oh,ow,f] = sum_{c,i,j} windows[n,c,oh,ow,i,j] * w[f,c,i,j]
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    if b is not None:
        out = out + b[:, None, None]
    return np.ascontiguousarray(out, dtype=x.dtype)


def conv2d_backward_numpy(grad_out, x, w, stride, padding, needs=(True, True, True)):
    g = grad_out
    (sh, sw), (ph, pw) = stride, padding
    _, _, KH, KW = w.shape
    N, C, H, W = x.shape
    _, _, OH, OW = g.shape
    dx = dw = db = None
    if needs[0]:
        # dwindows[n,oh,ow,c,i,j] = sum_f g[n,f,oh,ow] * w[f,c,i,j]
        dwindows = np.tensordot(g, w, axes=([1], [0]))
        dxpad = np.zeros((N, C, H + 2 * ph, W + 2 * pw), x.dtype)
        for i in range(KH):
            for j in range(KW):
                # the inputs that kernel offset (i, j) touched, one per output position
                dxpad[:, :, i:i + sh * OH:sh, j:j + sw * OW:sw] += dwindows[..., i, j].transpose(0, 3, 1, 2)
        dx = np.ascontiguousarray(dxpad[:, :, ph:ph + H, pw:pw + W])
    if needs[1]:
        windows = _windows(_pad(x, padding), (KH, KW), stride)
        dw = np.tensordot(g, windows, axes=([0, 2, 3], [0, 2, 3])).astype(x.dtype, copy=False)
    if needs[2]:
        db = g.sum(axis=(0, 2, 3)).astype(x.dtype, copy=False)
    return dx, dw, db


# ----------------------------------------------------------------------------------------------
# numba path
#
# Planes. Pad x and cut it into stride phases: phase (a, b) of channel c holds xpad[c, a::sh, b::sw],
# a (Hq, Wq) grid with Hq = ceil(Hp / sh), Wq = ceil(Wp / sw). Kernel tap t = (c, i, j) reads phase
# (i % sh, j % sw) shifted by (i // sh, j // sw), so with every phase flattened into one row of
# length C*sh*sw*Hq*Wq per image, output (oh, ow) at "wide" position p = oh*Wq + ow reads
#
#     planes[n, offsets[t] + p]      offsets[t] = phase start + (i // sh) * Wq + j // sw
#
# whatever the stride. So every loop below runs over p with unit stride: long, contiguous and
# vectorised. Positions with ow >= OW ("junk" columns) are computed and thrown away, and the
# gradient is fed in with zeros there. p runs over L = (OH - 1) * Wq + OW values, which stay
# inside each phase.
# ----------------------------------------------------------------------------------------------

_Geometry = namedtuple("_Geometry", "OH OW Hq Wq L offsets")


def _geometry(x_shape, w_shape, stride, padding):
    """Output size, phase size, wide length and tap offsets for these shapes; see "Planes" above."""
    (_, C, H, W), (_, _, KH, KW) = x_shape, w_shape
    (sh, sw), (ph, pw) = stride, padding
    OH, OW = _out_size(H, KH, sh, ph), _out_size(W, KW, sw, pw)
    Hq, Wq = -(-(H + 2 * ph) // sh), -(-(W + 2 * pw) // sw)
    c, i, j = np.ogrid[:C, :KH, :KW]
    phase = (c * sh + i % sh) * sw + j % sw
    offsets = phase * (Hq * Wq) + (i // sh) * Wq + j // sw
    return _Geometry(OH, OW, Hq, Wq, (OH - 1) * Wq + OW, offsets.ravel().astype(np.int64))


def _to_planes(x, stride, padding, geo):
    """x (N, C, H, W) -> (N, C*sh*sw*Hq*Wq): padded, split into stride phases, flattened."""
    (sh, sw), (ph, pw), Hq, Wq = stride, padding, geo.Hq, geo.Wq
    N, C, H, W = x.shape
    xpad = np.zeros((N, C, Hq * sh, Wq * sw), x.dtype)
    xpad[:, :, ph:ph + H, pw:pw + W] = x
    phases = xpad.reshape(N, C, Hq, sh, Wq, sw).transpose(0, 1, 3, 5, 2, 4)
    return np.ascontiguousarray(phases).reshape(N, -1)


def _from_planes(planes, x_shape, stride, padding, geo):
    """Inverse of _to_planes: (N, C*sh*sw*Hq*Wq) -> (N, C, H, W)."""
    (sh, sw), (ph, pw), Hq, Wq = stride, padding, geo.Hq, geo.Wq
    N, C, H, W = x_shape
    xpad = planes.reshape(N, C, sh, sw, Hq, Wq).transpose(0, 1, 4, 2, 5, 3).reshape(N, C, Hq * sh, Wq * sw)
    return np.ascontiguousarray(xpad[:, :, ph:ph + H, pw:pw + W])


def _flat_weights(w, dtype):
    """w (F, C, KH, KW) -> (F, C*KH*KW), t = (c*KH + i)*KW + j as in _geometry's offsets."""
    return np.ascontiguousarray(w.reshape(w.shape[0], -1), dtype=dtype)


@njit(parallel=True, fastmath=_FASTMATH, cache=True)
def _forward_kernel(planes, w2, offsets, bias, Wq, out):
    """out[n,f,oh,ow] = bias[f] + sum_t w2[f,t] * planes[n, offsets[t] + oh*Wq + ow].

    planes (N, P); w2 (F, T) the weights with (c, i, j) flattened into t; out (N, F, OH, OW).
    """
    N = planes.shape[0]
    F, T = w2.shape
    _, _, OH, OW = out.shape
    L = (OH - 1) * Wq + OW
    pairs = (F + 1) // 2
    # two output channels (fa, fb) and four taps per sweep over p: each input element loaded
    # feeds two sums, and each sum is loaded and stored once per four multiply-adds
    for job in prange(N * pairs):
        n, fa = job // pairs, 2 * (job % pairs)
        fb = min(fa + 1, F - 1)  # with F odd the last pair computes channel F-1 twice
        xn, wa, wb = planes[n], w2[fa], w2[fb]
        acc_a, acc_b = np.empty(L, planes.dtype), np.empty(L, planes.dtype)
        acc_a[:], acc_b[:] = bias[fa], bias[fb]
        t = 0
        while t + 4 <= T:
            x0, x1 = xn[offsets[t]:offsets[t] + L], xn[offsets[t + 1]:offsets[t + 1] + L]
            x2, x3 = xn[offsets[t + 2]:offsets[t + 2] + L], xn[offsets[t + 3]:offsets[t + 3] + L]
            a0, a1, a2, a3 = wa[t], wa[t + 1], wa[t + 2], wa[t + 3]
            b0, b1, b2, b3 = wb[t], wb[t + 1], wb[t + 2], wb[t + 3]
            for p in range(L):
                v0, v1, v2, v3 = x0[p], x1[p], x2[p], x3[p]
                acc_a[p] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3
                acc_b[p] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3
            t += 4
        for t in range(t, T):
            x0, a0, b0 = xn[offsets[t]:offsets[t] + L], wa[t], wb[t]
            for p in range(L):
                acc_a[p] += a0 * x0[p]
                acc_b[p] += b0 * x0[p]
        for oh in range(OH):
            out[n, fa, oh, :] = acc_a[oh * Wq:oh * Wq + OW]
            out[n, fb, oh, :] = acc_b[oh * Wq:oh * Wq + OW]


@njit(parallel=True, fastmath=_FASTMATH, cache=True)
def _input_grad_kernel(grads, w2, offsets, L, dplanes):
    """dplanes[n, offsets[t] + p] += sum_f w2[f,t] * grads[n,f,p] for p < L  (dplanes zeroed by the caller).

    grads (N, F, OH*Wq) in the wide layout, zero in the junk columns, which would otherwise land
    on real inputs. One image per thread: the taps of one image overlap, different images don't.
    """
    N, F, _ = grads.shape
    T = offsets.shape[0]
    for n in prange(N):
        gn, dn = grads[n], dplanes[n]
        for t in range(T):
            d = dn[offsets[t]:offsets[t] + L]
            f = 0
            # four output channels per sweep, for the same reason as the four taps above
            while f + 4 <= F:
                g0, g1, g2, g3 = gn[f], gn[f + 1], gn[f + 2], gn[f + 3]
                w0, w1, w2_, w3 = w2[f, t], w2[f + 1, t], w2[f + 2, t], w2[f + 3, t]
                for p in range(L):
                    d[p] += w0 * g0[p] + w1 * g1[p] + w2_ * g2[p] + w3 * g3[p]
                f += 4
            for f in range(f, F):
                g0, w0 = gn[f], w2[f, t]
                for p in range(L):
                    d[p] += w0 * g0[p]


@njit(parallel=True, fastmath=_FASTMATH, cache=True)
def _weight_grad_kernel(grads, planes, offsets, L, zero, dw_per_image):
    """dw_per_image[n,f,t] = sum_{p<L} grads[n,f,p] * planes[n, offsets[t] + p].

    grads (N, F, OH*Wq) zero in the junk columns; zero is 0 in the arrays' dtype, so the sums
    stay in it. One partial sum per image keeps the threads' writes apart; the caller adds
    them up over n.
    """
    N, F, _ = grads.shape
    T = offsets.shape[0]
    for n in prange(N):
        xn = planes[n]
        # two output channels and four taps per sweep: eight sums from six loads per p
        for fa in range(0, F, 2):
            fb = min(fa + 1, F - 1)  # with F odd the last pair computes channel F-1 twice
            ga, gb = grads[n, fa], grads[n, fb]
            t = 0
            while t + 4 <= T:
                x0, x1 = xn[offsets[t]:offsets[t] + L], xn[offsets[t + 1]:offsets[t + 1] + L]
                x2, x3 = xn[offsets[t + 2]:offsets[t + 2] + L], xn[offsets[t + 3]:offsets[t + 3] + L]
                a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = zero
                for p in range(L):
                    v0, v1, v2, v3 = x0[p], x1[p], x2[p], x3[p]
                    a0 += ga[p] * v0
                    a1 += ga[p] * v1
                    a2 += ga[p] * v2
                    a3 += ga[p] * v3
                    b0 += gb[p] * v0
                    b1 += gb[p] * v1
                    b2 += gb[p] * v2
                    b3 += gb[p] * v3
                dw_per_image[n, fa, t], dw_per_image[n, fa, t + 1] = a0, a1
                dw_per_image[n, fa, t + 2], dw_per_image[n, fa, t + 3] = a2, a3
                dw_per_image[n, fb, t], dw_per_image[n, fb, t + 1] = b0, b1
                dw_per_image[n, fb, t + 2], dw_per_image[n, fb, t + 3] = b2, b3
                t += 4
            for t in range(t, T):
                x0 = xn[offsets[t]:offsets[t] + L]
                a0 = b0 = zero
                for p in range(L):
                    a0 += ga[p] * x0[p]
                    b0 += gb[p] * x0[p]
                dw_per_image[n, fa, t], dw_per_image[n, fb, t] = a0, b0


def conv2d_forward_numba(x, w, b, stride, padding):
    F = w.shape[0]
    geo = _geometry(x.shape, w.shape, stride, padding)
    bias = np.zeros(F, x.dtype) if b is None else np.ascontiguousarray(b, dtype=x.dtype)
    out = np.empty((x.shape[0], F, geo.OH, geo.OW), x.dtype)
    _forward_kernel(_to_planes(x, stride, padding, geo), _flat_weights(w, x.dtype), geo.offsets, bias, geo.Wq, out)
    return out


def conv2d_backward_numba(grad_out, x, w, stride, padding, needs=(True, True, True)):
    if not (np.isfinite(x).all() and np.isfinite(w).all()):
        # the junk columns multiply zero gradients by real inputs and weights, and 0 * inf is
        # NaN where torch has a finite number: the twin touches only real windows
        return conv2d_backward_numpy(grad_out, x, w, stride, padding, needs)
    N, F, OH, OW = grad_out.shape
    geo = _geometry(x.shape, w.shape, stride, padding)
    dx = dw = db = None
    if needs[0] or needs[1]:
        grads = np.zeros((N, F, OH * geo.Wq), x.dtype)
        grads.reshape(N, F, OH, geo.Wq)[..., :OW] = grad_out
    if needs[0]:
        dplanes = np.zeros((N, x.shape[1] * stride[0] * stride[1] * geo.Hq * geo.Wq), x.dtype)
        _input_grad_kernel(grads, _flat_weights(w, x.dtype), geo.offsets, geo.L, dplanes)
        dx = _from_planes(dplanes, x.shape, stride, padding, geo)
    if needs[1]:
        dw_per_image = np.empty((N, F, geo.offsets.size), x.dtype)
        planes = _to_planes(x, stride, padding, geo)
        _weight_grad_kernel(grads, planes, geo.offsets, geo.L, x.dtype.type(0), dw_per_image)
        dw = dw_per_image.sum(axis=0).reshape(w.shape)
    if needs[2]:
        db = grad_out.sum(axis=(0, 2, 3), dtype=x.dtype)
    return dx, dw, db
