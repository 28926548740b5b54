"""Adam's update of one parameter, in place: a numpy twin and a fused numba loop.

The numpy twin reads like the algorithm but makes about a dozen passes over the parameter
with a temporary array each; the numba loop makes one. On the tutorial MLP that was a fifth
of a training step.

Both flush moments that fall below the smallest normal float (``np.finfo(dtype).tiny``) to 0.
Without that, the moments of weights whose gradient stays 0 (MNIST's always-black border
pixels) decay into subnormal numbers after ~800 steps, which the CPU handles tens of times
slower: a long float32 run slowed several-fold. PyTorch keeps the subnormals; the difference
to a weight is below lr * tiny / eps (1e-33 with the defaults), far below float32's resolution.
"""
import math

import numpy as np
from numba import njit, prange

from . import threads


def check_parameter(p, is_array: bool) -> None:
    """Refuse a parameter that is not a float32/float64 array (``is_array``: the caller's test of its kind)."""
    if not is_array or p.dtype not in (np.float32, np.float64):
        raise TypeError(f"adam_update: the parameter must be a float32 or float64 array, not "
                        f"{getattr(p, 'dtype', type(p).__name__)}")


def moments(g, m, v, v_max) -> list:
    """The arrays read and written beside the parameter, with the names errors give them."""
    named = [("gradient", g), ("exp_avg", m), ("exp_avg_sq", v)]
    if v_max is not None:
        named.append(("max_exp_avg_sq", v_max))
    return named


def check_like_parameter(p, name: str, a) -> None:
    """Refuse, naming the array and both shapes, an array without p's shape and dtype."""
    if not hasattr(a, "dtype") or tuple(a.shape) != tuple(p.shape) or a.dtype != p.dtype:
        raise RuntimeError(f"adam_update: {name} has shape {getattr(a, 'shape', None)} and dtype "
                           f"{getattr(a, 'dtype', None)}, but the parameter has shape {p.shape} and dtype {p.dtype}")


def check_arrays(p, g, m, v, v_max) -> None:
    """Refuse, with one line naming the array and both shapes, what the loops would misread:
    every array must be a float32/float64 numpy array with p's shape and dtype (a shorter m
    would make the numba loop read and write past its end).
    """
    if _plain(p, g, m, v, v_max):
        return
    check_parameter(p, isinstance(p, np.ndarray))
    for name, a in moments(g, m, v, v_max):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"adam_update: {name} must be a numpy array, not {type(a).__name__}")
        check_like_parameter(p, name, a)
    if not all(a.flags.writeable for a in (p, m, v) + ((v_max,) if v_max is not None else ())):
        raise ValueError("adam_update: the parameter and its moments are updated in place, but one is read-only")


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _plain(p, g, m, v, v_max) -> bool:
    """The common case, told in one pass (4 us -> 1 us a parameter): plain float32/float64 numpy
    arrays of one shape and dtype, the updated ones writeable. False sends ``check_arrays`` to the
    checks that name what is wrong."""
    if type(p) is not np.ndarray or p.dtype not in _FLOATS or not p.flags.writeable:
        return False
    shape, dtype = p.shape, p.dtype
    for a in (g, m, v) if v_max is None else (g, m, v, v_max):
        if type(a) is not np.ndarray or a.shape != shape or a.dtype != dtype:
            return False
    return m.flags.writeable and v.flags.writeable and (v_max is None or v_max.flags.writeable)


def kernel_scalars(p, lr, beta1, beta2, eps, weight_decay, step, maximize) -> tuple:
    """The loop's scalars after the arrays, each in p's dtype so float32 maths rounds as numpy's does:
    -lr / (1 - beta1^step), sqrt(1 - beta2^step), 1 - beta1, beta2, 1 - beta2, eps, weight_decay,
    the sign (-1 if maximize) and the flush threshold (the smallest normal float).

    Every parameter of a step asks with the same numbers, so the last few answers are kept (4 us
    -> 0.5 us), for Python numbers only: a tensor's value can change in place under the same key.
    """
    key = (p.dtype, lr, beta1, beta2, eps, weight_decay, step, maximize)
    numbers = _NUMBERS.issuperset(map(type, key[1:]))
    known = _scalars.get(key) if numbers else None
    if known is not None:
        return known
    as_dtype = p.dtype.type
    scalars = (as_dtype(-(lr / (1 - beta1 ** step))), as_dtype(math.sqrt(1 - beta2 ** step)), as_dtype(1 - beta1),
               as_dtype(beta2), as_dtype(1 - beta2), as_dtype(eps), as_dtype(weight_decay),
               as_dtype(-1 if maximize else 1), as_dtype(np.finfo(p.dtype).tiny))
    if numbers:
        if len(_scalars) >= 64:
            _scalars.clear()
        _scalars[key] = scalars
    return scalars


_NUMBERS = frozenset((float, int, bool))
_scalars: dict = {}  # kernel_scalars' last answers


