"""2-D pooling (as ``torch.nn.functional.max_pool2d``, ``avg_pool2d`` and the adaptive pools),
forward and backward.

Shapes: x (N, C, H, W); out, argmax and the gradient g (N, C, OH, OW). For max and average
pooling with kernel (KH, KW), stride (sh, sw), padding (ph, pw) and dilation (dh, dw),
OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1 (OW likewise); with ``ceil_mode`` the division rounds
up, but the last window must start inside the input or its left padding (torch's rule).

Max pooling. Padding counts as -inf, so it never wins a window (torch requires ph <= KH/2 and
pw <= KW/2, so every window holds a real input; with dilation the taps can skip past the input,
and that call is refused, where torch returns an index outside the plane).

    out[n,c,oh,ow]    = max of x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] over the window's real inputs
    argmax[n,c,oh,ow] = h*W + w of that maximum in the unpadded plane of x

Ties go to the first maximum in row-major scan order, and a NaN wins over everything (the last
NaN of the window, if several): exactly torch's CPU kernel, which keeps a candidate while scanning
and replaces it when ``value > best or isnan(value)``.

The output is a copy of one input per window, so its derivative is 1 for that input and 0 for
the others:

    dL/dx[n, c, h, w] = sum of g[n,c,oh,ow] over the windows whose argmax is h*W + w

(a sum, because with stride < kernel one input can be the maximum of several windows). The
adaptive max pool has the same backward, through its own argmax.

Average pooling (numpy only). out = (sum of the window's real inputs) / d, d = divisor_override,
or the window's size counting the padding (count_include_pad) but not what lies past it, or the
number of real inputs; dL/dx[n,c,h,w] = sum of g[n,c,oh,ow] / d over the windows holding (h, w).
Integer inputs (int64, as torch) are divided with truncation toward zero.

Adaptive pooling (numpy only): output (oh, ow) covers rows floor(oh*H/OH) .. ceil((oh+1)*H/OH) - 1
and the columns likewise; average or maximum over that window, gradients as above.

Every entry point first calls its ``check_*`` function, the one place where shapes, dtypes and
options are checked, so no call reaches a loop with arrays that disagree.
"""
import numpy as np
from numba import njit, prange

from .conv import _FLOATS, _INTS, _check_array, _check_ints, dtype_name
from .threads import run_split

# ----------------------------------------------------------------------------------------------
# checks
# ----------------------------------------------------------------------------------------------


def _check_input(op: str, x, allowed) -> None:
    _check_array(x, "input", op)
    if x.ndim != 4:
        raise RuntimeError(f"{op}: non-empty 3D or 4D (batch mode) tensor expected for input, but got input of "
                           f"size {list(x.shape)}")
    if 0 in x.shape[1:]:
        raise RuntimeError(f"{op}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(x.shape)}")
    if x.dtype not in allowed:
        raise NotImplementedError(f'"{op}" not implemented for \'{dtype_name(x.dtype)}\'')


