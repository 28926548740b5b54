"""``tinygrad_edu.kernels.simd``: vectors as values inside numba kernels, checked against numpy."""
import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from tinygrad_edu.kernels import simd


@njit(cache=True)
def _round_trip(a, i, out, j):
    """out[j:j + lanes] = a[i:i + lanes]; returns lanes."""
    simd.store(out, j, simd.load(a, i))
    return simd.lanes(a)


@njit(cache=True)
def _axpy(a, x, y, out):
    """out = a * x + y over whole vectors, a splat."""
    s = simd.splat(a)
    for i in range(0, out.shape[0], simd.lanes(out)):
        simd.store(out, i, simd.mul_add(s, simd.load(x, i), simd.load(y, i)))


@pytest.mark.parametrize("dtype, lanes", [(np.float32, 16), (np.float64, 8)])
def test_a_vector_is_64_bytes_and_load_store_move_exactly_its_lanes(dtype, lanes):
    a = np.arange(40, dtype=dtype) * dtype(0.37)
    out = np.full(40, -1, dtype)
    assert _round_trip(a, 3, out, 5) == lanes == simd.VECTOR_BYTES // np.dtype(dtype).itemsize
    expected = np.full(40, -1, dtype)
    expected[5:5 + lanes] = a[3:3 + lanes]
    np.testing.assert_array_equal(out, expected)  # nothing outside the lanes is touched


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mul_add_and_splat_match_numpy(dtype):
    rng = np.random.default_rng(0)
    # small integers: every product and sum is exact, fused or not, so the results must be equal
    x, y = (rng.integers(-1000, 1000, 64).astype(dtype) for _ in range(2))
    out = np.empty(64, dtype)
    _axpy(dtype(-3), x, y, out)
    np.testing.assert_array_equal(out, dtype(-3) * x + y)
    # non-finite values travel as in numpy
    x[:3], y[:3] = (np.inf, np.nan, 1), (1, 1, -np.inf)
    _axpy(dtype(2), x, y, out)
    np.testing.assert_array_equal(out[:3], np.array([np.inf, np.nan, -np.inf], dtype))


def test_wrong_arguments_fail_at_compile_time_with_the_function_named():
    with pytest.raises(TypingError, match="simd.load: expected a 1-D contiguous float32 or float64 array"):
        _round_trip(np.arange(20), 0, np.zeros(20), 0)  # int64
    with pytest.raises(TypingError, match="simd.load: expected a 1-D contiguous"):
        _round_trip(np.zeros((4, 20)), 0, np.zeros(20), 0)
    with pytest.raises(TypingError, match="simd.store: expected a Vector"):
        _round_trip(np.zeros(20, np.float32), 0, np.zeros(20), 0)  # float32 vector into float64


@njit(cache=True)
def _copy_first(a, i, n, out, j, m):
    simd.store_first(out, j, simd.load_first(a, i, n), m)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, m", [(0, 0), (5, 7), (7, 5), (3, 3), ("lanes", "lanes")])
def test_load_first_and_store_first_touch_only_their_lanes(dtype, n, m):
    lanes = simd.VECTOR_BYTES // np.dtype(dtype).itemsize
    n, m = (lanes if k == "lanes" else k for k in (n, m))
    a = np.arange(1, 41, dtype=dtype)
    out = np.full(40, -1, dtype)
    _copy_first(a, 37 - n, n, out, 40 - m, m)  # the last values of a into the last of out: nothing past either end
    expected = np.full(40, -1, dtype)
    loaded = np.concatenate([a[37 - n:37], np.zeros(lanes - n, dtype)])  # zeros in the lanes past n
    expected[40 - m:] = loaded[:m]
    np.testing.assert_array_equal(out, expected)
