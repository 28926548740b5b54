"""ReLU forward and backward: a numpy twin and a numba loop each.

ReLU was 6.6x PyTorch's time forward: ``np.maximum`` checks for NaN element by element and
runs at a third of memory speed, and the backward made a bool mask and a product (two more
passes and two temporaries). Each numba loop makes one pass.

Rules, PyTorch's CPU kernel's: z = 0 where x < 0, else x (so -0.0 and NaN pass through);
dL/dx = 0 where z <= 0, else dL/dz (so a NaN z passes its gradient, a NaN gradient at z <= 0 is
dropped). Arrays are C-contiguous float32/float64 of one shape; other dtypes take the numpy twin.
From ``PARALLEL_MIN`` values up, each loop runs as a parallel loop on numba's threads where
``threads.loop_beside_blas`` allows: 0.4 M values 39 -> 25 us on two threads; under 40,000 values the
loop's start costs more than it saves.
"""
import numpy as np
from numba import njit, prange

from . import threads

PARALLEL_MIN = 1 << 16  # from this many values up, both loops run in numba's parallel loops
_PIECES = 8  # numba shares them out among its threads


def relu_forward_numpy(x: np.ndarray) -> np.ndarray:
    z = x.copy()
    z[x < 0] = 0
    return z


def relu_backward_numpy(grad: np.ndarray, z: np.ndarray) -> np.ndarray:
    g = grad.copy()
    g[z <= 0] = 0
    return g


@njit(cache=True)
def _relu_forward_loop(x, z):
    for i in range(x.size):
        z[i] = 0 if x[i] < 0 else x[i]


@njit(cache=True)
def _relu_backward_loop(grad, z, g):
    for i in range(z.size):
        g[i] = 0 if z[i] <= 0 else grad[i]


@njit(parallel=True, nogil=True, cache=True)
def _relu_forward_parallel(x, z):
    """_relu_forward_loop on _PIECES equal shares of the values at once."""
    for k in prange(_PIECES):
        a, b = k * x.size // _PIECES, (k + 1) * x.size // _PIECES
        _relu_forward_loop(x[a:b], z[a:b])


@njit(parallel=True, nogil=True, cache=True)
def _relu_backward_parallel(grad, z, g):
    """_relu_backward_loop on _PIECES equal shares of the values at once."""
    for k in prange(_PIECES):
        a, b = k * z.size // _PIECES, (k + 1) * z.size // _PIECES
        _relu_backward_loop(grad[a:b], z[a:b], g[a:b])


def relu_forward_numba(x: np.ndarray) -> np.ndarray:
    x = x.astype(x.dtype, order="C", copy=False)  # a view of other strides is copied once
    z = np.empty_like(x)
    parallel = threads.loop_beside_blas(x.size, PARALLEL_MIN, _relu_forward_parallel, x.dtype)
    (_relu_forward_parallel if parallel else _relu_forward_loop)(x.reshape(-1), z.reshape(-1))
    return z


def relu_backward_numba(grad: np.ndarray, z: np.ndarray) -> np.ndarray:
    if grad.shape != z.shape:  # the loop walks z's elements: a smaller grad would be read past its end
        raise RuntimeError(f"relu backward: grad of shape {tuple(grad.shape)} for an output of shape "
                           f"{tuple(z.shape)}")
    z = z.astype(z.dtype, order="C", copy=False)
    g = np.empty_like(z)
    if grad.flags.c_contiguous and grad.dtype == z.dtype:
        grad = grad.reshape(-1)
    else:  # a broadcast gradient (sum's backward) or other strides: into g once, then masked in place
        np.copyto(g, grad)
        grad = g.reshape(-1)
    parallel = threads.loop_beside_blas(z.size, PARALLEL_MIN, _relu_backward_parallel, z.dtype)
    (_relu_backward_parallel if parallel else _relu_backward_loop)(grad, z.reshape(-1), g.reshape(-1))
    return g
