"""The conv / max-pool kernels (``tinygrad_edu.kernels``) against torch, path by path.

Every example runs both paths (numba and numpy twin) and compares each with torch's forward
and with the gradients torch.autograd gives for x, w and b, then the two paths with each
other. Float sums are compared relative to the sum of the magnitudes of their terms, which
torch gives us by running the same op on |x|, |w|, |b| and |g|: a float sum of terms t_k is
off by at most about (number of terms) * eps * sum |t_k|, whatever the cancellation, so
|ours - torch| <= rtol * sum|t_k| with rtol a small multiple of eps (RTOL) is a tight test.
Pooling copies values, so it must match exactly, argmax included.
"""
import os
import subprocess
import sys

import numba
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from strategies import with_layout
from tinygrad_edu import kernels
from tinygrad_edu.kernels import conv, pool

PATHS = ("numba", "numpy")
# About 40 eps (float64 eps 2.2e-16, float32 1.2e-7): the largest error seen over 300 examples of
# the conv test was 1.6 eps of the magnitude, for either dtype and path; sums here have up to
# 4*7*7 = 196 terms per output, whose rounding error grows like sqrt(terms) eps in practice.
RTOL = {"float64": 1e-14, "float32": 5e-6}
EXAMPLES = settings(max_examples=40, deadline=None)


def _conv_path(path):
    return getattr(conv, f"conv2d_forward_{path}"), getattr(conv, f"conv2d_backward_{path}")


def _pool_path(path):
    return getattr(pool, f"max_pool2d_forward_{path}"), getattr(pool, f"max_pool2d_backward_{path}")


def torch_conv(x, w, b, g, stride, padding, dilation=(1, 1), groups=1):
    """torch's out, dx, dw, db (db None without bias) as numpy arrays."""
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    out = TF.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), None if b is None else bt.grad.numpy()


def assert_sum_close(actual, expected, magnitude, dtype):
    """|actual - expected| <= RTOL * magnitude elementwise, magnitude = the sum of |terms|."""
    assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    err = np.abs(actual.astype(np.float64) - expected)
    bound = RTOL[dtype] * magnitude + np.finfo(dtype).tiny
    assert np.all(err <= bound), f"worst error {np.max(err - bound):.3g} over the bound"