def _pooled_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape."""
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:  # the last window must start inside the input
        out -= 1
    return out


def check_pool2d_args(op: str, x, kernel_size, stride, padding, dilation, ceil_mode, allowed=_FLOATS):
    """Check a max_pool2d / avg_pool2d call; return its output size (OH, OW) or raise PyTorch's error.

    x (N, C, H, W) with C, H, W > 0 and a dtype in ``allowed``; kernel_size, stride, dilation > 0
    and 0 <= padding <= kernel_size // 2, pairs of ints; the output at least 1 x 1.
    """
    _check_input(op, x, allowed)
    (KH, KW), (sh, sw) = _check_ints(kernel_size, 2, "kernel_size", op), _check_ints(stride, 2, "stride", op)
    (ph, pw), (dh, dw) = _check_ints(padding, 2, "padding", op), _check_ints(dilation, 2, "dilation", op)
    if min(KH, KW) <= 0:
        raise RuntimeError(f"{op}: kernel size should be greater than zero, but got kH: {KH} kW: {KW}")
    if min(sh, sw) <= 0:
        raise RuntimeError(f"{op}: stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if min(dh, dw) <= 0:
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}")
    if min(ph, pw) < 0:
        raise RuntimeError(f"{op}: pad must be non-negative, but got pad: {min(ph, pw)}")
    for p, k, d in ((ph, KH, dh), (pw, KW, dw)):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
        if p > k // 2:
            raise RuntimeError(f"{op}: pad should be smaller than or equal to half of kernel size, but got "
                               f"padW = {pw}, padH = {ph}, kW = {KW}, kH = {KH}")
    _, C, H, W = x.shape
    OH = _pooled_size(H, KH, sh, ph, dh, ceil_mode)
    OW = _pooled_size(W, KW, sw, pw, dw, ceil_mode)
    if OH < 1 or OW < 1:
        raise RuntimeError(f"{op}: Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{OH}x{OW}). "
                           f"Output size is too small")
    for size, out, k, s, p, d in ((H, OH, KH, sh, ph, dh), (W, OW, KW, sw, pw, dw)):
        if d == 1:  # undilated windows are never empty: they start before the input's end, end past its start
            continue
        start = np.arange(out) * s - p
        first = _first_real(start, d)
        if np.any((first >= size) | (first > start + d * (k - 1))):
            # torch returns -inf and an index outside the plane there, which its backward writes through
            raise RuntimeError(f"{op}: a window of the dilated kernel holds no element of the input (input size "
                               f"({C}x{H}x{W}), kernel_size=({KH}, {KW}), padding=({ph}, {pw}), dilation=({dh}, {dw}))")
    return OH, OW


def check_pool2d_grad(op: str, grad_out, out_shape, x_shape, dtype=None) -> None:
    """grad_out (N, C, OH, OW) float32 or float64 (x's dtype, if given) for an input of x_shape."""
    _check_array(grad_out, "grad_output", op)
    if grad_out.dtype not in _FLOATS or (dtype is not None and grad_out.dtype != dtype):
        raise RuntimeError(f"{op}: expected grad_output of scalar type Float or Double"
                           f"{'' if dtype is None else ' (the input is ' + dtype_name(dtype) + ')'}, "
                           f"but got {dtype_name(grad_out.dtype)}")
    if tuple(grad_out.shape) != tuple(out_shape):
        raise RuntimeError(f"{op}: expected grad_output of size {list(out_shape)} (the output's, for input "
                           f"{list(x_shape)}), but got {list(grad_out.shape)}")


def check_max_pool2d_grad(grad_out, argmax, x_shape) -> None:
    """grad_out and argmax (N, C, OH, OW), argmax int64 with values in [0, H*W), x_shape (N, C, H, W)."""
    op = "max_pool2d backward"
    _check_array(argmax, "indices", op)
    x_shape = _check_ints(tuple(x_shape), 4, "the input's shape", op)
    if argmax.dtype != np.int64 or argmax.ndim != 4 or tuple(argmax.shape[:2]) != x_shape[:2]:
        raise RuntimeError(f"{op}: expected int64 indices of size [N, C, OH, OW] for input {list(x_shape)}, but "
                           f"got {dtype_name(argmax.dtype)} indices of size {list(argmax.shape)}")
    check_pool2d_grad(op, grad_out, argmax.shape, x_shape)
    plane = x_shape[2] * x_shape[3]
    if argmax.size:
        # a numba device array has no min(); CuPy's min() stays on the GPU and int() brings one number back
        values = argmax if hasattr(argmax, "min") else argmax.copy_to_host()
        low, high = int(values.min()), int(values.max())
        if low < 0 or high >= plane:  # the backward would write outside dx
            raise RuntimeError(f"{op}: indices must lie in [0, {plane}) for input {list(x_shape)}, but got values "
                               f"in [{low}, {high}]")


def _first_real(start, dilation):
    """Row (or column) of a window's first tap inside the input, for windows starting at ``start``."""
    return np.where(start < 0, start + (-start + dilation - 1) // dilation * dilation, start)


# ----------------------------------------------------------------------------------------------
# max pooling: numpy twin
# ----------------------------------------------------------------------------------------------


def max_pool2d_forward_numpy(x, kernel_size, stride, padding, dilation=(1, 1), ceil_mode=False):
    OH, OW = check_pool2d_args("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode, _FLOATS + _INTS)
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    N, C, H, W = x.shape
    lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    # pad below and right far enough for ceil_mode's last window too
    bottom, right = (OH - 1) * sh + dh * (KH - 1) + 1 - H - ph, (OW - 1) * sw + dw * (KW - 1) + 1 - W - pw
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, max(bottom, 0)), (pw, max(right, 0))), constant_values=lowest)
    top = np.arange(OH)[:, None] * sh - ph  # window corners in unpadded coordinates, (OH, 1)
    left = np.arange(OW)[None, :] * sw - pw  # (1, OW)
    # torch's scan, done for all windows at once, one kernel offset (i, j) at a time
    out = np.full((N, C, OH, OW), lowest, x.dtype)
    argmax = np.broadcast_to(_first_real(top, dh) * W + _first_real(left, dw), out.shape).copy()
    for i in range(KH):
        for j in range(KW):
            value = xpad[:, :, i * dh:i * dh + sh * (OH - 1) + 1:sh, j * dw:j * dw + sw * (OW - 1) + 1:sw]
            better = (value > out) | (value != value)  # value != value: NaN
            out = np.where(better, value, out)
            argmax = np.where(better, (top + i * dh) * W + (left + j * dw), argmax)
    return out, argmax.astype(np.int64)


