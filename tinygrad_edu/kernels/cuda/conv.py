"""2-D convolution on a CUDA GPU (cross-correlation, as ``torch.nn.functional.conv2d``).

Shapes: x (N, C, H, W), w (F, C/G, KH, KW) with G groups, b (F,), out and its gradient g
(N, F, OH, OW) with OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1 (OW likewise). Input channel
c0 + c feeds output channel f when c0 is the first channel of f's group. Zero padding is not
stored: a tap that falls outside x is skipped.

    out[n,f,oh,ow] = b[f] + sum_{c,i,j} w[f,c,i,j] * x[n, c0+c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]

Each gradient collects, for one element, the products it took part in:

    dL/db[f]         = sum_{n,oh,ow} g[n,f,oh,ow]
    dL/dw[f,c,i,j]   = sum_{n,oh,ow} g[n,f,oh,ow] * x[n, c0+c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
    dL/dx[n,c0+c,h,w] = sum over f of the group, i, j with h = oh*sh - ph + i*dh, w = ow*sw - pw + j*dw
                        of g[n,f,oh,ow] * w[f,c,i,j]

The numpy twins are ``kernels.conv.conv2d_forward_numpy`` and ``conv2d_backward_numpy`` (im2col
and one GEMM). Here every output element is one GPU thread that walks its own window: the
forward and the input gradient gather (each thread writes only its own element, so no two
threads collide and the result does not depend on their order); the weight and bias
gradients are sums over many positions, so each of their elements is one block that adds up
its terms together (``blocks.block_sum``).
"""
import numpy as np
from numba import cuda

from ...backend_array import array_module
from .blocks import REDUCE_THREADS, block_sum, launch_1d, reduce_threads


@cuda.jit(cache=True)
def _forward_kernel(x, w, b, sh, sw, ph, pw, dh, dw, groups, out):
    """One thread per out[n,f,oh,ow] = b[f] + sum_{c,i,j} w[f,c,i,j] * x[n, c0+c, h, w]."""
    k = cuda.grid(1)
    N, F, OH, OW = out.shape
    if k >= N * F * OH * OW:
        return
    n, f, oh, ow = k // (F * OH * OW), k // (OH * OW) % F, k // OW % OH, k % OW
    _, Cg, KH, KW = w.shape
    H, W = x.shape[2], x.shape[3]
    c0 = f // (F // groups) * Cg
    acc = b[f]
    for c in range(Cg):
        for i in range(KH):
            h = oh * sh - ph + i * dh
            if 0 <= h < H:
                for j in range(KW):
                    col = ow * sw - pw + j * dw
                    if 0 <= col < W:
                        acc += w[f, c, i, j] * x[n, c0 + c, h, col]
    out[n, f, oh, ow] = acc


@cuda.jit(cache=True)
def _input_grad_kernel(g, w, sh, sw, ph, pw, dh, dw, groups, zero, dx):
    """One thread per dx[n,c,h,w] = sum of g[n,f,oh,ow] * w[f,c-c0,i,j] over the windows that read x[n,c,h,w].

    Tap (i, j) of output (oh, ow) reads row oh*sh - ph + i*dh, so row h is read by tap i of
    output oh = (h + ph - i*dh) / sh, when that is a whole number in [0, OH); columns likewise.
    """
    k = cuda.grid(1)
    N, C, H, W = dx.shape
    if k >= N * C * H * W:
        return
    n, c, h, col = k // (C * H * W), k // (H * W) % C, k // W % H, k % W
    _, F, OH, OW = g.shape
    _, Cg, KH, KW = w.shape
    Fg = F // groups
    f0, cg = c // Cg * Fg, c % Cg
    acc = zero
    for i in range(KH):
        th = h + ph - i * dh
        if th >= 0 and th % sh == 0 and th // sh < OH:
            oh = th // sh
            for j in range(KW):
                tw = col + pw - j * dw
                if tw >= 0 and tw % sw == 0 and tw // sw < OW:
                    ow = tw // sw
                    for f in range(f0, f0 + Fg):
                        acc += g[n, f, oh, ow] * w[f, cg, i, j]
    dx[n, c, h, col] = acc


