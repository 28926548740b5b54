"""2-D convolution (cross-correlation, as ``torch.nn.functional.conv2d``), forward and backward.

Shapes: x (N, C, H, W), w (F, C/G, KH, KW) with G = groups, b (F,), out and its gradient
g (N, F, OH, OW) with OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1 (OW likewise); xpad is x with
ph zero rows above and below and pw zero columns left and right. Group k holds input channels
k*C/G .. (k+1)*C/G - 1 and output channels k*F/G .. (k+1)*F/G - 1; c runs over its input channels:

    out[n,f,oh,ow] = b[f] + sum_{c,i,j} w[f,c,i,j] * xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]

Every output is a sum of products, so each gradient collects, for one input element, the
products it took part in:

    dL/db[f]       = sum_{n,oh,ow} g[n,f,oh,ow]
    dL/dw[f,c,i,j] = sum_{n,oh,ow} g[n,f,oh,ow] * xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]
    dL/dxpad[n, c, oh*sh + i*dh, ow*sw + j*dw]  +=  g[n,f,oh,ow] * w[f,c,i,j]   for every n, f, oh, ow, c, i, j
    dL/dx = dL/dxpad without its padding

Two implementations with the same maths:

* ``*_numpy``: im2col. ``sliding_window_view`` sees every receptive field of xpad without copying,
  and one ``tensordot`` (a single GEMM) per group contracts it with the weights. The input
  gradient is scattered back one kernel offset (i, j) at a time ("col2im"). Integer inputs
  (int64 and the like, which torch accepts) run here only, exactly, in their own dtype.
* ``*_numba``: direct loops over "planes" (below), compiled by numba, run in parallel over
  images and channels by ``threads.run_split``; the forward pass keeps its sums in SIMD registers
  (``simd.py``), the backward's loops are vectorised by LLVM. No BLAS call, so the kernels' threads never
  compete with OpenBLAS's; ``numba.set_num_threads`` (or ``NUMBA_NUM_THREADS``) sets how many run.

Both entry points first call ``check_conv2d_args`` (or ``check_conv2d_grad``), the one place
where shapes, dtypes and options are checked, so no call reaches a loop with arrays that
disagree: a wrong call raises PyTorch's error instead of reading outside an array.
"""
from collections import namedtuple
from functools import lru_cache

import numpy as np
from numba import njit, prange
from numpy.lib.stride_tricks import sliding_window_view

from . import simd
from .threads import run_split

# reassoc lets LLVM vectorise the sums of products; no nnan/ninf, so NaN and inf propagate as in torch
_FASTMATH = {"reassoc", "contract"}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_INTS = tuple(np.dtype(t) for t in (np.int64, np.int32, np.int16, np.int8, np.uint8))
_TORCH_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def dtype_name(dtype) -> str:
    """torch's name for a numpy dtype: float32 -> "Float"."""
    return _TORCH_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _check_array(a, what: str, op: str) -> None:
    """Anything with .shape, .dtype and .ndim: numpy, CuPy, numba's device arrays (the CUDA wrappers'
    inputs) pass; the checks read only those, never the numbers, so a GPU array stays where it is."""
    if not all(hasattr(a, name) for name in ("shape", "dtype", "ndim")):
        raise TypeError(f"{op}: expected {what} to be a numpy array or a GPU array, but got {type(a).__name__}")


def _check_ints(values, n: int, what: str, op: str) -> tuple:
    ok = isinstance(values, tuple) and len(values) == n and all(isinstance(v, (int, np.integer))
                                                                  and not isinstance(v, bool) for v in values)
    if not ok:
        raise RuntimeError(f"{op}: expected {what} to be a single integer value or a list of {n} values, "
                           f"but got {what}={values!r}")
    return tuple(int(v) for v in values)