def max_pool2d_backward_numpy(grad_out, argmax, x_shape):
    check_max_pool2d_grad(grad_out, argmax, x_shape)
    N, C, H, W = x_shape
    dx = np.zeros((N * C, H * W), grad_out.dtype)
    plane, windows = np.arange(N * C)[:, None], argmax.shape[2] * argmax.shape[3]
    # add.at, not +=, so that an input picked by several windows gets all their gradients
    np.add.at(dx, (plane, argmax.reshape(N * C, windows)), grad_out.reshape(N * C, windows))
    return dx.reshape(x_shape)


# ----------------------------------------------------------------------------------------------
# max pooling, numba path: the same scan as loops, planes (n, c) shared out among numba's threads
# (``threads.run_split``); the backward's scatter runs on one thread
# ----------------------------------------------------------------------------------------------

@njit(nogil=True, cache=True, inline="always")
def _scan(plane, base, taps, t0, t1, best, best_at, nan_at):
    """torch's scan over the taps t0..t1-1 of one window, plane[base + taps[t]] (plane one flattened
    (H*W,) input plane), carried on from (best, best_at, nan_at): the maximum so far, its position
    in the plane, and the position of the last NaN so far (-1: none). Returns them updated.
    numba inlines it into the kernel: called once per window instead, the kernel was 2.5x slower."""
    for t in range(t0, t1):
        p = base + taps[t]
        value = plane[p]
        # two separate ifs, not "value > best or isnan(value)": each compiles to branch-free
        # selects (a max and a conditional move), where the combined test is slower
        if value > best:
            best, best_at = value, p
        if np.isnan(value):
            nan_at = p
    return best, best_at, nan_at