@cuda.jit(cache=True)
def _weight_grad_kernel(g, x, sh, sw, ph, pw, dh, dw, groups, zero, dw_out):
    """One block per dw[f,c,i,j] = sum_{n,oh,ow} g[n,f,oh,ow] * x[n, c0+c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]."""
    shared = cuda.shared.array(REDUCE_THREADS, dtype=x.dtype)
    F, Cg, KH, KW = dw_out.shape
    k = cuda.blockIdx.x
    f, c, i, j = k // (Cg * KH * KW), k // (KH * KW) % Cg, k // KW % KH, k % KW
    N, _, OH, OW = g.shape
    H, W = x.shape[2], x.shape[3]
    c0 = f // (F // groups) * Cg
    acc = zero
    for p in range(cuda.threadIdx.x, N * OH * OW, cuda.blockDim.x):
        n, oh, ow = p // (OH * OW), p // OW % OH, p % OW
        h, col = oh * sh - ph + i * dh, ow * sw - pw + j * dw
        if 0 <= h < H and 0 <= col < W:
            acc += g[n, f, oh, ow] * x[n, c0 + c, h, col]
    total = block_sum(shared, acc)
    if cuda.threadIdx.x == 0:
        dw_out[f, c, i, j] = total


@cuda.jit(cache=True)
def _bias_grad_kernel(g, zero, db):
    """One block per db[f] = sum_{n,oh,ow} g[n,f,oh,ow]."""
    shared = cuda.shared.array(REDUCE_THREADS, dtype=g.dtype)
    f = cuda.blockIdx.x
    N, _, OH, OW = g.shape
    acc = zero
    for p in range(cuda.threadIdx.x, N * OH * OW, cuda.blockDim.x):
        acc += g[p // (OH * OW), f, p // OW % OH, p % OW]
    total = block_sum(shared, acc)
    if cuda.threadIdx.x == 0:
        db[f] = total


# ----------------------------------------------------------------------------------------------
# host side: check the arguments, allocate the outputs where the inputs are, launch
# ----------------------------------------------------------------------------------------------

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _pairs(op, **pairs):
    """Each option as a pair of ints: stride (sh, sw), padding (ph, pw), dilation (dh, dw)."""
    out = []
    for name, value in pairs.items():
        if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, (int, np.integer))
                                                                     and not isinstance(v, bool) for v in value)):
            raise RuntimeError(f"{op}: expected {name} to be a pair of ints, but got {name}={value!r}")
        out.append(tuple(int(v) for v in value))
    return out


