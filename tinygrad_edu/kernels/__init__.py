"""Hot kernels: convolution and max pooling on plain numpy arrays.

Each function has two implementations with the same maths: a readable numpy twin
(``conv.conv2d_forward_numpy``, ...) and a fast numba one (``conv.conv2d_forward_numba``, ...).
``use("numpy")`` or ``use("numba")`` picks one at run time; the environment variable
``TINYGRAD_EDU_KERNELS`` picks the one used from import (default ``numba``).

Arrays are float32 or float64, all of one dtype; outputs and gradients have it. Integer arrays
(which torch accepts for conv2d and max_pool2d) always take the numpy twin, whatever ``use`` says.
Inputs may have any memory layout; outputs are C-contiguous. Each entry point checks its
arguments first (``conv.check_conv2d_args``, ``pool.check_pool2d_args``, ...) and raises
PyTorch's error for a wrong shape, dtype or option, so no loop runs on arrays that disagree.

Average and adaptive pooling are numpy only: ``pool.avg_pool2d_forward`` and the like.

Threads: the numba kernels are serial loops over images or channels; ``threads.run_split`` runs a
call's shares of them at once in numba's parallel loops (OpenMP), or on a few Python threads
(``nogil``) where those loops are not compiled yet or not safe (a forked child); ReLU's loops
likewise from 65,536 values up. They call no BLAS. The thread count is numba's:
``NUMBA_NUM_THREADS`` at start-up or ``numba.set_num_threads(n)`` at run time (1 is the robust
choice on a machine busy with other work). A multi-threaded OpenBLAS in the same process fights them
for the cores: its threads keep spinning for ~0.1 s after each call. So ``_impl`` first calls
``runtime.before_parallel_kernel``: BLAS to one thread, its workers stopped.

Each kernel has one compiled version per dtype, made at its first call (0.06-1.3 s of CPU each, after
about 0.4 s of numba's own set-up at the first; the CNN's eight kernels 2.5-3 s in all) and saved
in numba's cache next to these files, from which later processes load it (about 0.4 s for the
first kernel, which sets up numba, then milliseconds each). Python's garbage collector is paused
while numba compiles (``runtime.py``). A training run on an empty cache has a forked child compile
the backward pass's kernels while it compiles the forward pass's, then the parallel loops, which
compile their kernels again inside them (``training/warm_up.py``); any other program's first loop
has a fresh interpreter compile the loops in the background (``loops.py``).
"""
import os

from .. import runtime
from . import adam, conv, pool, relu, softmax


_PATHS = ("numba", "numpy")
_path = None


def use(path):
    """Select the kernel path, "numba" or "numpy", for later calls; return the previous one."""
    global _path
    if path not in _PATHS:
        raise ValueError(f"kernel path must be one of {_PATHS}, not {path!r}")
    previous, _path = _path, path
    return previous


def current():
    """The kernel path in use: "numba" or "numpy"."""
    return _path


try:
    use(os.environ.get("TINYGRAD_EDU_KERNELS", "numba"))
except ValueError as error:  # name the setting, as the other TINYGRAD_EDU_* checks do
    raise ValueError(f"TINYGRAD_EDU_KERNELS: {error}") from None


def _impl(module, name, x):
    """The chosen path's implementation of ``name``; integer arrays always take the numpy twin.
    Before a numba kernel, BLAS is put on one thread so that the kernel has the cores."""
    numba = _path == "numba" and getattr(x, "dtype", None) is not None and x.dtype.kind == "f"
    if numba:
        runtime.before_parallel_kernel()
    return getattr(module, f"{name}_{'numba' if numba else 'numpy'}")


def conv2d_forward(x, w, b, stride, padding, dilation=(1, 1), groups=1):
    """2-D cross-correlation, as torch.nn.functional.conv2d.

    x (N, C, H, W), w (F, C/G, KH, KW) with G = groups, b (F,) or None, stride (sh, sw),
    padding (ph, pw), dilation (dh, dw). Returns out (N, F, OH, OW),
    OH = (H + 2*ph - dh*(KH - 1) - 1)//sh + 1 (OW likewise):

        out[n,f,oh,ow] = b[f] + sum_{c,i,j} w[f,c,i,j] * xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]

    where xpad is x with ph zero rows above and below and pw zero columns on each side, and c
    runs over the input channels of f's group.
    """
    return _impl(conv, "conv2d_forward", x)(x, w, b, stride, padding, dilation, groups)


