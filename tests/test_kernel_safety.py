"""Every kernel entry point refuses a wrong call with a clean, PyTorch-like error (issue 9).

The kernels in ``tinygrad_edu.kernels`` index raw arrays in compiled loops: fed arrays that
disagree (a bias too short, a gradient of the wrong shape, an index past the plane) they would
read or write outside them. Each entry point checks its arguments in Python first. Here each
one, numba path and numpy twin, is called directly with wrong shapes, dtypes and options; each
must raise RuntimeError / NotImplementedError (TypeError for a non-array) naming the op. The numba cases also run once in
a subprocess, so that a crash (a segfault in a compiled loop) fails a test instead of killing
pytest. Inputs in any memory layout are not an error: they must give the contiguous result.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

from strategies import with_layout
from tinygrad_edu.kernels import conv, pool

PATHS = ("numba", "numpy")
f64, f32 = np.float64, np.float32


def _a(*shape, dtype=f64):
    return np.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)


def _conv(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    return ("conv2d_forward", (x, w, b, stride, padding, dilation, groups))


def _conv_grad(g, x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    return ("conv2d_backward", (g, x, w, stride, padding, (True, True, True), dilation, groups))


def _pool(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    return ("max_pool2d_forward", (x, kernel, stride, padding, dilation, ceil_mode))


def _unpool(g, argmax, x_shape):
    return ("max_pool2d_backward", (g, argmax, x_shape))


X, W, B = _a(2, 4, 6, 6), _a(6, 4, 3, 3), _a(6)
G = _a(2, 6, 4, 4)  # conv2d(X, W)'s output shape
IDX = np.zeros((2, 4, 3, 3), np.int64)  # max_pool2d(X, 2)'s argmax shape
GP = _a(2, 4, 3, 3)

# name: (call, message that must appear); each runs on both paths
CASES = {
    "conv x 3-D": (_conv(_a(4, 6, 6), W), r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d"),
    "conv x 5-D": (_conv(_a(1, 2, 4, 6, 6), W), "input to conv2d, but got input of size: \\[1, 2, 4, 6, 6\\]"),
    "conv x a list": (_conv([[[[1.0]]]], W), "conv2d: expected input to be a numpy array"),
    "conv w 3-D": (_conv(X, _a(6, 4, 3)), r"conv2d: expected a 4D weight .* \[6, 4, 3\]"),
    "conv bias 2-D": (_conv(X, W, _a(6, 1)), "expected bias to be 1-dimensional with 6 elements, but got bias of size \\[6, 1\\]"),
    "conv bias too short": (_conv(X, W, _a(5)), "expected bias to be 1-dimensional with 6 elements"),
    "conv bias too long": (_conv(X, W, _a(7)), "expected bias to be 1-dimensional with 6 elements"),
    "conv channels": (_conv(_a(2, 3, 6, 6), W), "expected input\\[2, 3, 6, 6\\] to have 4 channels, but got 3"),
    "conv groups channels": (_conv(X, _a(6, 4, 3, 3), groups=2), "Given groups=2, .* to have 8 channels, but got 4"),
    "conv groups out": (_conv(X, _a(3, 2, 3, 3), groups=2), "expected weight to be divisible by 2 at dimension 0"),
    "conv groups 0": (_conv(X, W, groups=0), "conv2d: non-positive groups is not supported"),
    "conv stride 0": (_conv(X, W, stride=(0, 1)), "conv2d: non-positive stride is not supported"),
    "conv stride 3 values": (_conv(X, W, stride=(1, 1, 1)), "conv2d: expected stride to be .* a list of 2 values"),
    "conv stride floats": (_conv(X, W, stride=(1.0, 1.0)), "conv2d: expected stride to be .* a list of 2 values"),
    "conv padding -1": (_conv(X, W, padding=(-1, 0)), "conv2d: negative padding is not supported"),
    "conv dilation 0": (_conv(X, W, dilation=(1, 0)), "conv2d: dilation should be greater than zero"),
    "conv kernel too big": (_conv(_a(2, 4, 2, 6), W), r"conv2d: Calculated padded input size per channel: \(2 x 6\)"),
    "conv dilated kernel too big": (_conv(X, W, dilation=(3, 1)), r"Kernel size: \(7 x 3\). Kernel size can't be"),
    "conv float16": (_conv(X.astype(np.float16), W.astype(np.float16)), "\"conv2d\" not implemented for 'Half'"),
    "conv mixed dtypes": (_conv(X, W.astype(f32)), "conv2d: expected scalar type Double but found Float"),
    "conv mixed bias": (_conv(X, W, B.astype(f32)), "conv2d: expected scalar type Double but found Float"),
    "conv int x, float w": (_conv(X.astype(np.int64), W), "conv2d: .*scalar type|not implemented for 'Long'"),
    "conv grad shape": (_conv_grad(_a(2, 6, 4, 5), X, W), r"conv2d backward: expected grad_output of size \[2, 6, 4, 4\]"),
    "conv grad 3-D": (_conv_grad(_a(6, 4, 4), X, W), r"conv2d backward: expected grad_output of size"),
    "conv grad channels": (_conv_grad(_a(2, 5, 4, 4), X, W), r"conv2d backward: expected grad_output of size"),
    "conv grad dtype": (_conv_grad(G.astype(f32), X, W), "conv2d backward: expected grad_output of scalar type Double"),
    "conv grad, w wrong": (_conv_grad(G, X, _a(6, 3, 3, 3)), "to have 3 channels, but got 4"),
    "pool x 2-D": (_pool(_a(6, 6)), "max_pool2d: non-empty 3D or 4D .* size \\[6, 6\\]"),
    "pool x 5-D": (_pool(_a(1, 1, 1, 6, 6)), "max_pool2d: non-empty 3D or 4D"),
    "pool no channels": (_pool(_a(1, 0, 6, 6)), "max_pool2d: Expected 3D or 4D .* optional 0 dim batch size"),
    "pool no rows": (_pool(_a(1, 1, 0, 6)), "max_pool2d: Expected 3D or 4D .* optional 0 dim batch size"),
    "pool float16": (_pool(X.astype(np.float16)), "\"max_pool2d\" not implemented for 'Half'"),
    "pool kernel 0": (_pool(X, kernel=(0, 2)), "max_pool2d: kernel size should be greater than zero"),
    "pool stride 0": (_pool(X, stride=(2, 0)), "max_pool2d: stride should be greater than zero"),
    "pool dilation 0": (_pool(X, dilation=(0, 1)), "max_pool2d: dilation should be greater than zero"),
    "pool padding -1": (_pool(X, padding=(-1, 0)), "max_pool2d: pad must be non-negative"),
    "pool padding > k/2": (_pool(X, padding=(2, 0)), "max_pool2d: pad should be at most half of effective kernel size"),
    "pool kernel too big": (_pool(_a(1, 2, 2, 2), kernel=(3, 3)), r"Given input size: \(2x2x2\). Calculated output "
                            r"size: \(2x0x0\). Output size is too small"),
    "pool dilated too big": (_pool(_a(1, 2, 4, 4), kernel=(3, 3), stride=(1, 1), dilation=(2, 2)), "Output size is too small"),
    "pool kernel 3 values": (_pool(X, kernel=(2, 2, 2)), "max_pool2d: expected kernel_size to be"),
    "unpool argmax shape": (_unpool(GP, np.zeros((2, 4, 3, 2), np.int64), X.shape), r"expected grad_output of size \[2, 4, 3, 2\]"),
    "unpool argmax int32": (_unpool(GP, IDX.astype(np.int32), X.shape), "max_pool2d backward: expected int64 indices"),
    "unpool argmax N": (_unpool(GP, IDX, (3, 4, 6, 6)), r"max_pool2d backward: expected int64 indices of size \[N, C, OH, OW\]"),
    "unpool argmax 3-D": (_unpool(GP[0], IDX[0], X.shape), "max_pool2d backward: expected int64 indices"),
    "unpool argmax -1": (_unpool(GP, IDX - 1, X.shape), r"max_pool2d backward: indices must lie in \[0, 36\)"),
    "unpool argmax past plane": (_unpool(GP, IDX + 36, X.shape), r"indices must lie in \[0, 36\) .* \[36, 36\]"),
    "unpool grad int": (_unpool(GP.astype(np.int64), IDX, X.shape), "expected grad_output of scalar type Float or Double"),
    "unpool grad float16": (_unpool(GP.astype(np.float16), IDX, X.shape), "expected grad_output of scalar type Float"),
    "unpool x_shape 3 values": (_unpool(GP, IDX, (2, 4, 36)), "max_pool2d backward: expected the input's shape"),
}
# numpy-only kernels: (function, args, message)
NUMPY_ONLY = {
    "avg divisor 0": (pool.avg_pool2d_forward, (X, (2, 2), (2, 2), (0, 0), False, True, 0), "avg_pool2d: divisor must be"),
    "avg int32": (pool.avg_pool2d_forward, (X.astype(np.int32), (2, 2), (2, 2), (0, 0)),
                  "\"avg_pool2d\" not implemented for 'Int'"),
    "avg x 2-D": (pool.avg_pool2d_forward, (_a(6, 6), (2, 2), (2, 2), (0, 0)), "avg_pool2d: non-empty 3D or 4D"),
    "avg padding > k/2": (pool.avg_pool2d_forward, (X, (2, 2), (2, 2), (2, 2)), "avg_pool2d: pad should be at most half"),
    "avg grad shape": (pool.avg_pool2d_backward, (_a(2, 4, 3, 2), X.shape, (2, 2), (2, 2), (0, 0)),
                       r"avg_pool2d backward: expected grad_output of size \[2, 4, 3, 3\]"),
    "avg grad int": (pool.avg_pool2d_backward, (GP.astype(np.int64), X.shape, (2, 2), (2, 2), (0, 0)),
                     "avg_pool2d backward: expected grad_output of scalar type Float or Double"),
    "adaptive avg 2-D": (pool.adaptive_avg_pool2d_forward, (_a(6, 6), (2, 2)),
                         r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[6, 6\]"),
    "adaptive avg H 0": (pool.adaptive_avg_pool2d_forward, (_a(1, 1, 0, 6), (2, 2)), "with dimension 2 being empty"),
    "adaptive avg -1": (pool.adaptive_avg_pool2d_forward, (X, (-1, 2)), "greater than or equal to 0 but received \\{-1, 2\\}"),
    "adaptive avg int": (pool.adaptive_avg_pool2d_forward, (X.astype(np.int64), (2, 2)),
                         "\"adaptive_avg_pool2d\" not implemented for 'Long'"),
    "adaptive avg grad": (pool.adaptive_avg_pool2d_backward, (_a(2, 3, 2, 2), X.shape),
                          "adaptive_avg_pool2d backward: expected grad_output of size"),
    "adaptive max 5-D": (pool.adaptive_max_pool2d_forward, (_a(1, 1, 1, 6, 6), (2, 2)), r"adaptive_max_pool2d\(\): Expected 3D"),
    "adaptive max size": (pool.adaptive_max_pool2d_forward, (X, (2, 2, 2)), "adaptive_max_pool2d: expected output_size"),
}
MODULES = {"conv2d": conv, "max_pool2d": pool}


def run_case(name: str, path: str) -> None:
    """Call one CASES entry on one path; raise AssertionError unless it raised the expected clean error."""
    (kernel, args), message = CASES[name]
    fn = getattr(MODULES[kernel.split("_forward")[0].split("_backward")[0]], f"{kernel}_{path}")
    with pytest.raises((RuntimeError, NotImplementedError, TypeError), match=message):
        fn(*args)


@pytest.mark.parametrize("name", list(CASES))
def test_numpy_twin_refuses_a_wrong_call(name):
    run_case(name, "numpy")


@pytest.mark.parametrize("name", list(NUMPY_ONLY))
def test_numpy_only_kernel_refuses_a_wrong_call(name):
    fn, args, message = NUMPY_ONLY[name]
    with pytest.raises((RuntimeError, NotImplementedError), match=message):
        fn(*args)


def test_numba_path_refuses_every_wrong_call_without_crashing():
    """All CASES on the numba path, in a child process: a segfault shows as a failed test."""
    tests = os.path.dirname(__file__)
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import test_kernel_safety as t\n"
              "for name in t.CASES: t.run_case(name, 'numba')\n"
              "t.run_case_int_on_numba()\n"
              "print('clean', len(t.CASES))\n")
    root = os.path.dirname(tests)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", script, tests], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, f"exit {result.returncode}:\n{result.stdout[-2000:]}{result.stderr[-4000:]}"
    assert result.stdout.split() == ["clean", str(len(CASES))]


def run_case_int_on_numba() -> None:
    """Integer arrays are the numpy twin's alone (kernels.conv2d_forward routes them there)."""
    with pytest.raises(RuntimeError, match="\"conv2d\" not implemented for 'Long' on the numba path"):
        conv.conv2d_forward_numba(X.astype(np.int64), W.astype(np.int64), None, (1, 1), (0, 0))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_any_memory_layout_gives_the_contiguous_result(path, layout):
    forward, backward = getattr(conv, f"conv2d_forward_{path}"), getattr(conv, f"conv2d_backward_{path}")
    x, w, b, g = _a(2, 4, 7, 6), _a(6, 2, 3, 2), _a(6), _a(2, 6, 4, 5)
    args = ((2, 1), (1, 0), (1, 1), 2)
    odd = [with_layout(a, layout) for a in (x, w, b, g)]
    assert not odd[0].flags.c_contiguous
    np.testing.assert_array_equal(forward(*odd[:3], *args), forward(x, w, b, *args))
    for ours, ref in zip(backward(odd[3], odd[0], odd[1], args[0], args[1], (True,) * 3, *args[2:]),
                         backward(g, x, w, args[0], args[1], (True,) * 3, *args[2:])):
        np.testing.assert_allclose(ours, ref, rtol=1e-14)  # numpy's sums may take another order
    pool_fwd, pool_bwd = getattr(pool, f"max_pool2d_forward_{path}"), getattr(pool, f"max_pool2d_backward_{path}")
    out, argmax = pool_fwd(odd[0], (2, 2), (1, 2), (1, 0), (1, 1), True)
    ref_out, ref_argmax = pool_fwd(x, (2, 2), (1, 2), (1, 0), (1, 1), True)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(argmax, ref_argmax)
    gp = _a(*out.shape)
    np.testing.assert_array_equal(pool_bwd(with_layout(gp, layout), with_layout(argmax, layout), x.shape),
                                  pool_bwd(gp, argmax, x.shape))