def check_conv2d_args(x, w, b, stride, padding, dilation, groups, allow_int: bool):
    """Check a conv2d call and return its output size (OH, OW); raise PyTorch's error if it is wrong.

    x (N, C, H, W), w (F, C/groups, KH, KW), b (F,) or None, all of one dtype: float32 or float64
    (or an integer dtype where ``allow_int``). stride, dilation > 0 and padding >= 0, pairs of ints.
    """
    op = "conv2d"
    _check_array(x, "input", op)
    _check_array(w, "weight", op)
    if b is not None:
        _check_array(b, "bias", op)
    (sh, sw), (ph, pw) = _check_ints(stride, 2, "stride", op), _check_ints(padding, 2, "padding", op)
    dh, dw = _check_ints(dilation, 2, "dilation", op)
    (groups,) = _check_ints((groups,), 1, "groups", op)
    if x.ndim != 4:
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
                           f"{list(x.shape)}")
    if w.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4D weight (out_channels, in_channels/groups, kH, kW), but got "
                           f"weight of size {list(w.shape)}")
    allowed = _FLOATS + (_INTS if allow_int else ())
    if x.dtype not in allowed:
        raise RuntimeError(f'"conv2d" not implemented for \'{dtype_name(x.dtype)}\''
                           + ("" if allow_int or x.dtype.kind == "f" else " on the numba path (use the numpy twin)"))
    for other in (w, b):
        if other is not None and other.dtype != x.dtype:
            raise RuntimeError(f"conv2d: expected scalar type {dtype_name(x.dtype)} but found "
                               f"{dtype_name(other.dtype)} (input {dtype_name(x.dtype)}, weight "
                               f"{dtype_name(w.dtype)}{'' if b is None else ', bias ' + dtype_name(b.dtype)})")
    if min(sh, sw) <= 0:
        raise RuntimeError(f"conv2d: non-positive stride is not supported, but got stride={[sh, sw]}")
    if min(ph, pw) < 0:
        raise RuntimeError(f"conv2d: negative padding is not supported, but got padding={[ph, pw]}")
    if min(dh, dw) <= 0:
        raise RuntimeError(f"conv2d: dilation should be greater than zero, but got {[dh, dw]}")
    if groups <= 0:
        raise RuntimeError(f"conv2d: non-positive groups is not supported, but got groups={groups}")
    (N, C, H, W), (F, Cg, KH, KW) = x.shape, w.shape
    if F % groups:
        raise RuntimeError(f"conv2d: Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size {list(w.shape)} instead")
    if C != Cg * groups:
        raise RuntimeError(f"conv2d: Given groups={groups}, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {Cg * groups} channels, but got {C} channels instead")
    if b is not None and tuple(b.shape) != (F,):
        raise RuntimeError(f"conv2d: Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with {F} "
                           f"elements, but got bias of size {list(b.shape)} instead")
    eh, ew = dh * (KH - 1) + 1, dw * (KW - 1) + 1
    if H + 2 * ph < eh or W + 2 * pw < ew:
        raise RuntimeError(f"conv2d: Calculated padded input size per channel: ({H + 2 * ph} x {W + 2 * pw}). "
                           f"Kernel size: ({eh} x {ew}). Kernel size can't be greater than actual input size")
    return (H + 2 * ph - eh) // sh + 1, (W + 2 * pw - ew) // sw + 1


def check_conv2d_grad(grad_out, x, w, stride, padding, dilation, groups, allow_int: bool):
    """check_conv2d_args, and grad_out (N, F, OH, OW) in x's dtype."""
    OH, OW = check_conv2d_args(x, w, None, stride, padding, dilation, groups, allow_int)
    _check_array(grad_out, "grad_output", "conv2d backward")
    expected = (x.shape[0], w.shape[0], OH, OW)
    if tuple(grad_out.shape) != expected:
        raise RuntimeError(f"conv2d backward: expected grad_output of size {list(expected)} (the output's), but got "
                           f"{list(grad_out.shape)}, for input {list(x.shape)} and weight {list(w.shape)}")
    if grad_out.dtype != x.dtype:
        raise RuntimeError(f"conv2d backward: expected grad_output of scalar type {dtype_name(x.dtype)} but found "
                           f"{dtype_name(grad_out.dtype)}")
    return OH, OW


def _pad(x, padding):
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def _group_slices(groups, C, F):
    """(input channels, output channels) of each group, as slices."""
    Cg, Fg = C // groups, F // groups
    return [(slice(k * Cg, (k + 1) * Cg), slice(k * Fg, (k + 1) * Fg)) for k in range(groups)]