@njit(nogil=True, cache=True)
def _max_pool_kernel(start, stop, x, W, taps, KH, KW, sh, sw, ph, pw, dh, dw, out, argmax):
    """The planes start..stop-1 of x (P, H*W), P = N*C flattened planes of width W; out and argmax
    (P, OH, OW); taps (KH*KW,) holds i*dh*W + j*dw for the window's taps (i, j) in row-major order.

    Tap (i, j) of the window whose corner is (top, left) sits at top*W + left + taps[i*KW + j] in
    its plane. So a window wholly inside the input (no padding, no ceil_mode overhang) is one
    short loop over taps, with no bounds to work out: 2.2x faster than clipping every window to
    the input (the tutorial's 2x2 pools, on one thread). A window at the border scans the part
    of each of its rows that lies inside, i0 <= i < i1 and j0 <= j < j1, carrying the scan from row
    to row.
    """
    P, HW = x.shape
    H = HW // W
    _, OH, OW = out.shape
    # the columns ow0 <= ow < ow1 of the windows wholly inside the input's width: 0 <= left and
    # left + (KW - 1)*dw < W, for left = ow*sw - pw
    ow0 = (pw + sw - 1) // sw
    ow1 = max(ow0, min(OW, (W - (KW - 1) * dw + pw + sw - 1) // sw))
    for q in range(start, stop):
        plane = x[q]
        for oh in range(OH):
            top = oh * sh - ph
            # the taps i with 0 <= top + i*dh < H
            i0, i1 = (-top + dh - 1) // dh if top < 0 else 0, min(KH, (H - top + dh - 1) // dh)
            inside0, inside1 = (ow0, ow1) if i0 == 0 and i1 == KH else (0, 0)
            for ow in range(OW):
                left = ow * sw - pw
                base = top * W + left
                if inside0 <= ow < inside1:  # the first tap starts the scan, the others follow
                    first = plane[base]
                    best, best_at, nan_at = _scan(plane, base, taps, 1, KH * KW, first, base,
                                                  base if np.isnan(first) else -1)
                else:  # the first real tap starts it; seen again by the scan, it only records a NaN there
                    j0, j1 = (-left + dw - 1) // dw if left < 0 else 0, min(KW, (W - left + dw - 1) // dw)
                    best_at = base + taps[i0 * KW + j0]
                    best, nan_at = plane[best_at], -1
                    for i in range(i0, i1):
                        best, best_at, nan_at = _scan(plane, base, taps, i * KW + j0, i * KW + j1, best, best_at,
                                                      nan_at)
                if nan_at >= 0:  # torch's scan ends on the window's last NaN
                    best, best_at = np.nan, nan_at
                out[q, oh, ow] = best
                argmax[q, oh, ow] = best_at


@njit(parallel=True, nogil=True, cache=True)
def _max_pool_runner(bounds, x, W, taps, KH, KW, sh, sw, ph, pw, dh, dw, out, argmax):
    """_max_pool_kernel's pieces in numba's parallel loop (``threads.run_split``'s ``runner``)."""
    for k in prange(bounds.size - 1):
        _max_pool_kernel(bounds[k], bounds[k + 1], x, W, taps, KH, KW, sh, sw, ph, pw, dh, dw, out, argmax)


@njit(nogil=True, cache=True)
def _max_unpool_kernel(grad, argmax, dx):
    """dx[q] = 0, then dx[q, argmax[q, k]] += grad[q, k], plane by plane; grad and argmax (P, OH*OW),
    dx (P, H*W). On one thread: split between two, the tutorial's pools took 180 us instead of 96
    (at batch 512 as long on one thread as on two), and zeroing each plane just before its sums,
    instead of all of dx first, spares a pass over memory (np.zeros and the split: 216-249 us)."""
    for q in range(dx.shape[0]):
        plane = dx[q]
        for p in range(plane.shape[0]):
            plane[p] = 0
        for k in range(grad.shape[1]):
            plane[argmax[q, k]] += grad[q, k]


def max_pool2d_forward_numba(x, kernel_size, stride, padding, dilation=(1, 1), ceil_mode=False):
    OH, OW = check_pool2d_args("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, H, W = x.shape
    out = np.empty((N * C, OH, OW), x.dtype)
    argmax = np.empty((N * C, OH, OW), np.int64)
    (KH, KW), (dh, dw) = kernel_size, dilation
    taps = (np.arange(KH, dtype=np.int64)[:, None] * (dh * W) + np.arange(KW, dtype=np.int64) * dw).ravel()
    run_split(_max_pool_kernel, N * C, np.ascontiguousarray(x).reshape(N * C, H * W), W, taps, *kernel_size,
              *stride, *padding, *dilation, out, argmax, runner=_max_pool_runner)
    return out.reshape(N, C, OH, OW), argmax.reshape(N, C, OH, OW)


def max_pool2d_backward_numba(grad_out, argmax, x_shape):
    check_max_pool2d_grad(grad_out, argmax, x_shape)
    N, C, H, W = x_shape
    dx = np.empty((N * C, H * W), grad_out.dtype)
    windows = argmax.shape[2] * argmax.shape[3]
    _max_unpool_kernel(np.ascontiguousarray(grad_out).reshape(N * C, windows),
                       np.ascontiguousarray(argmax).reshape(N * C, windows), dx)
    return dx.reshape(x_shape)


# ----------------------------------------------------------------------------------------------
# average pooling (numpy)
# ----------------------------------------------------------------------------------------------

def _avg_divisors(size, kernel, stride, pad, count, count_include_pad):
    """The divisor of each window along one axis: its length with padding (clipped at pad past the
    input) and without; their products give d. Returns (with_pad, real), each (count,)."""
    start = np.arange(count) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    with_pad = end - start
    real = np.minimum(end, size) - np.maximum(start, 0)
    return with_pad, np.maximum(real, 0)


def _avg_setup(x_shape, kernel_size, stride, padding, OH, OW, count_include_pad, divisor_override):
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    _, _, H, W = x_shape
    hp, hr = _avg_divisors(H, KH, sh, ph, OH, count_include_pad)
    wp, wr = _avg_divisors(W, KW, sw, pw, OW, count_include_pad)
    if divisor_override is not None:
        divisor = np.full((OH, OW), divisor_override, np.int64)
    else:
        divisor = np.outer(hp, wp) if count_include_pad else np.outer(hr, wr)
    # a window past the input and its padding holds nothing: torch gives 0 there
    divisor = np.where(np.outer(hr, wr) > 0, divisor, 1)
    pads = ((0, 0), (0, 0), (ph, max((OH - 1) * sh + KH - H - ph, 0)), (pw, max((OW - 1) * sw + KW - W - pw, 0)))
    return divisor, pads


def check_avg_pool2d_args(x, kernel_size, stride, padding, ceil_mode, divisor_override):
    OH, OW = check_pool2d_args("avg_pool2d", x, kernel_size, stride, padding, (1, 1), ceil_mode,
                               _FLOATS + (np.dtype(np.int64),))
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0):
        raise RuntimeError(f"avg_pool2d: divisor must be a non-zero integer, but got {divisor_override!r}")
    return OH, OW


def avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True,
                       divisor_override=None):
    OH, OW = check_avg_pool2d_args(x, kernel_size, stride, padding, ceil_mode, divisor_override)
    (KH, KW), (sh, sw) = kernel_size, stride
    divisor, pads = _avg_setup(x.shape, kernel_size, stride, padding, OH, OW, count_include_pad, divisor_override)
    xpad = np.pad(x, pads)
    total = np.zeros(x.shape[:2] + (OH, OW), x.dtype)
    for i in range(KH):
        for j in range(KW):
            total += xpad[:, :, i:i + sh * (OH - 1) + 1:sh, j:j + sw * (OW - 1) + 1:sw]
    if x.dtype.kind == "f":
        return total / divisor.astype(x.dtype)
    quotient = total // divisor  # integers: C's division, which truncates toward zero
    return quotient + ((total % divisor != 0) & ((total < 0) != (divisor < 0)))


def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True,
                        divisor_override=None):
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    _, _, H, W = x_shape
    OH = _pooled_size(H, KH, sh, ph, 1, ceil_mode)
    OW = _pooled_size(W, KW, sw, pw, 1, ceil_mode)
    check_pool2d_grad("avg_pool2d backward", grad_out, tuple(x_shape[:2]) + (OH, OW), x_shape)
    divisor, pads = _avg_setup(x_shape, kernel_size, stride, padding, OH, OW, count_include_pad, divisor_override)
    share = grad_out / divisor.astype(grad_out.dtype)
    dxpad = np.zeros(x_shape[:2] + tuple(s + a + b for s, (a, b) in zip(x_shape[2:], pads[2:])), grad_out.dtype)
    for i in range(KH):
        for j in range(KW):
            dxpad[:, :, i:i + sh * (OH - 1) + 1:sh, j:j + sw * (OW - 1) + 1:sw] += share
    return np.ascontiguousarray(dxpad[:, :, ph:ph + H, pw:pw + W])