@st.composite
def conv_cases(draw):
    """Kernels 1..7 (1..4 when dilated, dilation up to 3), strides 1..3, padding 0..3, groups 1..3."""
    dh, dw = draw(st.sampled_from([1, 1, 2, 3])), draw(st.sampled_from([1, 1, 2, 3]))
    KH, KW = draw(st.integers(1, 7 if dh == 1 else 4)), draw(st.integers(1, 7 if dw == 1 else 4))
    sh, sw, ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(0, 3)), draw(st.integers(0, 3))
    EH, EW = dh * (KH - 1) + 1, dw * (KW - 1) + 1  # the dilated kernel's span
    H = draw(st.integers(max(1, EH - 2 * ph), EH + 9))
    W = draw(st.integers(max(1, EW - 2 * pw), EW + 9))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    N, C, F = draw(st.integers(1, 3)), groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    OH, OW = (H + 2 * ph - EH) // sh + 1, (W + 2 * pw - EW) // sw + 1
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layout = st.sampled_from(("contiguous", "transposed", "sliced"))
    x = with_layout(rng.uniform(-1, 1, (N, C, H, W)), draw(layout))
    w = with_layout(rng.uniform(-1, 1, (F, C // groups, KH, KW)), draw(layout))
    b = rng.uniform(-1, 1, F) if draw(st.booleans()) else None
    g = with_layout(rng.uniform(-1, 1, (N, F, OH, OW)), draw(layout))
    return x, w, b, g, (sh, sw), (ph, pw), (dh, dw), groups


@EXAMPLES
@given(case=conv_cases(), dtype=st.sampled_from(["float64", "float32"]))
def test_conv2d_matches_torch_on_both_paths(case, dtype):
    x, w, b, g, stride, padding, dilation, groups = case
    x, w, g = (a.astype(dtype) for a in (x, w, g))  # astype keeps the layout
    b = None if b is None else b.astype(dtype)
    options = (stride, padding, dilation, groups)
    expected = torch_conv(x, w, b, g, *options)
    magnitude = torch_conv(*(None if a is None else np.abs(a).astype(np.float64) for a in (x, w, b, g)), *options)
    results = {}
    for path in PATHS:
        forward, backward = _conv_path(path)
        out = forward(x, w, b, *options)
        dx, dw, db = backward(g, x, w, stride, padding, (True, True, True), dilation, groups)
        assert out.flags.c_contiguous and dx.flags.c_contiguous and dw.flags.c_contiguous
        for name, ours, ref, mag in zip(("out", "dx", "dw", "db"), (out, dx, dw, db), expected, magnitude):
            if ref is not None:  # db is compared whenever there is a bias to compare with
                assert_sum_close(ours, ref.astype(np.float64), mag, dtype)
        results[path] = (out, dx, dw, db)
    # the twins against each other: same maths, only the rounding of the sums differs
    for ours, twin, mag in zip(results["numba"], results["numpy"], magnitude):
        if mag is not None:
            assert_sum_close(ours, twin.astype(np.float64), mag, dtype)


@pytest.mark.parametrize("groups, F", [(1, 17), (2, 16), (2, 18), (3, 27)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("stride", [(1, 1), (2, 1)])
def test_conv2d_numba_gradients_over_channel_blocks_and_groups(groups, F, dtype, stride):
    """Channel counts that reach every branch, with a group offset (the random cases above stay under
    10 channels): the forward kernel makes output channels eight at a time; at stride 1 dx is itself
    such a convolution (of g, F channels in), at stride 2 the scatter kernel sweeps eight output
    channels at a time, then the rest one by one, within each group; dw pairs channels two by two."""
    rng = np.random.default_rng(F)
    x = rng.uniform(-1, 1, (3, 2 * groups, 7, 6)).astype(dtype)
    w, b = rng.uniform(-1, 1, (F, 2, 3, 3)).astype(dtype), rng.uniform(-1, 1, F).astype(dtype)
    OH, OW = (7 + 2 - 3) // stride[0] + 1, (6 + 2 - 3) // stride[1] + 1
    g = rng.uniform(-1, 1, (3, F, OH, OW)).astype(dtype)
    options = (stride, (1, 1), (1, 1), groups)
    expected = torch_conv(x, w, b, g, *options)
    magnitude = torch_conv(*(np.abs(a).astype(np.float64) for a in (x, w, b, g)), *options)
    assert_sum_close(conv.conv2d_forward_numba(x, w, b, *options), expected[0].astype(np.float64), magnitude[0], dtype)
    ours = conv.conv2d_backward_numba(g, x, w, stride, (1, 1), (True, True, True), (1, 1), groups)
    for name, got, ref, mag in zip(("dx", "dw", "db"), ours, expected[1:], magnitude[1:]):
        assert_sum_close(got, ref.astype(np.float64), mag, dtype)


@pytest.mark.parametrize("stride, padding, kernel, scatter", [
    ((1, 1), (1, 1), (3, 3), False),  # a convolution of g, padded by 3 - 1 - 1 = 1
    ((1, 1), (0, 2), (3, 3), False),  # padding 2 and 0: the kernel's span allows both
    ((1, 1), (2, 0), (1, 3), True),  # padding 2 past a one-row kernel: the scatter kernel
    ((2, 1), (1, 1), (3, 3), True),  # strided: the scatter kernel
])
def test_conv2d_input_gradient_as_a_convolution_or_by_scatter(monkeypatch, stride, padding, kernel, scatter):
    """dx of a stride-1 convolution is a convolution of g with the flipped kernel; the others take
    the scatter kernel. Both give torch's dx; the test also sees which one ran."""
    rng = np.random.default_rng(5)
    x, w = rng.uniform(-1, 1, (2, 3, 6, 7)), rng.uniform(-1, 1, (4, 3) + kernel)
    OH = (6 + 2 * padding[0] - kernel[0]) // stride[0] + 1
    OW = (7 + 2 * padding[1] - kernel[1]) // stride[1] + 1
    g = rng.uniform(-1, 1, (2, 4, OH, OW))
    calls = []
    for name in ("_input_grad_kernel", "_input_grad_runner"):  # on one thread, on the pool; in the parallel loop
        monkeypatch.setattr(conv, name, lambda *args, run=getattr(conv, name): calls.append(1) or run(*args))
    dx = conv.conv2d_backward_numba(g, x, w, stride, padding, (True, False, False))[0]
    expected = torch_conv(x, w, None, g, stride, padding)[1]
    magnitude = torch_conv(np.abs(x), np.abs(w), None, np.abs(g), stride, padding)[1]
    assert_sum_close(dx, expected, magnitude, "float64")
    assert bool(calls) == scatter


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False), (False, False, True), (False, True, True)])
def test_conv2d_backward_returns_only_what_is_needed(path, needs):
    rng = np.random.default_rng(1)
    x, w, g = rng.uniform(-1, 1, (2, 3, 6, 5)), rng.uniform(-1, 1, (4, 3, 3, 2)), rng.uniform(-1, 1, (2, 4, 3, 6))
    grads = _conv_path(path)[1](g, x, w, (2, 1), (1, 1), needs)
    full = _conv_path(path)[1](g, x, w, (2, 1), (1, 1))
    for need, grad, reference in zip(needs, grads, full):
        if need:
            np.testing.assert_array_equal(grad, reference)
        else:
            assert grad is None


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("bad", ["x", "w"])
@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_conv2d_non_finite_values_spread_like_torch(path, bad, value):
    """An inf or NaN in x (or w) makes exactly torch's outputs and gradients inf or NaN. The
    bad input sits in the last column, which only the rightmost windows read."""
    rng = np.random.default_rng(4)
    x, w, g = rng.uniform(-1, 1, (2, 2, 5, 6)), rng.uniform(-1, 1, (3, 2, 3, 3)), rng.uniform(-1, 1, (2, 3, 3, 4))
    if bad == "x":
        x[1, 0, 2, 5] = value
    else:
        w[1, 0, 0, 2] = value
    forward, backward = _conv_path(path)
    expected = torch_conv(x, w, None, g, (1, 1), (0, 0))
    for ours, ref in zip((forward(x, w, None, (1, 1), (0, 0)),) + backward(g, x, w, (1, 1), (0, 0))[:2], expected):
        np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(ref))
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
        np.testing.assert_allclose(ours, ref, rtol=RTOL["float64"], atol=RTOL["float64"] * 10)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("size", [(28, 28), (31, 46)])
def test_box_blur_matches_torch(path, size):
    """The tutorial's 7x7 box blur of a float32 image: mean of each 7x7 neighbourhood, zeros outside."""
    image = np.random.default_rng(2).uniform(0, 1, (1, 1, *size)).astype(np.float32)
    kernel = np.ones((1, 1, 7, 7), np.float32) / 49
    ours = _conv_path(path)[0](image, kernel, None, (1, 1), (3, 3))
    expected = TF.conv2d(torch.from_numpy(image), torch.from_numpy(kernel), padding=3).numpy()
    # all terms are >= 0, so the sum of magnitudes is the result itself
    assert_sum_close(ours, expected.astype(np.float64), expected.astype(np.float64), "float32")


@st.composite
def pool_cases(draw):
    dh, dw = draw(st.sampled_from([1, 1, 2, 3])), draw(st.sampled_from([1, 1, 2, 3]))
    KH, KW = draw(st.integers(1, 7 if dh == 1 else 4)), draw(st.integers(1, 7 if dw == 1 else 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, KH // 2)), draw(st.integers(0, KW // 2))
    EH, EW = dh * (KH - 1) + 1, dw * (KW - 1) + 1
    H = draw(st.integers(max(1, EH - 2 * ph), EH + 9))
    W = draw(st.integers(max(1, EW - 2 * pw), EW + 9))
    ceil_mode = draw(st.booleans())
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # a coarse grid makes ties in a window common; NaNs and -inf test what wins besides numbers
    x = rng.integers(-3, 4, (N, C, H, W)) / 2 if draw(st.booleans()) else rng.uniform(-1, 1, (N, C, H, W))
    specials = draw(st.sampled_from([(), (np.nan,), (-np.inf,), (np.nan, -np.inf)]))
    for value in specials:
        x[rng.random(x.shape) < 0.2] = value
    # the output size as torch computes it (a wrong one makes torch's backward refuse g)
    OH, OW = TF.max_pool2d(torch.zeros(1, 1, H, W), (KH, KW), (sh, sw), (ph, pw), (dh, dw), ceil_mode).shape[2:]
    # no dilated window that skips past the input: torch's index points outside the window there, and
    # its backward writes through it (test_max_pool2d_refuses_windows_without_input checks we refuse)
    for size, out, k, s, p, d in ((H, OH, KH, sh, ph, dh), (W, OW, KW, sw, pw, dw)):
        assume(all(any(0 <= o * s - p + i * d < size for i in range(k)) for o in range(out)))
    g = rng.uniform(-1, 1, (N, C, OH, OW))
    layout = st.sampled_from(("contiguous", "transposed", "sliced"))
    return (with_layout(x, draw(layout)), with_layout(g, draw(layout)), (KH, KW), (sh, sw), (ph, pw), (dh, dw),
            ceil_mode)


def torch_pool(x, g, kernel_size, stride, padding, dilation=(1, 1), ceil_mode=False):
    xt = torch.tensor(x, requires_grad=True)
    out, idx = TF.max_pool2d(xt, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), idx.numpy(), xt.grad.numpy()


@EXAMPLES
@given(case=pool_cases(), dtype=st.sampled_from(["float64", "float32"]))
def test_max_pool2d_matches_torch_on_both_paths(case, dtype):
    x, g, *options = case
    x, g = x.astype(dtype), g.astype(dtype)
    out_ref, idx_ref, dx_ref = torch_pool(x, g, *options)
    magnitude = torch_pool(x, np.abs(g), *options)[2]
    for path in PATHS:
        forward, backward = _pool_path(path)
        out, argmax = forward(x, *options)
        assert out.dtype == x.dtype and argmax.dtype == np.int64
        np.testing.assert_array_equal(out, out_ref)  # NaN matches NaN here
        np.testing.assert_array_equal(argmax, idx_ref)
        dx = backward(g, argmax, x.shape)
        assert dx.dtype == g.dtype and dx.shape == x.shape
        # one input sums the gradients of the windows it won, in an order that may differ from torch's
        assert_sum_close(dx, dx_ref.astype(np.float64), magnitude, dtype)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_max_pool2d_ties_and_all_minus_inf_windows_match_torch(path, dtype):
    """Equal values in a window: the first in row-major order wins, and overlapping windows
    (stride 1 < kernel 2) add their gradients on it. An all -inf window picks its first real
    input, never the padding."""
    x = np.array([[[[1, 1, 0, 5],
                    [1, 1, 5, 5],
                    [-np.inf, -np.inf, 2, 2],
                    [-np.inf, -np.inf, 2, 2]]]], dtype)
    g = np.arange(1, 26, dtype=dtype).reshape(1, 1, 5, 5)
    forward, backward = _pool_path(path)
    out, argmax = forward(x, (2, 2), (1, 1), (1, 1))
    out_ref, idx_ref, dx_ref = torch_pool(x, g, (2, 2), (1, 1), (1, 1))
    np.testing.assert_array_equal(out, out_ref)
    np.testing.assert_array_equal(argmax, idx_ref)
    np.testing.assert_array_equal(backward(g, argmax, x.shape), dx_ref)
    assert argmax[0, 0, 1, 1] == 0 and argmax[0, 0, 3, 1] == 8  # the all-1 window, the all -inf one


@pytest.mark.parametrize("path", PATHS)
def test_max_pool2d_refuses_windows_without_input(path):
    """Kernel 2 with dilation 3 and padding 1 on a width-2 input: the window's taps fall at -1 and 2,
    both outside. torch gives -inf and index 2, outside the 2-element plane; we refuse the call."""
    x = np.array([[[[0.25, -0.5]]]])
    _, idx = TF.max_pool2d(torch.from_numpy(x), (1, 2), 1, (0, 1), (1, 3), return_indices=True)
    assert idx.item() == 2  # torch's index past the plane
    with pytest.raises(RuntimeError, match="max_pool2d: a window of the dilated kernel holds no element of the input"):
        _pool_path(path)[0](x, (1, 2), (1, 1), (0, 1), (1, 3))


def test_use_selects_the_path_and_rejects_unknown_names():
    rng = np.random.default_rng(3)
    x, w, b = rng.uniform(-1, 1, (2, 2, 5, 5)), rng.uniform(-1, 1, (3, 2, 3, 3)), rng.uniform(-1, 1, 3)
    previous = kernels.use("numpy")
    try:
        assert kernels.current() == "numpy"
        np.testing.assert_array_equal(kernels.conv2d_forward(x, w, b, (1, 1), (1, 1)),
                                      conv.conv2d_forward_numpy(x, w, b, (1, 1), (1, 1)))
        assert kernels.use("numba") == "numpy"
        np.testing.assert_array_equal(kernels.conv2d_forward(x, w, b, (1, 1), (1, 1)),
                                      conv.conv2d_forward_numba(x, w, b, (1, 1), (1, 1)))
        np.testing.assert_array_equal(kernels.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))[1],
                                      pool.max_pool2d_forward_numba(x, (2, 2), (2, 2), (0, 0))[1])
        with pytest.raises(ValueError):
            kernels.use("cuda")
    finally:
        kernels.use(previous)


def test_environment_variable_selects_the_path_and_torch_is_never_imported():
    script = ("import sys, numpy as np; from tinygrad_edu import kernels; "
              "kernels.conv2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), None, (1, 1), (0, 0)); "
              "print(kernels.current(), 'torch' in sys.modules)")
    env = dict(os.environ, TINYGRAD_EDU_KERNELS="numpy")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["numpy", "False"]



@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1, 3, 7, 5), (5, 2, 9, 8), (64, 2, 40, 40)])
def test_numba_kernels_give_the_same_bits_on_any_thread_count(shape, dtype):
    """threads.run_split shares the images and channels out among numba's threads, in numba's
    parallel loops or on its thread pool; each output element is still made by one thread in one
    order, so neither the thread count nor the way changes a bit. Each call runs three times: a
    call site's first call is split, its second and third run whole and decide the rest."""
    from tinygrad_edu.kernels import relu, threads

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (shape, (5, shape[1], 3, 2), 5))

    def run():
        results = []
        for _ in range(3):
            out = conv.conv2d_forward_numba(x, w, b, (2, 1), (1, 1))
            same = conv.conv2d_forward_numba(x, w, b, (1, 1), (1, 2))  # dx by the forward kernel
            pooled, argmax = pool.max_pool2d_forward_numba(x, (2, 2), (1, 2), (1, 0))
            z = relu.relu_forward_numba(x)  # the large shape: in the parallel loop
            results += [out, *conv.conv2d_backward_numba(out, x, w, (2, 1), (1, 1)),
                        *conv.conv2d_backward_numba(same, x, w, (1, 1), (1, 2)), pooled, argmax,
                        pool.max_pool2d_backward_numba(pooled, argmax, x.shape), z, relu.relu_backward_numba(x, z)]
        return results

    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run()
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        ways = []
        for loops in (True, False):
            threads.use_parallel_loops(loops)
            ways.append(run())
    finally:
        numba.set_num_threads(previous)
        threads.use_parallel_loops(None)
    for way in ways:
        for a, b in zip(one, way):
            np.testing.assert_array_equal(a, b)