# ----------------------------------------------------------------------------------------------
# numpy twin
# ----------------------------------------------------------------------------------------------

def _windows(xpad, kernel_shape, stride, dilation):
    """Every receptive field of xpad: a (N, C, OH, OW, KH, KW) view, no copy."""
    (KH, KW), (sh, sw), (dh, dw) = kernel_shape, stride, dilation
    spans = (dh * (KH - 1) + 1, dw * (KW - 1) + 1)
    return sliding_window_view(xpad, spans, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]


def conv2d_forward_numpy(x, w, b, stride, padding, dilation=(1, 1), groups=1):
    check_conv2d_args(x, w, b, stride, padding, dilation, groups, allow_int=True)
    windows = _windows(_pad(x, padding), w.shape[2:], stride, dilation)
    # out[n,oh,ow,f] = sum_{c,i,j} windows[n,c,oh,ow,i,j] * w[f,c,i,j], within each group
    out = np.concatenate([np.tensordot(windows[:, cs], w[fs], axes=([1, 4, 5], [1, 2, 3]))
                          for cs, fs in _group_slices(groups, x.shape[1], w.shape[0])], axis=3)
    out = out.transpose(0, 3, 1, 2)
    if b is not None:
        out = out + b[:, None, None]
    return np.ascontiguousarray(out, dtype=x.dtype)


def conv2d_backward_numpy(grad_out, x, w, stride, padding, needs=(True, True, True), dilation=(1, 1), groups=1):
    check_conv2d_grad(grad_out, x, w, stride, padding, dilation, groups, allow_int=True)
    g = grad_out
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    _, _, KH, KW = w.shape
    N, C, H, W = x.shape
    _, _, OH, OW = g.shape
    slices = _group_slices(groups, C, w.shape[0])
    dx = dw_ = db = None
    if needs[0]:
        # dwindows[n,oh,ow,c,i,j] = sum_f g[n,f,oh,ow] * w[f,c,i,j], f in c's group
        dwindows = np.concatenate([np.tensordot(g[:, fs], w[fs], axes=([1], [0])) for _, fs in slices], axis=3)
        dxpad = np.zeros((N, C, H + 2 * ph, W + 2 * pw), x.dtype)
        for i in range(KH):
            for j in range(KW):
                # the inputs that kernel offset (i, j) touched, one per output position
                dxpad[:, :, i * dh:i * dh + sh * OH:sh, j * dw:j * dw + sw * OW:sw] += \
                    dwindows[..., i, j].transpose(0, 3, 1, 2)
        dx = np.ascontiguousarray(dxpad[:, :, ph:ph + H, pw:pw + W])
    if needs[1]:
        windows = _windows(_pad(x, padding), (KH, KW), stride, dilation)
        dw_ = np.concatenate([np.tensordot(g[:, fs], windows[:, cs], axes=([0, 2, 3], [0, 2, 3]))
                              for cs, fs in slices], axis=0).astype(x.dtype, copy=False)
    if needs[2]:
        db = g.sum(axis=(0, 2, 3)).astype(x.dtype, copy=False)
    return dx, dw_, db


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
# vectorised (the forward's in simd vectors of p, the backward's by LLVM). Positions with
# ow >= OW ("junk" columns) are computed and thrown away, and the gradient is fed in with zeros
# there. p runs over (OH - 1) * Wq + OW values, which stay inside each phase, rounded up to L, a
# multiple of _LANES: each sweep is then whole vector registers, with no scalar remainder loop
# (that remainder was a third of the weight gradient's time on conv2's shapes, L = 222). A planes
# row ends with L - ((OH - 1) * Wq + OW) zeros, so the last taps' sweeps stay inside it; the extra
# positions are junk like the junk columns.
#
# The backward kernels' job is one image: each lays that image's gradient out as wide rows in a
# scratch array of its own (and sums them for db there), so that work runs on every thread, in the
# cache (done in numpy before the kernels, the copy and db's reduction were a quarter of conv2's
# backward at two threads). The input gradient of a stride-1 convolution needs no kernel of its
# own: it is a convolution of the output's gradient (``_input_grad_by_convolution``), done by the
# forward kernel. Compiled, the scatter kernel for strided convolutions cost 0.8 s of a first start
# that never uses it (the tutorial's convolutions have stride 1).
# ----------------------------------------------------------------------------------------------

