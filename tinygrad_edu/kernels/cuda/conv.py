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
from numba import cuda

from ...backend_array import array_module
from ..conv import check_conv2d_args, check_conv2d_grad
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
# host side: check the arguments (the CPU kernels' checks: one copy), allocate the outputs where the inputs are, launch
# ----------------------------------------------------------------------------------------------

def conv2d_forward(x, w, b, stride, padding, dilation=(1, 1), groups=1):
    """out (N, F, OH, OW) on x's device, in x's dtype; see the module docstring."""
    xp = array_module(x, w, b, op="conv2d")
    OH, OW = check_conv2d_args(x, w, b, stride, padding, dilation, groups, allow_int=False)
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
    OH, OW = check_conv2d_grad(grad_out, x, w, stride, padding, dilation, groups, allow_int=False)
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