def test_run_split_does_every_job_once_and_raises_a_pieces_error():
    from tinygrad_edu.kernels.threads import run_split

    def count(start, stop, out):
        out[start:stop] += 1

    for jobs in (1, 2, 7, 37):
        out = np.zeros(jobs, np.int64)
        run_split(count, jobs, out)
        np.testing.assert_array_equal(out, 1)

    def fail_after_the_first(start, stop):
        if start > 0:
            raise ValueError(f"piece {start}..{stop}")

    with pytest.raises(ValueError, match="piece"):
        run_split(fail_after_the_first, 10)


def test_run_split_keeps_a_quick_call_site_on_the_callers_thread_and_splits_a_slow_one():
    """Waking a helper costs more than a small kernel's work: a call site (kernel, jobs, shapes) runs
    whole on the caller's thread at its 2nd and 3rd calls, then is split only if those took at least
    SPLIT_MIN_SECONDS. Counted by the calls the kernel gets: one per piece when split."""
    import time

    import numba

    from tinygrad_edu.kernels import threads

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs two numba threads")
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        for pause, split_at_last in ((0.0, False), (2 * threads.SPLIT_MIN_SECONDS, True)):
            ranges = []

            def kernel(start, stop, out, pause=pause, ranges=ranges):
                ranges.append((start, stop))
                out[start:stop] += 1
                time.sleep(pause)

            out = np.zeros(16, np.int64)
            for call in range(4):
                del ranges[:]
                threads.run_split(kernel, 16, out)
                if call == 0:
                    assert len(ranges) == 2 * threads.PIECES_PER_THREAD  # the first call (it may compile): split
                elif call < 3:
                    assert ranges == [(0, 16)]  # timed on the caller's thread alone
            np.testing.assert_array_equal(out, 4)  # every job once per call
            assert (len(ranges) > 1) == split_at_last, (pause, ranges)
    finally:
        numba.set_num_threads(before)