_LANES = 16  # float32 values in a simd vector, twice its float64 ones: L is a multiple of both
_Geometry = namedtuple("_Geometry", "OH OW Hq Wq L row offsets group_size")


@lru_cache(maxsize=64)  # a model calls each conv with the same shapes at every step: 20 us each time
def _geometry(x_shape, w_shape, stride, padding, dilation):
    """Output size, phase size, wide length L, planes row length, tap offsets and one group's share
    of a planes row for these shapes; see "Planes" above.

    With dilation (dh, dw), tap (c, i, j) reads xpad row oh*sh + i*dh: phase (i*dh % sh, j*dw % sw)
    shifted by (i*dh // sh, j*dw // sw). The offsets cover the C/G channels of the first group;
    group k's taps are the same plus k * group_size, group_size = (C/G) * sh * sw * Hq * Wq.
    They end with zeros up to a multiple of 4 taps: the weight gradient sweeps four taps at a
    time with no loop for the rest, so the extra taps read the image's first L values and their
    sums are thrown away (one loop less to compile: 0.2 s of a cold start).
    """
    (_, C, H, W), (_, Cg, KH, KW) = x_shape, w_shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    OH, OW = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1, (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    Hq, Wq = -(-(H + 2 * ph) // sh), -(-(W + 2 * pw) // sw)
    c, i, j = np.ogrid[:Cg, :KH, :KW]
    phase = (c * sh + i * dh % sh) * sw + j * dw % sw
    offsets = phase * (Hq * Wq) + (i * dh // sh) * Wq + j * dw // sw
    wide = (OH - 1) * Wq + OW
    L = -(-wide // _LANES) * _LANES
    offsets = np.concatenate([offsets.ravel(), np.zeros(-offsets.size % 4, offsets.dtype)]).astype(np.int64)
    offsets.flags.writeable = False  # shared by every call with these shapes
    return _Geometry(OH, OW, Hq, Wq, L, C * sh * sw * Hq * Wq + L - wide, offsets, Cg * sh * sw * Hq * Wq)


@lru_cache(maxsize=64)
def _phase_copies(x_shape, stride, padding):
    """Where x sits in the stride phases: for each phase (a, b), the slices (x_part, phase_part) such
    that phases[:, :, a, b][phase_part] = x[x_part] (phases as ``_phases`` views them).

    Phase (a, b) holds xpad rows a, a + sh, ... and columns b, b + sw, ...: x's rows h with
    h + ph = a (mod sh) land there from row (h + ph - a) // sh on, its columns likewise.
    """
    (sh, sw), (ph, pw), (_, _, H, W) = stride, padding, x_shape
    copies = []
    for a in range(sh):
        h0 = (a - ph) % sh  # x's first row in phase row a
        rows = len(range(h0, H, sh))
        for b in range(sw):
            w0 = (b - pw) % sw
            cols = len(range(w0, W, sw))
            i0, j0 = (h0 + ph) // sh, (w0 + pw) // sw
            copies.append(((a, b), (..., slice(h0, None, sh), slice(w0, None, sw)),
                           (..., slice(i0, i0 + rows), slice(j0, j0 + cols))))
    return tuple(copies)


def _to_planes(x, stride, padding, geo):
    """x (N, C, H, W) -> (N, geo.row): padded, split into stride phases, flattened, zeros at the end;
    one strided copy per phase (one in all at stride 1) into zeros."""
    planes = np.zeros((x.shape[0], geo.row), x.dtype)
    phases = _phases(planes, x.shape[1], stride, geo)
    for (a, b), x_part, phase_part in _phase_copies(x.shape, stride, padding):
        phases[:, :, a, b][phase_part] = x[x_part]
    return planes


def _from_planes(planes, x_shape, stride, padding, geo):
    """Inverse of _to_planes: (N, geo.row) -> (N, C, H, W), the padding dropped."""
    x = np.empty(x_shape, planes.dtype)
    phases = _phases(planes, x_shape[1], stride, geo)
    for (a, b), x_part, phase_part in _phase_copies(x_shape, stride, padding):
        x[x_part] = phases[:, :, a, b][phase_part]
    return x


def _phases(planes, C, stride, geo):
    """The (N, C, sh, sw, Hq, Wq) view of a planes array without its trailing zeros."""
    (sh, sw), Hq, Wq = stride, geo.Hq, geo.Wq
    return planes[:, :C * sh * sw * Hq * Wq].reshape(planes.shape[0], C, sh, sw, Hq, Wq)


def _flat_weights(w):
    """w (F, C, KH, KW) -> (F, C*KH*KW), t = (c*KH + i)*KW + j as in _geometry's offsets."""
    return np.ascontiguousarray(w.reshape(w.shape[0], -1))


@njit(nogil=True, cache=True, inline="always")
def _real_columns(wide_row, Wq, dst):
    """dst (OH, OW) = the real columns of one wide row: dst[oh, ow] = wide_row[oh*Wq + ow].
    A vector at a time, masked to the row's OW values (``simd``): conv2's 14-value rows are one
    masked load and store each instead of 14 scalar copies."""
    OH, OW = dst.shape
    flat = dst.reshape(OH * OW)
    V = simd.lanes(flat)
    for oh in range(OH):
        for ow in range(0, OW, V):
            n = min(V, OW - ow)
            simd.store_first(flat, oh * OW + ow, simd.load_first(wide_row, oh * Wq + ow, n), n)


@njit(nogil=True, cache=True)
def _forward_kernel(start, stop, planes, wt, offsets, bias, F, L, Wq, f0, out):
    """out[n, f0 + f] = the real columns of wide[f] for f < F, where
    wide[f,p] = bias[f] + sum_t wt[t,f] * planes[n, offsets[t] + p] for p < L, for the jobs
    start..stop-1 of N * ceil(F/8): job (n, k) makes channels 8k .. 8k + 7 of image n.

    planes (N, P); wt (T, >= 8 ceil(F/8)) the weights with (c, i, j) flattened into t, one row per
    tap, and bias, both with zeros for the channels past F that fill the last block of 8; out
    (N, F_all, OH, OW) the output, of which these are the channels f0 .. f0 + F - 1 (one group's).
    For each vector of positions p .. p + lanes - 1 (``simd``), the 8 channels' sums stay in 8
    registers through all T taps: each tap loads one vector of inputs and adds it, times each
    channel's weight, to the 8 sums, which are stored once, into wide, a scratch array of this
    call's own. (Loops vectorised by LLVM sweep p innermost and so store and reload their sums
    every few taps: conv2's forward took 1.4-1.5x this time on one thread.) Each job then copies its
    real channels' columns out of wide while it is in the cache.
    """
    T = wt.shape[0]
    OH = out.shape[2]
    wide = np.empty((8, max(OH * Wq, L)), planes.dtype)
    V = simd.lanes(wide[0])  # L is a multiple of it
    blocks = (F + 7) // 8
    for job in range(start, stop):
        n, fa = job // blocks, 8 * (job % blocks)
        xn = planes[n]
        for p in range(0, L, V):
            s0, s1, s2, s3 = (simd.splat(bias[fa]), simd.splat(bias[fa + 1]), simd.splat(bias[fa + 2]),
                              simd.splat(bias[fa + 3]))
            s4, s5, s6, s7 = (simd.splat(bias[fa + 4]), simd.splat(bias[fa + 5]), simd.splat(bias[fa + 6]),
                              simd.splat(bias[fa + 7]))
            for t in range(T):
                x, w = simd.load(xn, offsets[t] + p), wt[t, fa:fa + 8]
                s0 = simd.mul_add(simd.splat(w[0]), x, s0)
                s1 = simd.mul_add(simd.splat(w[1]), x, s1)
                s2 = simd.mul_add(simd.splat(w[2]), x, s2)
                s3 = simd.mul_add(simd.splat(w[3]), x, s3)
                s4 = simd.mul_add(simd.splat(w[4]), x, s4)
                s5 = simd.mul_add(simd.splat(w[5]), x, s5)
                s6 = simd.mul_add(simd.splat(w[6]), x, s6)
                s7 = simd.mul_add(simd.splat(w[7]), x, s7)
            simd.store(wide[0], p, s0)
            simd.store(wide[1], p, s1)
            simd.store(wide[2], p, s2)
            simd.store(wide[3], p, s3)
            simd.store(wide[4], p, s4)
            simd.store(wide[5], p, s5)
            simd.store(wide[6], p, s6)
            simd.store(wide[7], p, s7)
        for f in range(fa, min(fa + 8, F)):  # one call site: numba inlines it once
            _real_columns(wide[f - fa], Wq, out[n, f0 + f])


@njit(nogil=True, cache=True, inline="always")
def _image_to_wide(g, n, Wq, rows, sums):
    """rows (F, >= OH*Wq) = g[n] (F, OH, OW) in the wide layout, zeros in the junk columns and after;
    sums (F,) = g[n] summed over each channel. A vector at a time (``simd``): masked loads read a
    row's OW values and give zeros past them, and whole vectors store the row and its junk columns
    (14-value rows as scalar copies were most of conv2's backward when only db was wanted). numba
    inlines it into the backward kernel: compiled as a function of its own, it added 0.3 s to a cold
    start."""
    F, OH, OW = g.shape[1], g.shape[2], g.shape[3]
    for f in range(F):
        src, dst = g[n, f].reshape(OH * OW), rows[f]
        V = simd.lanes(dst)
        for oh in range(OH):
            for ow in range(0, Wq, V):
                simd.store_first(dst, oh * Wq + ow, simd.load_first(src, oh * OW + ow, max(0, min(V, OW - ow))),
                                 min(V, Wq - ow))
        total = sums.dtype.type(0)
        for p in range(OH * Wq):
            total += dst[p]
        sums[f] = total
        for p in range(OH * Wq, dst.shape[0]):
            dst[p] = 0


@njit(nogil=True, fastmath=_FASTMATH, cache=True)
def _backward_kernel(start, stop, g, planes, offsets, Wq, L, Fg, group_size, zero, dw_per_image, db_per_image):
    """dw and db of the images n in start..stop-1; g (N, F, OH, OW) the output's gradient.

    db_per_image[n, f] = the sum of g[n, f]. With dw_per_image (N, F, offsets.size) not empty, and
    planes (N, row) x as planes:
        dw_per_image[n,f,t] = sum_p grads[f,p] * planes[n, offsets[t] + k * group_size + p]   (f in group k).
    grads is g[n] in the wide layout, zero in the junk positions (which would otherwise meet real
    inputs); zero is 0 in the arrays' dtype, so the sums stay in it. One partial dw and db per image
    keeps the threads' writes apart; the caller adds them up and drops the taps t >= T that only pad
    offsets to a multiple of 4.
    """
    F = g.shape[1]
    T = offsets.shape[0]
    grads = np.empty((F, max(g.shape[2] * Wq, L)), g.dtype)
    for n in range(start, stop):
        _image_to_wide(g, n, Wq, grads, db_per_image[n])
        if dw_per_image.size:
            # two output channels of one group and four taps per sweep: eight sums from six loads per p
            per_group = (Fg + 1) // 2
            for pair in range(F // Fg * per_group):  # two by two within each group of Fg channels;
                k = pair // per_group  # with Fg odd, a group's last channel pairs with itself
                fa = k * Fg + 2 * (pair % per_group)
                fb = min(fa + 1, (k + 1) * Fg - 1)
                xn, ga, gb = planes[n, k * group_size:], grads[fa], grads[fb]
                t = 0
                while t < T:  # offsets has the taps rounded up to a multiple of 4: no loop for the rest
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


@njit(nogil=True, fastmath=_FASTMATH, cache=True)
def _input_grad_kernel(start, stop, g, w2, offsets, Wq, L, Fg, group_size, dplanes):
    """dx, as planes, of the images n in start..stop-1 of a strided convolution (a stride-1 one's is a
    convolution itself: ``_input_grad_by_convolution``); g (N, F, OH, OW) the output's gradient.
    dplanes (N, row), zeroed here:
        dplanes[n, offsets[t] + k * group_size + p] += sum_f w2[f,t] * grads[f,p]   (f in group k),
    each input collecting the products it took part in; grads as in ``_backward_kernel``.
    """
    F, T = w2.shape
    grads = np.empty((F, max(g.shape[2] * Wq, L)), g.dtype)
    sums = np.empty(F, g.dtype)  # db's sums, not wanted here
    for n in range(start, stop):
        _image_to_wide(g, n, Wq, grads, sums)
        dn_all = dplanes[n]
        for p in range(dn_all.shape[0]):
            dn_all[p] = 0
        for k in range(F // Fg):
            dn = dn_all[k * group_size:]
            f, f_end = k * Fg, (k + 1) * Fg
            # eight output channels per sweep: d is loaded and stored once per eight multiply-adds.
            # Channels outside, taps inside: the eight gradient rows stay in the L1 cache for all
            # the taps (the other way round, conv2's 32 rows, 28 KB, were read from L2 at every tap)
            while f + 8 <= f_end:
                g0, g1, g2, g3 = grads[f], grads[f + 1], grads[f + 2], grads[f + 3]
                g4, g5, g6, g7 = grads[f + 4], grads[f + 5], grads[f + 6], grads[f + 7]
                for t in range(T):
                    d = dn[offsets[t]:offsets[t] + L]
                    w0, w1, w2_, w3 = w2[f, t], w2[f + 1, t], w2[f + 2, t], w2[f + 3, t]
                    w4, w5, w6, w7 = w2[f + 4, t], w2[f + 5, t], w2[f + 6, t], w2[f + 7, t]
                    for p in range(L):
                        d[p] += (w0 * g0[p] + w1 * g1[p] + w2_ * g2[p] + w3 * g3[p]
                                 + w4 * g4[p] + w5 * g5[p] + w6 * g6[p] + w7 * g7[p])
                f += 8
            for f in range(f, f_end):
                g0 = grads[f]
                for t in range(T):
                    d, w0 = dn[offsets[t]:offsets[t] + L], w2[f, t]
                    for p in range(L):
                        d[p] += w0 * g0[p]


# each kernel's pieces in numba's parallel loop (``threads.run_split``'s ``runner``); each compiles its
# kernel again inside it, so it is a function of its own, compiled only where the loops are used
@njit(parallel=True, nogil=True, cache=True)
def _forward_runner(bounds, planes, wt, offsets, bias, F, L, Wq, f0, out):
    for k in prange(bounds.size - 1):
        _forward_kernel(bounds[k], bounds[k + 1], planes, wt, offsets, bias, F, L, Wq, f0, out)


@njit(parallel=True, nogil=True, cache=True)
def _backward_runner(bounds, g, planes, offsets, Wq, L, Fg, group_size, zero, dw_per_image, db_per_image):
    for k in prange(bounds.size - 1):
        _backward_kernel(bounds[k], bounds[k + 1], g, planes, offsets, Wq, L, Fg, group_size, zero, dw_per_image,
                         db_per_image)


@njit(parallel=True, nogil=True, cache=True)
def _input_grad_runner(bounds, g, w2, offsets, Wq, L, Fg, group_size, dplanes):
    for k in prange(bounds.size - 1):
        _input_grad_kernel(bounds[k], bounds[k + 1], g, w2, offsets, Wq, L, Fg, group_size, dplanes)


def _use_twin(x, w, grad_out=None) -> bool:
    """Cases the planes do not cover, left to the numpy twin: empty arrays (N = 0, C = 0, ...), and in
    the backward pass non-finite x or w (the junk columns multiply zero gradients by real inputs
    and weights, and 0 * inf is NaN where torch has a finite number: the twin touches only real windows)."""
    if x.size == 0 or w.size == 0 or (grad_out is not None and grad_out.size == 0):
        return True
    return grad_out is not None and not (np.isfinite(x).all() and np.isfinite(w).all())


def conv2d_forward_numba(x, w, b, stride, padding, dilation=(1, 1), groups=1):
    check_conv2d_args(x, w, b, stride, padding, dilation, groups, allow_int=False)
    if _use_twin(x, w):
        return conv2d_forward_numpy(x, w, b, stride, padding, dilation, groups)
    F = w.shape[0]
    geo = _geometry(x.shape, w.shape, stride, padding, dilation)
    bias = np.zeros(F, x.dtype) if b is None else np.ascontiguousarray(b)
    planes = _to_planes(x, stride, padding, geo)
    N, Fg = x.shape[0], F // groups
    out = np.empty((N, F, geo.OH, geo.OW), x.dtype)
    for k, (_, fs) in enumerate(_group_slices(groups, x.shape[1], F)):
        # a tap's weights side by side, (T, Fg) and zeros up to a multiple of 8 channels, the bias likewise
        blocks = (Fg + 7) // 8
        wt = np.zeros((w[0].size, 8 * blocks), x.dtype)
        wt[:, :Fg] = _flat_weights(w[fs]).T
        bias8 = np.zeros(8 * blocks, x.dtype)
        bias8[:Fg] = bias[fs]
        run_split(_forward_kernel, N * blocks, planes, wt, geo.offsets + k * geo.group_size, bias8, Fg, geo.L,
                  geo.Wq, fs.start, out, runner=_forward_runner)
    return out


def _input_grad_by_convolution(g, w, stride, padding, dilation, groups):
    """dx of a stride-1 convolution, which is a convolution itself; None for the others.

    With stride 1, output (oh, ow) took input (oh + i*dh - ph, ow + j*dw - pw) through tap (i, j), so

        dx[n,c,h,w] = sum_{f,i,j} w[f,c,i,j] * g[n, f, h - i*dh + ph, w - j*dw + pw]

    and with i' = KH - 1 - i that is ``conv2d`` of g with the kernel flipped and its two channel axes
    swapped, w'[c,f,i',j'] = w[f,c,KH-1-i',KW-1-j'] (group by group), dilation unchanged and padding
    dh*(KH - 1) - ph (likewise for the columns): g's zero border stands for the outputs that do not
    exist. Where that padding would be negative (ph past the dilated kernel) the scatter kernel does it.
    """
    (dh, dw), (ph, pw) = dilation, padding
    F, Cg, KH, KW = w.shape
    pad = (dh * (KH - 1) - ph, dw * (KW - 1) - pw)
    if tuple(stride) != (1, 1) or min(pad) < 0:
        return None
    flipped = w.reshape(groups, F // groups, Cg, KH, KW).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    return conv2d_forward_numba(g, np.ascontiguousarray(flipped).reshape(groups * Cg, F // groups, KH, KW), None,
                                (1, 1), pad, dilation, groups)


def conv2d_backward_numba(grad_out, x, w, stride, padding, needs=(True, True, True), dilation=(1, 1), groups=1):
    check_conv2d_grad(grad_out, x, w, stride, padding, dilation, groups, allow_int=False)
    if _use_twin(x, w, grad_out):
        return conv2d_backward_numpy(grad_out, x, w, stride, padding, needs, dilation, groups)
    N, F = grad_out.shape[:2]
    geo = _geometry(x.shape, w.shape, stride, padding, dilation)
    g = np.ascontiguousarray(grad_out)
    dx = dw_ = db = None
    if needs[0]:
        dx = _input_grad_by_convolution(g, w, stride, padding, dilation, groups)
        if dx is None:
            dplanes = np.empty((N, geo.row), x.dtype)
            run_split(_input_grad_kernel, N, g, _flat_weights(w), geo.offsets, geo.Wq, geo.L, F // groups,
                      geo.group_size, dplanes, runner=_input_grad_runner)
            dx = _from_planes(dplanes, x.shape, stride, padding, geo)
    if needs[1] or needs[2]:
        planes = _to_planes(x, stride, padding, geo) if needs[1] else np.empty((0, 0), x.dtype)
        dw_per_image = np.empty((N, F, geo.offsets.size) if needs[1] else (0, 0, 0), x.dtype)
        db_per_image = np.empty((N, F), x.dtype)
        run_split(_backward_kernel, N, g, planes, geo.offsets, geo.Wq, geo.L, F // groups, geo.group_size,
                  x.dtype.type(0), dw_per_image, db_per_image, runner=_backward_runner)
        if needs[1]:
            dw_ = dw_per_image[..., :w[0].size].sum(axis=0).reshape(w.shape)
        if needs[2]:
            db = db_per_image.sum(axis=0)
    return dx, dw_, db
