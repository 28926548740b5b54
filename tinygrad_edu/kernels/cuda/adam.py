"""One Adam step on a CUDA GPU, in place: ``kernels/adam.py``'s element update, one thread per element.

    g = -g if maximize;  g = g + weight_decay * p
    m = m + (1 - beta1) (g - m);   v = beta2 v + (1 - beta2) g^2;   v_max = max(v_max, v)
    p = p - lr / (1 - beta1^step) * m / (sqrt(v or v_max) / sqrt(1 - beta2^step) + eps)

As on the CPU, moments below the smallest normal float are flushed to 0 (``kernels/adam.py``
says why), and every scalar is passed in p's dtype, so float32 maths stays float32. Each
element's update reads and writes only that element, so the threads never meet.
The numpy twin is ``kernels.adam.adam_update_numpy``.
"""

from numba import cuda

from ...backend_array import array_module
from ..adam import adam_element, check_like_parameter, check_parameter, kernel_scalars, moments
from .blocks import launch_1d


_adam_element = cuda.jit(device=True)(adam_element)


@cuda.jit(cache=True)
def _adam_kernel(p, g, m, v, v_max, amsgrad, neg_step_size, bias2_sqrt, one_minus_beta1, beta2,
                 one_minus_beta2, eps, weight_decay, sign, tiny, zero):
    """p, g, m, v, v_max: flat arrays of one length (v_max is empty and unread when not amsgrad)."""
    i = cuda.grid(1)
    if i >= p.size:
        return
    vm = v_max[i] if amsgrad else zero
    p[i], m[i], v[i], vm = _adam_element(p[i], g[i], m[i], v[i], vm, amsgrad, neg_step_size, bias2_sqrt,
                                         one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, sign, tiny, zero)
    if amsgrad:
        v_max[i] = vm


def adam_update(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, step, maximize):
    """One Adam step for parameter ``p`` with gradient ``g``; updates p, m, v (and v_max) in place.

    Arrays share p's shape, dtype and device; ``v_max`` is None unless amsgrad. A non-contiguous
    array is updated through a contiguous copy, written back after the step.
    """
    xp = array_module(p, g, m, v, v_max, op="adam_update")
    check_parameter(p, hasattr(p, "dtype"))
    for name, a in moments(g, m, v, v_max):
        check_like_parameter(p, name, a)
    updated = [p, m, v] + ([v_max] if v_max is not None else [])
    flat = [xp.ascontiguousarray(a).reshape(-1) for a in updated]
    # not v: numba copies each numpy argument to the device and back, and a second copy of v would overwrite the first
    unused = xp.empty(0, p.dtype)
    if p.size:
        blocks, threads = launch_1d(p.size)
        _adam_kernel[blocks, threads](flat[0], xp.ascontiguousarray(g).reshape(-1), flat[1], flat[2],
                                      flat[3] if v_max is not None else unused, v_max is not None,
                                      *kernel_scalars(p, lr, beta1, beta2, eps, weight_decay, step, maximize),
                                      p.dtype.type(0))
    for a, f in zip(updated, flat):
        if not a.flags.c_contiguous:  # the kernel updated a copy: write it back
            a[...] = f.reshape(a.shape)