def test_run_split_lets_go_of_the_arrays_when_it_returns():
    """A helper thread that has not started yet (a busy machine) must not keep the call's arrays alive."""
    import threading
    import weakref

    import numba

    from tinygrad_edu.kernels import threads

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs two numba threads")
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    release = threading.Event()
    try:
        threads.run_split(lambda start, stop: None, 4)  # the pool exists: one helper thread
        threads._pool.submit(release.wait)  # ...kept busy, so the next call's piece waits in the queue
        out = np.zeros(8)
        threads.run_split(lambda start, stop, a: a.__setitem__(slice(start, stop), 1), 8, out)
        np.testing.assert_array_equal(out, 1)  # the caller's thread did every piece
        held = weakref.ref(out)
        del out
        assert held() is None
    finally:
        release.set()
        numba.set_num_threads(before)

# ---------------------------------------------------------------------------- Adam

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad, weight_decay, maximize", [(False, 0.0, False), (True, 0.01, False),
                                                              (False, 0.1, True)])
def test_adam_numba_and_numpy_twins_are_bit_identical(dtype, amsgrad, weight_decay, maximize):
    from tinygrad_edu.kernels.adam import adam_update_numba, adam_update_numpy

    rng = np.random.default_rng(7)
    start = [rng.standard_normal((33, 17)).astype(dtype) for _ in range(2)]
    states = [[a.copy() for a in start] + [np.zeros_like(start[0]) for _ in range(3)] for _ in range(2)]
    for step in range(1, 31):
        g = rng.standard_normal((33, 17)).astype(dtype)
        for update, (p, _, m, v, v_max) in zip((adam_update_numba, adam_update_numpy), states):
            update(p, g, m, v, v_max if amsgrad else None, 1e-2, 0.9, 0.999, 1e-8, weight_decay, float(step), maximize)
    for a, b in zip(states[0], states[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("path", ["numba", "numpy"])
def test_adam_flushes_subnormal_moments_to_zero(path):
    from tinygrad_edu.kernels import adam

    update = getattr(adam, f"adam_update_{path}")
    tiny = np.finfo(np.float32).tiny
    p = np.ones(4, np.float32)
    m = np.array([tiny * 4, tiny * 4, 1e-3, -tiny * 4], np.float32)  # decays below tiny in one step
    v = np.array([tiny * 2, 1e-6, 1e-6, tiny * 2], np.float32)
    update(p, np.zeros(4, np.float32), m, v, None, 1e-3, 0.1, 0.1, 1e-8, 0.0, 5.0, False)
    assert np.all(np.isfinite(p))
    assert m[0] == 0 and m[3] == 0 and v[0] == 0 and v[3] == 0, (m, v)  # no subnormals left behind
    assert m[2] == np.float32(1e-3) * np.float32(0.1) and v[1] > 0


def test_garbage_collector_paused_while_numba_compiles():
    """The engine (``runtime.py``, applied on import) pauses Python's cyclic collector during a numba
    compile (a third of a cold start's compile time went to full collections) and gives it back
    after, even when the compile fails; a collector the program turned off stays off."""
    import gc

    from numba.core import event
    from numba.core.errors import TypingError

    from tinygrad_edu import runtime
    assert runtime.settings()["gc_paused_while_numba_compiles"] is True

    seen = []

    class Probe(event.Listener):  # registered after the engine's listener, so it sees its effect
        def on_start(self, ev):
            seen.append(gc.isenabled())

        def on_end(self, ev):
            pass

    assert gc.isenabled()
    with event.install_listener("numba:compile", Probe()):
        assert numba.njit(lambda a: a + 1)(1) == 2
        with pytest.raises(TypingError):
            numba.njit(lambda a: a.no_such_attribute)(1)
        assert seen == [False, False] and gc.isenabled()
        gc.disable()
        try:
            assert numba.njit(lambda a: a * 2)(3) == 6
            assert not gc.isenabled()
        finally:
            gc.enable()
    assert len(seen) == 3
