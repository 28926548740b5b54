"""Large 2-D products cut by columns among numba's threads (``kernels/gemm.py``), and Adam's parallel loop.

Each block of a product is one BLAS call on one thread, so the product must have, bit for bit, the
values of those calls made one after another by numpy on one BLAS thread, whichever way the blocks
run (numba's parallel loop, the thread pool, the caller's thread), and numpy's values to float
rounding. Operands the cut does not take go to numpy unchanged.
"""
import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from tinygrad_edu import runtime
from tinygrad_edu.kernels import adam, gemm, threads

pytestmark = pytest.mark.skipif(not gemm.available(), reason="numpy's BLAS is not an OpenBLAS with 64-bit cblas gemm")


def _operands(m, k, n, a_t, b_t, dtype, seed=0):
    """a (m, k) and b (k, n), each C-contiguous or (with a_t / b_t) the transpose of a C-contiguous array."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if a_t else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if b_t else (k, n)).astype(dtype)
    return (a.T if a_t else a), (b.T if b_t else b)


def _blocks_one_by_one(a, b):
    """numpy's products of each block of a's rows with b, or of a with each block of b's columns, on one
    BLAS thread: what ``product`` must give."""
    rows = gemm.by_rows(a.shape[0], b.shape[1])
    length = a.shape[0] if rows else b.shape[1]
    blocks = min(length, numba.get_num_threads())
    edges = [length * k // blocks for k in range(blocks + 1)]
    with threadpool_limits(1, user_api="blas"):
        parts = [a[first:last] @ b if rows else a @ b[:, first:last]
                 for first, last in zip(edges[:-1], edges[1:], strict=True)]
    return np.concatenate(parts, axis=0 if rows else 1)


# every block 2 rows or columns or more (numpy multiplies by a single one as a matrix-vector product); the
# last three are cut into blocks of rows
SHAPES = [(128, 784, 100), (100, 128, 784), (64, 1568, 200), (3, 5, 70), (2, 300, 66), (37, 1, 80),
          (1000, 784, 100), (300, 20, 70), (90, 3, 2)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_t", [0, 1])
@pytest.mark.parametrize("b_t", [0, 1])
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_a_product_has_the_bits_of_its_blocks_and_numpy_s_values(m, k, n, a_t, b_t, dtype):
    a, b = _operands(m, k, n, a_t, b_t, dtype)
    assert gemm.fits(a, b)
    with threadpool_limits(1, user_api="blas"):
        out = gemm.product(a, b)
    assert out.shape == (m, n) and out.dtype == dtype and out.flags.c_contiguous
    np.testing.assert_array_equal(out, _blocks_one_by_one(a, b))
    exact = a.astype(np.float64) @ b.astype(np.float64)
    tolerance = (2e-5 if dtype == np.float32 else 1e-13) * np.abs(a).max() * np.abs(b).max() * k
    np.testing.assert_allclose(out, exact, rtol=0, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(64, 1568, 200), (1000, 784, 100)], ids=["columns", "rows"])
def test_the_loop_the_pool_and_the_caller_give_the_same_bits(m, k, n, dtype):
    a, b = _operands(m, k, n, 0, 1, dtype, seed=3)
    expected = _blocks_one_by_one(a, b)
    outs = []
    with threadpool_limits(1, user_api="blas"):
        for way in (True, False):  # numba's parallel loop, then the thread pool (split or whole by its timing)
            previous = threads.use_parallel_loops(way)
            try:
                outs += [gemm.product(a, b) for _ in range(5)]
            finally:
                threads.use_parallel_loops(previous)
        whole = np.empty_like(expected)
        rows = gemm.by_rows(m, n)
        blocks = min(m if rows else n, numba.get_num_threads())
        gemm._blocks(0, blocks, a, 0, b.T, 1, whole, rows, threads.even_bounds(m if rows else n, blocks))  # caller's
    for out in outs + [whole]:
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("a,b", [
    (np.ones((64, 600), np.int64), np.ones((600, 64), np.int64)),
    (np.ones((64, 600), np.float16), np.ones((600, 64), np.float16)),
    (np.ones((64, 600), np.float32), np.ones((600, 64), np.float64)),
    (np.ones((64, 1200), np.float32)[:, ::2], np.ones((600, 64), np.float32)),  # neither order contiguous
    (np.ones((64, 0), np.float32), np.ones((0, 64), np.float32)),
    (np.ones((2, 64, 600), np.float32), np.ones((600, 64), np.float32)),
    (np.ones((1, 600), np.float32), np.ones((600, 64), np.float32)),  # a row or a column: numpy's gemv
    (np.ones((64, 600), np.float32), np.ones((600, 1), np.float32)),
], ids=["int64", "float16", "mixed", "strided", "empty", "batched", "row", "column"])
def test_what_the_cut_does_not_take_stays_numpy_s(a, b):
    assert not gemm.fits(a, b)
    out = runtime.matmul(a, b)
    np.testing.assert_array_equal(out, a @ b)
    assert out.dtype == (a @ b).dtype


def test_operands_whose_inner_sizes_differ_are_numpy_s_error_not_a_read_past_the_end():
    a, b = np.ones((64, 600), np.float32), np.ones((500, 64), np.float32)  # 64*600*64 multiply-adds: above the cut
    assert not gemm.fits(a, b)
    with pytest.raises(ValueError, match="matmul"):
        runtime.matmul(a, b)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_s_parallel_loop_has_the_serial_loop_s_bits(amsgrad, dtype, monkeypatch):
    """From adam.PARALLEL_MIN elements up the update may run on numba's threads: each element's update is
    its own, so it must not change a bit."""
    if numba.get_num_threads() < 2:
        pytest.skip("needs two numba threads")
    monkeypatch.setattr(runtime, "blas_workers_up", lambda: False)  # (whatever earlier tests left BLAS doing)
    runs, runner = [], adam._adam_runner
    monkeypatch.setattr(adam, "_adam_runner", lambda *args: runs.append(1) or runner(*args))
    rng = np.random.default_rng(0)
    size = adam.PARALLEL_MIN + 5
    start = [rng.standard_normal(size).astype(dtype) for _ in range(2)] + [rng.random(size).astype(dtype) * 1e-3
                                                                           for _ in range(3)]
    results = []
    for way in (True, False):
        previous = threads.use_parallel_loops(way)
        try:
            p, g, m, v, v_max = (x.copy() for x in start)
            for step in range(1, 4):
                adam.adam_update_numba(p, g, m, v, v_max if amsgrad else None, 1e-3, 0.9, 0.999, 1e-8, 0.01,
                                       float(step), False)
            results.append((p, m, v, v_max))
        finally:
            threads.use_parallel_loops(previous)
    assert len(runs) == 3  # the parallel loop ran the first way only
    for parallel, serial in zip(*results, strict=True):
        np.testing.assert_array_equal(parallel, serial)
    p, g, m, v, v_max = (x.copy() for x in start)
    for step in range(1, 4):
        adam.adam_update_numpy(p, g, m, v, v_max if amsgrad else None, 1e-3, 0.9, 0.999, 1e-8, 0.01, float(step),
                               False)
    np.testing.assert_allclose(results[0][0], p, rtol=2e-6 if dtype == np.float32 else 1e-12)
