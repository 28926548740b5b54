"""One Adam step on a CUDA GPU, in place: the maths and flags of ``kernels/adam.py``, one thread per element.

    g = -g if maximize;  g = g + weight_decay * p
    m = m + (1 - beta1) (g - m);   v = beta2 v + (1 - beta2) g^2;   v_max = max(v_max, v)
    p = p - lr / (1 - beta1^step) * m / (sqrt(v or v_max) / sqrt(1 - beta2^step) + eps)

As on the CPU, moments below the smallest normal float are flushed to 0 (``kernels/adam.py``
says why), and every scalar is passed in p's dtype, so float32 maths stays float32. Each
element's update reads and writes only that element, so the threads never meet.
The numpy twin is ``kernels.adam.adam_update_numpy``.
"""
import math

import numpy as np
from numba import cuda

from ...backend_array import array_module
from ..conv import _FLOATS
from .blocks import launch_1d


@cuda.jit(cache=True)
def _adam_kernel(p, g, m, v, v_max, amsgrad, neg_step_size, bias2_sqrt, one_minus_beta1, beta2,
                 one_minus_beta2, eps, weight_decay, sign, tiny):
    """p, g, m, v, v_max: flat arrays of one length (v_max is empty and unread when not amsgrad)."""
    i = cuda.grid(1)
    if i >= p.size:
        return
    gi = sign * g[i]
    if weight_decay != 0:
        gi = gi + weight_decay * p[i]
    mi = m[i] + one_minus_beta1 * (gi - m[i])
    vi = v[i] * beta2 + one_minus_beta2 * gi * gi
    m[i] = mi
    v[i] = vi
    if abs(mi) < tiny:  # flushed through the arrays, as the CPU loop does, so mi keeps p's dtype
        m[i] = 0
        mi = m[i]
    if vi < tiny:
        v[i] = 0
        vi = v[i]
    if amsgrad:
        if vi > v_max[i]:
            v_max[i] = vi
        vi = v_max[i]
    p[i] = p[i] + (neg_step_size * mi) / (math.sqrt(vi) / bias2_sqrt + eps)


def adam_update(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, step, maximize):
    """One Adam step for parameter ``p`` with gradient ``g``; updates p, m, v (and v_max) in place.

    Arrays share p's shape, dtype and device; ``v_max`` is None unless amsgrad. A non-contiguous
    array is updated through a contiguous copy, written back after the step.
    """
    xp = array_module(p, g, m, v, v_max, op="adam_update")
    if not hasattr(p, "dtype") or p.dtype not in _FLOATS:
        raise TypeError(f"adam_update: the parameter must be a float32 or float64 array, not "
                        f"{getattr(p, 'dtype', type(p).__name__)}")
    named = [("gradient", g), ("exp_avg", m), ("exp_avg_sq", v)]
    if v_max is not None:
        named.append(("max_exp_avg_sq", v_max))
    for name, a in named:
        if not hasattr(a, "dtype") or tuple(a.shape) != tuple(p.shape) or a.dtype != p.dtype:
            raise RuntimeError(f"adam_update: {name} has shape {getattr(a, 'shape', None)} and dtype "
                               f"{getattr(a, 'dtype', None)}, but the parameter has shape {p.shape} and dtype "
                               f"{p.dtype}")
    updated = [p, m, v] + ([v_max] if v_max is not None else [])
    flat = [xp.ascontiguousarray(a).reshape(-1) for a in updated]
    as_dtype = p.dtype.type
    # not v: numba copies each numpy argument to the device and back, and a second copy of v would overwrite the first
    unused = xp.empty(0, p.dtype)
    if p.size:
        blocks, threads = launch_1d(p.size)
        _adam_kernel[blocks, threads](flat[0], xp.ascontiguousarray(g).reshape(-1), flat[1], flat[2],
                                      flat[3] if v_max is not None else unused, v_max is not None,
                                      as_dtype(-(lr / (1 - beta1 ** step))), as_dtype(math.sqrt(1 - beta2 ** step)),
                                      as_dtype(1 - beta1), as_dtype(beta2), as_dtype(1 - beta2), as_dtype(eps),
                                      as_dtype(weight_decay), as_dtype(-1 if maximize else 1),
                                      as_dtype(np.finfo(p.dtype).tiny))
    for a, f in zip(updated, flat):
        if not a.flags.c_contiguous:  # the kernel updated a copy: write it back
            a[...] = f.reshape(a.shape)