# ----------------------------------------------------------------------------------------------
# adaptive pooling (numpy)
# ----------------------------------------------------------------------------------------------

def adaptive_windows(size: int, out: int):
    """[(start, end)] of each output along one axis: floor(i*size/out) .. ceil((i+1)*size/out)."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def check_adaptive_pool2d_args(op: str, x, output_size) -> None:
    _check_array(x, "input", op)
    if x.ndim != 4:
        raise RuntimeError(f"{op}(): Expected 3D or 4D tensor, but got {list(x.shape)}")
    for dim in (1, 2, 3):
        if x.shape[dim] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(x.shape)} with dimension {dim} being empty")
    if x.dtype not in _FLOATS:
        raise NotImplementedError(f'"{op}" not implemented for \'{dtype_name(x.dtype)}\'')
    OH, OW = _check_ints(output_size, 2, "output_size", op)
    if min(OH, OW) < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{OH}, {OW}}}")


def adaptive_avg_pool2d_forward(x, output_size):
    check_adaptive_pool2d_args("adaptive_avg_pool2d", x, output_size)
    (OH, OW), (_, _, H, W) = output_size, x.shape
    out = np.empty(x.shape[:2] + (OH, OW), x.dtype)
    for oh, (h0, h1) in enumerate(adaptive_windows(H, OH)):
        for ow, (w0, w1) in enumerate(adaptive_windows(W, OW)):
            out[:, :, oh, ow] = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) / x.dtype.type((h1 - h0) * (w1 - w0))
    return out


def adaptive_avg_pool2d_backward(grad_out, x_shape):
    _, _, H, W = x_shape
    OH, OW = grad_out.shape[2:] if getattr(grad_out, "ndim", 0) == 4 else (0, 0)
    check_pool2d_grad("adaptive_avg_pool2d backward", grad_out, tuple(x_shape[:2]) + (OH, OW), x_shape)
    dx = np.zeros(x_shape, grad_out.dtype)
    for oh, (h0, h1) in enumerate(adaptive_windows(H, OH)):
        for ow, (w0, w1) in enumerate(adaptive_windows(W, OW)):
            share = grad_out[:, :, oh, ow] / grad_out.dtype.type((h1 - h0) * (w1 - w0))
            dx[:, :, h0:h1, w0:w1] += share[..., None, None]
    return dx


def adaptive_max_pool2d_forward(x, output_size):
    """(out, argmax) as max_pool2d_forward's: the same scan (first maximum, the last NaN wins)."""
    check_adaptive_pool2d_args("adaptive_max_pool2d", x, output_size)
    (OH, OW), (N, C, H, W) = output_size, x.shape
    out = np.empty((N, C, OH, OW), x.dtype)
    argmax = np.empty((N, C, OH, OW), np.int64)
    for oh, (h0, h1) in enumerate(adaptive_windows(H, OH)):
        for ow, (w0, w1) in enumerate(adaptive_windows(W, OW)):
            window = x[:, :, h0:h1, w0:w1].reshape(N, C, (h1 - h0) * (w1 - w0))
            nan = np.isnan(window)
            last_nan = window.shape[2] - 1 - np.argmax(nan[:, :, ::-1], axis=2)
            at = np.where(nan.any(axis=2), last_nan, np.argmax(window, axis=2))
            out[:, :, oh, ow] = np.take_along_axis(window, at[..., None], axis=2)[..., 0]
            width = w1 - w0
            argmax[:, :, oh, ow] = (h0 + at // width) * W + w0 + at % width
    return out, argmax