def conv2d_backward(grad_out, x, w, stride, padding, needs=(True, True, True), dilation=(1, 1), groups=1):
    """Gradients of conv2d_forward: (dx, dw, db), each None where its needs flag is False.

    grad_out g (N, F, OH, OW); dx like x, dw like w, db (F,):

        dL/db[f]       = sum_{n,oh,ow} g[n,f,oh,ow]
        dL/dw[f,c,i,j] = sum_{n,oh,ow} g[n,f,oh,ow] * xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]
        dL/dx[n,c,h,w] = sum over (f, i, j, oh, ow) with oh*sh + i*dh = h + ph and ow*sw + j*dw = w + pw
                         of g[n,f,oh,ow] * w[f,c,i,j]
    """
    return _impl(conv, "conv2d_backward", x)(grad_out, x, w, stride, padding, needs, dilation, groups)


def max_pool2d_forward(x, kernel_size, stride, padding, dilation=(1, 1), ceil_mode=False):
    """2-D max pooling, as torch.nn.functional.max_pool2d. Returns (out, argmax).

    x (N, C, H, W), kernel_size (KH, KW), stride (sh, sw), padding (ph, pw) with ph <= KH/2 and
    pw <= KW/2, dilation (dh, dw); padding counts as -inf. out (N, C, OH, OW) like conv2d_forward's
    (rounded up with ceil_mode, as torch does), and

        out[n,c,oh,ow] = max_{i,j} x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]

    argmax (N, C, OH, OW) int64: h*W + w of the maximum in the unpadded plane; ties go to the
    first in row-major window order and NaN wins, as in torch's CPU kernel.
    """
    return _impl(pool, "max_pool2d_forward", x)(x, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_backward(grad_out, argmax, x_shape):
    """Gradient of max_pool2d_forward (and of the adaptive max pool): dx of shape x_shape, in
    grad_out's dtype.

    Each output passes its gradient to the input it copied; windows overlap when stride < kernel,
    so the contributions add up:

        dL/dx[n,c,h,w] = sum_{oh,ow : argmax[n,c,oh,ow] = h*W + w} g[n,c,oh,ow]
    """
    return _impl(pool, "max_pool2d_backward", grad_out)(grad_out, argmax, x_shape)


def adam_update(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, step, maximize):
    """One Adam step on parameter array ``p`` with gradient ``g``, in place (see ``adam.py``):

        m = m + (1 - beta1) (g - m);   v = beta2 v + (1 - beta2) g^2
        p = p - lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)

    with weight decay, maximize and amsgrad (``v_max`` not None) as in torch.optim.Adam.
    """
    impl = adam.adam_update_numba if _path == "numba" else adam.adam_update_numpy
    impl(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, step, maximize)


def relu_forward(x):
    """z = max(x, 0) with PyTorch's rules for -0.0 and NaN (see ``relu.py``); z like x."""
    impl = relu.relu_forward_numba if _path == "numba" and x.dtype.kind == "f" and x.itemsize >= 4 \
        else relu.relu_forward_numpy
    return impl(x)


def relu_backward(grad, z):
    """dL/dx = dL/dz where z > 0, else 0 (NaN z passes its gradient, as in PyTorch); like z."""
    impl = relu.relu_backward_numba if _path == "numba" and z.dtype.kind == "f" and z.itemsize >= 4 \
        else relu.relu_backward_numpy
    return impl(grad, z)


def log_softmax_rows(x):
    """log_softmax along dim 1 of a C-contiguous (M, C) float array, C >= 1 (see ``softmax.py``)."""
    impl = softmax.log_softmax_rows_numba if _path == "numba" and x.itemsize >= 4 else softmax.log_softmax_rows_numpy
    return impl(x)