def adam_update_numpy(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, step, maximize):
    """One Adam step for parameter ``p`` with gradient ``g``; updates p, m, v (and v_max) in place.

        g = -g if maximize;  g = g + weight_decay * p
        m = m + (1 - beta1) (g - m);   v = beta2 v + (1 - beta2) g^2;   v_max = max(v_max, v)
        p = p - lr / (1 - beta1^step) * m / (sqrt(v or v_max) / sqrt(1 - beta2^step) + eps)

    ``v_max`` is None unless amsgrad. Arrays share p's shape and dtype (``check_arrays``).
    """
    check_arrays(p, g, m, v, v_max)
    tiny = np.finfo(p.dtype).tiny
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * p
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * g * g
    m[np.abs(m) < tiny] = 0
    v[v < tiny] = 0
    if v_max is not None:
        np.maximum(v_max, v, out=v_max)
        v = v_max
    step_size = lr / (1 - beta1 ** step)
    denom = np.sqrt(v) / math.sqrt(1 - beta2 ** step) + eps  # Python floats: p's dtype sets the precision
    p += (-step_size * m) / denom


def adam_element(p, g, m, v, v_max, amsgrad, neg_step_size, bias2_sqrt, one_minus_beta1, beta2,
                 one_minus_beta2, eps, weight_decay, sign, tiny, zero):
    """Adam's update of one element: the new (p, m, v, v_max). Plain Python, compiled twice: inlined
    into the CPU loop below and, as a device function, into the CUDA kernel (``kernels/cuda/adam.py``).
    ``zero`` is 0 in p's dtype (a literal 0 would make the moments float64); v_max is unused unless
    amsgrad. The flushes are selects, so the CPU loop stays SIMD code."""
    g = sign * g
    if weight_decay != 0:
        g = g + weight_decay * p
    m = m + one_minus_beta1 * (g - m)
    v = v * beta2 + one_minus_beta2 * g * g
    m = zero if abs(m) < tiny else m
    v = zero if v < tiny else v
    if amsgrad:
        v_max = v if v > v_max else v_max
        root = math.sqrt(v_max)
    else:
        root = math.sqrt(v)
    return p + (neg_step_size * m) / (root / bias2_sqrt + eps), m, v, v_max


_adam_element_cpu = njit(inline="always", error_model="numpy", cache=True)(adam_element)


@njit(cache=True, error_model="numpy")
def _adam_kernel(p, g, m, v, v_max, amsgrad, neg_step_size, bias2_sqrt, one_minus_beta1, beta2,
                 one_minus_beta2, eps, weight_decay, sign, tiny, zero):
    """One pass over the elements. numpy's error model (no Python ZeroDivisionError check inside the
    loop) lets LLVM turn it into SIMD code, 8 float32 at a time."""
    for i in range(p.size):
        p[i], m[i], v[i], vm = _adam_element_cpu(p[i], g[i], m[i], v[i], v_max[i], amsgrad, neg_step_size,
                                                 bias2_sqrt, one_minus_beta1, beta2, one_minus_beta2, eps,
                                                 weight_decay, sign, tiny, zero)
        if amsgrad:
            v_max[i] = vm


PARALLEL_MIN = 1 << 16  # from this many values up, the loop runs in a parallel loop where it may
_PIECES = 8  # numba shares them out among its threads


@njit(parallel=True, nogil=True, cache=True)
def _adam_runner(p, g, m, v, v_max, amsgrad, neg_step_size, bias2_sqrt, one_minus_beta1, beta2, one_minus_beta2,
                 eps, weight_decay, sign, tiny, zero):
    """_adam_kernel on _PIECES equal shares of the elements at once (each element's update is its own)."""
    for k in prange(_PIECES):
        a, b = k * p.size // _PIECES, (k + 1) * p.size // _PIECES
        _adam_kernel(p[a:b], g[a:b], m[a:b], v[a:b], v_max[a:b], amsgrad, neg_step_size, bias2_sqrt,
                     one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, sign, tiny, zero)


def adam_update_numba(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, step, maximize):
    """The same step as ``adam_update_numpy``, fused into one loop over contiguous arrays.

    Arrays are checked first (``check_arrays``); any non-contiguous one sends the step to the
    numpy twin, so the loop only ever walks whole, C-contiguous arrays of one shape. From
    PARALLEL_MIN elements up it runs on numba's threads where ``threads.loop_beside_blas`` allows
    (an MLP's first layer: 78,400 weights, 88 -> 45 us in a training step on two cores).
    """
    check_arrays(p, g, m, v, v_max)
    arrays = (p, g, m, v) if v_max is None else (p, g, m, v, v_max)
    for a in arrays:
        if not a.flags.c_contiguous:
            return adam_update_numpy(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, step, maximize)
    if p.ndim != 1:
        arrays = [a.reshape(-1) for a in arrays]
    p, g, m, v = arrays[:4]
    loop = _adam_runner if threads.loop_beside_blas(p.size, PARALLEL_MIN, _adam_runner, p.dtype) else _adam_kernel
    loop(p, g, m, v, v if v_max is None else arrays[4], v_max is not None,
         *kernel_scalars(p, lr, beta1, beta2, eps, weight_decay, step, maximize), _ZERO[p.dtype])


_ZERO = {dtype: dtype.type(0) for dtype in _FLOATS}  # the loop's 0 in p's dtype
