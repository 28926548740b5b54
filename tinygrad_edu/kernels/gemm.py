"""Large 2-D products, out = a @ b, cut by columns (or rows) among numba's threads, each block one BLAS
call on one thread.

numpy's matmul hands a product to OpenBLAS, whose own worker threads then spin for ~0.1 s after it
(``runtime.py``); beside them numba's loop threads and theirs take turns on the cores, so the engine
either gave BLAS every core and kept its own loops on one thread (an MLP) or held BLAS on one thread
(a CNN). Here BLAS stays on one thread, and a product's column blocks run side by side in one of
numba's parallel loops, each block a single-threaded ``cblas_?gemm`` call into numpy's own
OpenBLAS: BLAS's workers never start, so the rest of a step (Adam, ReLU, the conv kernels) can use
every core too. On two cores an MLP's training step took 0.87-0.95x the time it took with BLAS's
two threads (x @ W^T and its weight gradient 302 -> 284 us, Adam 122 -> 66 us), a CNN's 0.93x.

Blocks: as many as numba has threads, each about N / threads columns wide (or M / threads rows,
``by_rows``). A block is one BLAS call over the whole of a and its columns of b (or its rows of a
and the whole of b), so its values are those of a one-thread BLAS call on the same block; the
blocks depend only on the shape and the thread count, never on which way they run (a parallel
loop, the thread pool, or one after another on the caller's thread, in ``threads.run_split``), so a
run repeats itself bit for bit.

The call: ``cblas_sgemm`` / ``cblas_dgemm`` of numpy's OpenBLAS, found by name (an OpenBLAS with
64-bit integers exports them with a "64_" suffix, numpy's wheels as "scipy_cblas_sgemm64_"), and
reached two ways: from the parallel loop through an LLVM symbol registered under a name of ours
(``_SYMBOLS``), which numba's cache can store, and from Python through ctypes, which lets go of the
GIL. Where no such OpenBLAS is found (another BLAS, an OpenBLAS with 32-bit integers), ``available``
is False and products stay numpy's.

Operands: each C-contiguous or the transpose of a C-contiguous array (W.T, g.T), float32 or float64,
one dtype (``fits``).
"""
from __future__ import annotations

import ctypes

import llvmlite.binding as llvm
import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from .. import runtime
from .threads import even_bounds, run_split

_NAMES = {np.dtype(np.float32): ("scipy_cblas_sgemm64_", "cblas_sgemm64_"),
          np.dtype(np.float64): ("scipy_cblas_dgemm64_", "cblas_dgemm64_")}
_SYMBOLS = {np.dtype(np.float32): "tinygrad_edu_cblas_sgemm64", np.dtype(np.float64): "tinygrad_edu_cblas_dgemm64"}
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112  # cblas's enums
_functions: dict = {}  # dtype -> the ctypes function (set up by ``available``)


def _set_up() -> bool:
    """Find the cblas gemm functions in an OpenBLAS the engine holds on one thread (``runtime``),
    numpy's first; register them for numba's loops. Whether both were found."""
    libs = sorted(runtime.held_blas_libraries(), key=lambda lib: "numpy" not in lib.filepath)
    for lib in libs:
        found = {}
        for dtype, names in _NAMES.items():
            for name in names:
                function = getattr(lib.dynlib, name, None)
                if function is not None:
                    found[dtype] = function
                    break
        if len(found) == len(_NAMES):
            for dtype, function in found.items():
                float_type = ctypes.c_float if dtype == np.float32 else ctypes.c_double
                function.restype = None
                function.argtypes = ([ctypes.c_int] * 3 + [ctypes.c_int64] * 3
                                     + [float_type, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
                                        float_type, ctypes.c_void_p, ctypes.c_int64])
                llvm.add_symbol(_SYMBOLS[dtype], ctypes.cast(function, ctypes.c_void_p).value)
                _functions[dtype] = function
            return True
    return False


_available = None


def available() -> bool:
    """Whether products can be cut here: an OpenBLAS with 64-bit-integer cblas gemm functions, held on
    one thread by ``runtime`` beside the kernels."""
    global _available
    if _available is None:
        _available = _set_up()
    return _available


def _operand(x):
    """(the C-contiguous array behind x, whether x is its transpose), or None."""
    if x.flags.c_contiguous:
        return x, 0
    if x.T.flags.c_contiguous:
        return x.T, 1
    return None


def fits(a, b) -> bool:
    """Whether ``product`` takes a @ b: 2-D a (M, K) and b (K, N) of one float dtype, M and N at least
    2 (a row or a column is numpy's matrix-vector product), K at least 1 and the same for both (the
    loop reads K values of each: numpy refuses the rest with its error), each C-contiguous or a
    transpose of such, and ``available``."""
    return (a.dtype == b.dtype and a.dtype in _NAMES and a.ndim == 2 and b.ndim == 2 and a.shape[0] >= 2
            and a.shape[1] >= 1 and a.shape[1] == b.shape[0] and b.shape[1] >= 2 and _operand(a) is not None
            and _operand(b) is not None and available())


