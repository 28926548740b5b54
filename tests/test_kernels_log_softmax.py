"""The log_softmax row kernel (``tinygrad_edu.kernels.softmax``), both paths, against torch."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu.kernels import softmax

PATHS = ("numba", "numpy")
RTOL = {np.float32: 1e-5, np.float64: 1e-12}


def _path(path):
    return getattr(softmax, f"log_softmax_rows_{path}")


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(PATHS), st.sampled_from([np.float32, np.float64]), st.data())
def test_against_torch(path, dtype, data):
    shape = data.draw(st.tuples(st.integers(0, 6), st.integers(1, 12)))
    x = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-50, 50, width=32)))
    y = _path(path)(x)
    ref = torch.log_softmax(torch.from_numpy(x), dim=1).numpy()
    assert y.dtype == x.dtype and y.shape == x.shape
    np.testing.assert_allclose(y, ref, rtol=RTOL[dtype], atol=RTOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_paths_agree_on_special_values(dtype):
    x = np.array([[np.nan, 1.0, 2.0], [1.0, np.nan, 0.0], [-np.inf, 0.0, 1.0], [np.inf, 0.0, 1.0],
                  [-np.inf, -np.inf, -np.inf], [3.0, 3.0, 3.0]], dtype)
    ref = torch.log_softmax(torch.from_numpy(x), dim=1).numpy()
    for path in PATHS:
        with np.errstate(invalid="ignore"):
            np.testing.assert_allclose(_path(path)(x), ref, rtol=RTOL[dtype], atol=RTOL[dtype], equal_nan=True)


@pytest.mark.parametrize("x", [np.zeros((3, 0)), np.zeros(4), np.zeros((2, 3, 4)), np.zeros((2, 3), dtype=np.int64)])
def test_the_numba_kernel_refuses_what_its_loop_cannot_read(x):
    """Each row's first element is read: no columns, another rank or an integer array is refused."""
    with pytest.raises(RuntimeError, match="log_softmax rows kernel: expected a float"):
        softmax.log_softmax_rows_numba(x)