def check_conv2d(x, w, b, stride, padding, dilation, groups, op="conv2d"):
    """Refuse what the kernels would misread, with torch's error; return the output size (OH, OW)."""
    (sh, sw), (ph, pw), (dh, dw) = _pairs(op, stride=stride, padding=padding, dilation=dilation)
    for name, a in (("input", x), ("weight", w)) + ((("bias", b),) if b is not None else ()):
        if not hasattr(a, "shape") or not hasattr(a, "dtype"):
            raise TypeError(f"{op}: expected {name} to be an array, but got {type(a).__name__}")
    if x.ndim != 4 or w.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4D input (N, C, H, W) and a 4D weight (F, C/groups, KH, KW), but got "
                           f"input of size {list(x.shape)} and weight of size {list(w.shape)}")
    if x.dtype not in _FLOATS:
        raise RuntimeError(f"{op}: the CUDA kernels take float32 or float64 input, not {x.dtype}")
    for name, a in (("weight", w), ("bias", b)):
        if a is not None and a.dtype != x.dtype:
            raise RuntimeError(f"{op}: expected {name} of dtype {x.dtype} (the input's), but got {a.dtype}")
    if min(sh, sw) <= 0 or min(dh, dw) <= 0 or min(ph, pw) < 0 or not isinstance(groups, int) or groups <= 0:
        raise RuntimeError(f"{op}: expected stride, dilation and groups > 0 and padding >= 0, but got stride="
                           f"{[sh, sw]}, padding={[ph, pw]}, dilation={[dh, dw]}, groups={groups}")
    (N, C, H, W), (F, Cg, KH, KW) = x.shape, w.shape
    if F % groups or C != Cg * groups:
        raise RuntimeError(f"{op}: Given groups={groups}, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {Cg * groups} channels and {groups} to divide {F} "
                           "output channels")
    if b is not None and tuple(b.shape) != (F,):
        raise RuntimeError(f"{op}: Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with {F} "
                           f"elements, but got bias of size {list(b.shape)} instead")
    eh, ew = dh * (KH - 1) + 1, dw * (KW - 1) + 1
    if H + 2 * ph < eh or W + 2 * pw < ew:
        raise RuntimeError(f"{op}: Calculated padded input size per channel: ({H + 2 * ph} x {W + 2 * pw}). Kernel "
                           f"size: ({eh} x {ew}). Kernel size can't be greater than actual input size")
    return (H + 2 * ph - eh) // sh + 1, (W + 2 * pw - ew) // sw + 1


def conv2d_forward(x, w, b, stride, padding, dilation=(1, 1), groups=1):
    """out (N, F, OH, OW) on x's device, in x's dtype; see the module docstring."""
    xp = array_module(x, w, b, op="conv2d")
    OH, OW = check_conv2d(x, w, b, stride, padding, dilation, groups)
    x, w = xp.ascontiguousarray(x), xp.ascontiguousarray(w)
    b = xp.zeros(w.shape[0], x.dtype) if b is None else xp.ascontiguousarray(b)
    out = xp.empty((x.shape[0], w.shape[0], OH, OW), x.dtype)
    if out.size:
        blocks, threads = launch_1d(out.size)
        _forward_kernel[blocks, threads](x, w, b, *stride, *padding, *dilation, groups, out)
    return out


def conv2d_backward(grad_out, x, w, stride, padding, needs=(True, True, True), dilation=(1, 1), groups=1):
    """(dx, dw, db) on x's device, each None where its ``needs`` flag is False."""
    xp = array_module(grad_out, x, w, op="conv2d backward")
    OH, OW = check_conv2d(x, w, None, stride, padding, dilation, groups, op="conv2d backward")
    expected = (x.shape[0], w.shape[0], OH, OW)
    if tuple(grad_out.shape) != expected or grad_out.dtype != x.dtype:
        raise RuntimeError(f"conv2d backward: expected grad_output of size {list(expected)} and dtype {x.dtype} (the "
                           f"output's), but got {list(grad_out.shape)} and {grad_out.dtype}")
    g, x, w = xp.ascontiguousarray(grad_out), xp.ascontiguousarray(x), xp.ascontiguousarray(w)
    zero = x.dtype.type(0)  # the sums start at 0 in the arrays' dtype, so float32 sums stay float32
    options = (*stride, *padding, *dilation, groups)
    N, F = g.shape[:2]
    terms = reduce_threads(N * OH * OW)
    dx = dw = db = None
    if needs[0]:
        dx = xp.empty(x.shape, x.dtype)
        if dx.size:
            blocks, threads = launch_1d(dx.size)
            _input_grad_kernel[blocks, threads](g, w, *options, zero, dx)
    if needs[1]:
        dw = xp.empty(w.shape, x.dtype)
        if dw.size:
            _weight_grad_kernel[dw.size, terms](g, x, *options, zero, dw)
    if needs[2]:
        db = xp.empty(F, x.dtype)
        if F:
            _bias_grad_kernel[F, terms](g, zero, db)
    return dx, dw, db