def product(a, b):
    """a @ b where ``fits``, cut into blocks (``by_rows``) run on numba's threads. BLAS must be on one
    thread (``runtime.before_parallel_kernel``)."""
    (left, left_t), (right, right_t) = _operand(a), _operand(b)
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    rows = by_rows(*out.shape)
    length = out.shape[0] if rows else out.shape[1]
    blocks = min(length, numba.get_num_threads())
    run_split(_blocks, blocks, left, left_t, right, right_t, out, rows, even_bounds(length, blocks), runner=_runner,
              pieces_per_thread=1)
    return out


def by_rows(m: int, n: int) -> bool:
    """Whether an (m, n) product is cut into blocks of rows rather than of columns: each block's call
    reads the whole of the other operand (and BLAS copies it into its own layout), so the cut goes
    along the longer side; columns unless m >= 4n, as measured on two threads (x (128, 784) @ W.T
    (784, 100): rows 1.06x the columns' time; at 1,000 rows 0.93x)."""
    return m >= 4 * n


def _block(first, last, rows, a, a_t, b, b_t, out):
    """cblas's (m, n, address of a, of b, of out) for rows (or columns) first..last-1 of out = op(a) @ op(b),
    where op(x) is x, or x.T when x_t is 1. Plain Python, also compiled into the parallel loop."""
    M, N = out.shape
    size = out.itemsize
    a_at, b_at, out_at = np.int64(a.ctypes.data), np.int64(b.ctypes.data), np.int64(out.ctypes.data)
    if rows:
        return last - first, N, a_at + (first if a_t else first * a.shape[1]) * size, b_at, out_at + first * N * size
    return M, last - first, a_at, b_at + (first * b.shape[1] if b_t else first) * size, out_at + first * size


_block_compiled = njit(inline="always", cache=True)(_block)


def _blocks(start: int, stop: int, a, a_t: int, b, b_t: int, out, rows: bool, edges) -> None:
    """Blocks start..stop-1 of out, each one cblas call through ctypes, which lets go of the GIL: the
    pool's and the caller's way."""
    gemm = _functions[out.dtype]
    K = a.shape[0] if a_t else a.shape[1]
    for block in range(start, stop):
        m, n, a_at, b_at, out_at = _block(int(edges[block]), int(edges[block + 1]), rows, a, a_t, b, b_t, out)
        gemm(_ROW_MAJOR, _TRANS if a_t else _NO_TRANS, _TRANS if b_t else _NO_TRANS, m, n, K, 1.0, int(a_at),
             a.shape[1], int(b_at), b.shape[1], 0.0, int(out_at), out.shape[1])


@intrinsic
def _cblas_gemm(typingctx, a_t, b_t, m, n, k, a_at, lda, b_at, ldb, out, out_at, ldc):
    """cblas_?gemm(row-major, op(a), op(b), m, n, k, 1, a, lda, b, ldb, 0, c, ldc) inside a numba loop:
    the addresses are integers, ``out`` (the array written) gives the dtype and keeps it alive."""
    sig = types.void(types.int64, types.int64, types.int64, types.int64, types.int64, types.int64, types.int64,
                     types.int64, types.int64, out, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        a_t, b_t, m, n, k, a_at, lda, b_at, ldb, _, out_at, ldc = args
        single = signature.args[9].dtype == types.float32
        real, i32, i64 = (ir.FloatType() if single else ir.DoubleType()), ir.IntType(32), ir.IntType(64)
        pointer = real.as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i32, i64, i64, i64, real, pointer, i64, pointer, i64,
                                               real, pointer, i64])
        name = _SYMBOLS[np.dtype(np.float32 if single else np.float64)]
        function = cgutils.get_or_insert_function(builder.module, fnty, name)

        def op(flag):
            return builder.select(builder.icmp_signed("!=", flag, ir.Constant(i64, 0)),
                                  ir.Constant(i32, _TRANS), ir.Constant(i32, _NO_TRANS))
        builder.call(function, [ir.Constant(i32, _ROW_MAJOR), op(a_t), op(b_t), m, n, k, ir.Constant(real, 1.0),
                                builder.inttoptr(a_at, pointer), lda, builder.inttoptr(b_at, pointer), ldb,
                                ir.Constant(real, 0.0), builder.inttoptr(out_at, pointer), ldc])
        return context.get_dummy_value()
    return sig, codegen


@njit(nogil=True, cache=True)
def _blocks_loop(start, stop, a, a_t, b, b_t, out, rows, edges):
    """``_blocks`` in compiled code, for the parallel loop."""
    K = a.shape[0] if a_t else a.shape[1]
    for block in range(start, stop):
        m, n, a_at, b_at, out_at = _block_compiled(edges[block], edges[block + 1], rows, a, a_t, b, b_t, out)
        _cblas_gemm(a_t, b_t, m, n, K, a_at, a.shape[1], b_at, b.shape[1], out, out_at, out.shape[1])


@njit(parallel=True, nogil=True, cache=True)
def _runner(bounds, a, a_t, b, b_t, out, rows, edges):
    for k in prange(bounds.size - 1):
        _blocks_loop(bounds[k], bounds[k + 1], a, a_t, b, b_t, out, rows, edges)
