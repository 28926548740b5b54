"""Parity cases for the CUDA kernels (``tinygrad_edu.kernels.cuda``), run in two places:

* in numba's CUDA simulator, on any machine: ``test_cuda_sim.py`` runs this file in a child
  process with ``NUMBA_ENABLE_CUDASIM=1`` (the simulator must be chosen before numba is
  imported). Arrays are numpy; torch runs on the CPU; the numpy twins are the other reference.
* on a real GPU: ``test_cuda_gpu.py`` imports these tests when one is present. Arrays are
  CuPy's; torch runs on CUDA with TF32 off, so both sides compute in true float32/float64.

The file name has no ``test_`` prefix, so a plain ``pytest`` run never collects it directly.
Shapes are tiny: the simulator runs every GPU thread as a Python thread.
"""
import numpy as np
import pytest
import torch
from numba import config

from helpers import TOLERANCES
from tinygrad_edu.kernels import adam as adam_twin, conv as conv_twin, pool as pool_twin
from tinygrad_edu.kernels import cuda as kernels

ON_GPU = not config.ENABLE_CUDASIM
if ON_GPU:
    import cupy as xp

    DEVICE = "cuda"
    torch.backends.cudnn.allow_tf32 = False  # torch's CUDA conv would otherwise round float32 inputs to 10 bits
    torch.backends.cuda.matmul.allow_tf32 = False
else:
    xp = np
    DEVICE = "cpu"

DTYPES = ["float64", "float32"]


def on_device(a):
    """A numpy array as the kernels' input: itself in the simulator, a CuPy copy on a GPU."""
    return xp.asarray(a)


def to_numpy(a):
    return xp.asnumpy(a) if ON_GPU else np.asarray(a)


def to_torch(a, requires_grad=False):
    return torch.tensor(np.asarray(a), device=DEVICE, requires_grad=requires_grad)


def assert_close(actual, expected, dtype, what):
    """actual: a kernel's result; expected: numpy or torch. Same shape, dtype and values (TOLERANCES)."""
    actual = to_numpy(actual)
    expected = expected.detach().cpu().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    rtol, atol = TOLERANCES[dtype] if expected.dtype.kind == "f" else (0, 0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def random(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ----------------------------------------------------------------------------------------------
# conv2d
# ----------------------------------------------------------------------------------------------

# (x shape, w shape, stride, padding, dilation, groups); the twins know no dilation or groups
CONV_CASES = [
    ((2, 2, 5, 5), (3, 2, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    ((2, 1, 8, 8), (1, 1, 3, 3), (1, 1), (0, 0), (1, 1), 1),  # 72 terms per weight: blocks of 8 threads
    ((1, 2, 6, 5), (2, 2, 3, 3), (2, 2), (1, 1), (1, 1), 1),
    ((2, 1, 5, 6), (2, 1, 2, 3), (2, 1), (1, 0), (1, 1), 1),
    ((1, 4, 6, 6), (4, 2, 3, 2), (1, 2), (1, 1), (2, 1), 2),
]


def _conv_ids(case):
    x, w, s, p, d, g = case
    return f"x{x}-w{w}-s{s}-p{p}-d{d}-g{g}".replace(" ", "")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES, ids=_conv_ids)
def test_conv2d_matches_torch_and_the_twin(case, dtype):
    x_shape, w_shape, stride, padding, dilation, groups = case
    x, w, b = random(x_shape, dtype, 1), random(w_shape, dtype, 2), random(w_shape[0], dtype, 3)
    out = kernels.conv2d_forward(on_device(x), on_device(w), on_device(b), stride, padding, dilation, groups)
    xt, wt, bt = to_torch(x, True), to_torch(w, True), to_torch(b, True)
    ref = torch.nn.functional.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    assert_close(out, ref, dtype, "out")

    g = random(ref.shape, dtype, 4)
    ref.backward(to_torch(g))
    dx, dw, db = kernels.conv2d_backward(on_device(g), on_device(x), on_device(w), stride, padding,
                                         dilation=dilation, groups=groups)
    assert_close(dx, xt.grad, dtype, "dx")
    assert_close(dw, wt.grad, dtype, "dw")
    assert_close(db, bt.grad, dtype, "db")

    if dilation == (1, 1) and groups == 1:
        assert_close(out, conv_twin.conv2d_forward_numpy(x, w, b, stride, padding), dtype, "out vs twin")
        for name, got, want in zip("dx dw db".split(), (dx, dw, db),
                                   conv_twin.conv2d_backward_numpy(g, x, w, stride, padding)):
            assert_close(got, want, dtype, f"{name} vs twin")


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, True), (False, False, True)])
def test_conv2d_backward_computes_only_what_is_needed(needs):
    x, w = random((1, 2, 4, 4), "float64"), random((2, 2, 3, 3), "float64")
    g = random((1, 2, 2, 2), "float64", 5)
    grads = kernels.conv2d_backward(on_device(g), on_device(x), on_device(w), (1, 1), (0, 0), needs)
    assert [d is not None for d in grads] == list(needs)
    for got, want, need in zip(grads, conv_twin.conv2d_backward_numpy(g, x, w, (1, 1), (0, 0)), needs):
        if need:
            assert_close(got, want, "float64", "gradient")


def test_bias_gradient_adds_up_many_terms_in_a_tree():
    """Two blocks of 64 threads, each thread adding 32 of the 2048 terms: the full tree of block_sum."""
    g = random((2, 2, 32, 32), "float64", 6)
    x, w = np.zeros((2, 1, 34, 34)), np.zeros((2, 1, 3, 3))
    _, _, db = kernels.conv2d_backward(on_device(g), on_device(x), on_device(w), (1, 1), (0, 0), (False, False, True))
    assert_close(db, g.sum(axis=(0, 2, 3)), "float64", "db")


def test_conv2d_without_bias_and_with_an_empty_batch():
    x, w = random((0, 2, 4, 4), "float32"), random((3, 2, 3, 3), "float32")
    out = kernels.conv2d_forward(on_device(x), on_device(w), None, (1, 1), (1, 1))
    assert out.shape == (0, 3, 4, 4)
    dx, dw, db = kernels.conv2d_backward(on_device(np.zeros(out.shape, "float32")), on_device(x), on_device(w),
                                         (1, 1), (1, 1))
    assert dx.shape == (0, 2, 4, 4)
    assert_close(dw, np.zeros_like(w), "float32", "dw")  # no image: every sum is empty
    assert_close(db, np.zeros(3, "float32"), "float32", "db")


@pytest.mark.parametrize("call, message", [
    (lambda x, w: kernels.conv2d_forward(x, w[:, :1], None, (1, 1), (0, 0)), "expected input"),
    (lambda x, w: kernels.conv2d_forward(x, w.astype("float32"), None, (1, 1), (0, 0)),
     "expected scalar type Double but found Float"),
    (lambda x, w: kernels.conv2d_forward(x[0], w, None, (1, 1), (0, 0)), r"4D \(batched\) input"),
    (lambda x, w: kernels.conv2d_forward(x, w, None, (0, 1), (0, 0)), "stride"),
    (lambda x, w: kernels.conv2d_forward(x, w, None, 1, (0, 0)), "single integer value or a list of 2 values"),
    (lambda x, w: kernels.conv2d_forward(x[..., :2, :2], w, None, (1, 1), (0, 0)), "Kernel size can't be greater"),
    (lambda x, w: kernels.conv2d_forward(x, w, w[:, 0, 0, 0].copy()[:1], (1, 1), (0, 0)), "bias"),
    (lambda x, w: kernels.conv2d_backward(x[:, :1, :2, :2], x, w, (1, 1), (0, 0)), "grad_output"),
])
def test_conv2d_refuses_bad_arguments_with_torchs_error(call, message):
    x, w = on_device(random((1, 2, 4, 4), "float64")), on_device(random((2, 2, 3, 3), "float64"))
    with pytest.raises(RuntimeError, match=message):
        call(x, w)


# ----------------------------------------------------------------------------------------------
# max_pool2d
# ----------------------------------------------------------------------------------------------

# (x shape, kernel, stride, padding, dilation, ceil_mode)
POOL_CASES = [
    ((1, 2, 4, 4), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((2, 1, 5, 5), (3, 3), (1, 1), (1, 1), (1, 1), False),  # overlapping windows: the backward's atomics
    ((1, 2, 5, 6), (3, 2), (2, 1), (1, 0), (1, 1), False),
    ((1, 1, 7, 7), (3, 3), (2, 2), (1, 1), (2, 2), True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", POOL_CASES,
                         ids=lambda c: f"x{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}-d{c[4]}-{c[5]}".replace(" ", ""))
@pytest.mark.parametrize("values", ["random", "ties"])
def test_max_pool2d_matches_torch_and_the_twin(case, dtype, values):
    x_shape, kernel, stride, padding, dilation, ceil_mode = case
    x = random(x_shape, dtype, 6)
    if values == "ties":  # a few distinct values: many windows with several maxima
        x = np.round(x).astype(dtype)
    out, argmax = kernels.max_pool2d_forward(on_device(x), kernel, stride, padding, dilation, ceil_mode)
    xt = to_torch(x, True)
    ref, ref_at = torch.nn.functional.max_pool2d(xt, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    assert_close(out, ref, dtype, "out")
    assert_close(argmax, ref_at, dtype, "argmax")  # torch's CUDA kernel scans as its CPU one: same ties
    g = random(ref.shape, dtype, 7)
    ref.backward(to_torch(g))
    dx = kernels.max_pool2d_backward(on_device(g), argmax, x.shape)
    assert_close(dx, xt.grad, dtype, "dx")
    if dilation == (1, 1) and not ceil_mode:
        twin_out, twin_at = pool_twin.max_pool2d_forward_numpy(x, kernel, stride, padding)
        assert_close(out, twin_out, dtype, "out vs twin")
        assert_close(argmax, twin_at, dtype, "argmax vs twin")
        assert_close(dx, pool_twin.max_pool2d_backward_numpy(g, twin_at, x.shape), dtype, "dx vs twin")


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool2d_nan_and_minus_inf_windows_match_torch(dtype):
    x = random((1, 1, 4, 4), dtype, 8)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan  # two NaNs in one window: the last one wins
    x[0, 0, 2:, 2:] = -np.inf  # a window of -inf: its first element
    out, argmax = kernels.max_pool2d_forward(on_device(x), (2, 2), (2, 2), (0, 0))
    ref, ref_at = torch.nn.functional.max_pool2d(to_torch(x), 2, 2, return_indices=True)
    assert_close(out, ref, dtype, "out")
    assert_close(argmax, ref_at, dtype, "argmax")


@pytest.mark.parametrize("call, message", [
    (lambda x: kernels.max_pool2d_forward(x, (2, 2), (2, 2), (2, 0)), "pad should be at most half"),
    (lambda x: kernels.max_pool2d_forward(x[0], (2, 2), (2, 2), (0, 0)), r"3D or 4D \(batch mode\)"),
    (lambda x: kernels.max_pool2d_forward(x.astype("int64"), (2, 2), (2, 2), (0, 0)), "not implemented for 'Long'"),
    (lambda x: kernels.max_pool2d_forward(x, (5, 5), (1, 1), (0, 0)), "Output size is too small"),
    (lambda x: kernels.max_pool2d_backward(x[:, :, :2, :2], x[:, :, :2, :1].astype("int64"), x.shape),
     "expected grad_output of size"),
    # a dilated window that holds only padding: torch returns -inf and an index its backward writes through
    (lambda x: kernels.max_pool2d_forward(x[:, :, :1, :2], (1, 2), (1, 1), (0, 1), (1, 3)),
     "holds no element of the input"),
    # indices outside the 4x4 plane: the atomic scatter would write outside dx
    (lambda x: kernels.max_pool2d_backward(x[:, :, :2, :2], on_device(np.full((1, 2, 2, 2), 16)), x.shape),
     r"indices must lie in \[0, 16\)"),
    (lambda x: kernels.max_pool2d_backward(x[:, :, :2, :2], on_device(np.full((1, 2, 2, 2), -1)), x.shape),
     r"indices must lie in \[0, 16\)"),
])
def test_max_pool2d_refuses_bad_arguments_with_torchs_error(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(on_device(random((1, 2, 4, 4), "float64")))


# ----------------------------------------------------------------------------------------------
# Adam
# ----------------------------------------------------------------------------------------------

ADAM_OPTIONS = [
    dict(),
    dict(weight_decay=0.1, amsgrad=True),
    dict(maximize=True, betas=(0.8, 0.95), eps=1e-6),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_adam_matches_torch_and_the_twin(options, dtype):
    """Five steps on a (3, 4) parameter, compared after every step."""
    lr, (beta1, beta2), eps = 0.01, options.get("betas", (0.9, 0.999)), options.get("eps", 1e-8)
    weight_decay, amsgrad, maximize = (options.get(k, d) for k, d in (("weight_decay", 0.0), ("amsgrad", False),
                                                                     ("maximize", False)))
    p0 = random((3, 4), dtype, 9)
    param = torch.nn.Parameter(to_torch(p0))
    opt = torch.optim.Adam([param], lr=lr, **options)
    gpu = [on_device(a) for a in (p0, np.zeros_like(p0), np.zeros_like(p0), np.zeros_like(p0))]
    twin = [p0.copy(), np.zeros_like(p0), np.zeros_like(p0), np.zeros_like(p0)]
    for step in range(1, 6):
        g = random(p0.shape, dtype, 10 + step)
        param.grad = to_torch(g)
        opt.step()
        p, m, v, v_max = gpu
        kernels.adam_update(p, on_device(g), m, v, v_max if amsgrad else None, lr, beta1, beta2, eps, weight_decay,
                            step, maximize)
        tp, tm, tv, tv_max = twin
        adam_twin.adam_update_numpy(tp, g, tm, tv, tv_max if amsgrad else None, lr, beta1, beta2, eps, weight_decay,
                                    step, maximize)
        assert_close(p, param, dtype, f"step {step}: parameter")
        assert_close(m, opt.state[param]["exp_avg"], dtype, f"step {step}: exp_avg")
        assert_close(v, opt.state[param]["exp_avg_sq"], dtype, f"step {step}: exp_avg_sq")
        for name, got, want in zip(("p", "m", "v"), gpu, twin):
            assert_close(got, want, dtype, f"step {step}: {name} vs twin")


def test_adam_updates_a_non_contiguous_parameter_in_place():
    base = on_device(random((4, 6), "float64", 20))
    p = base[:, ::2]  # every other column: a strided view
    before = to_numpy(base).copy()
    g = random((4, 3), "float64", 21)
    m, v = on_device(np.zeros((4, 3))), on_device(np.zeros((4, 3)))
    kernels.adam_update(p, on_device(g), m, v, None, 0.1, 0.9, 0.999, 1e-8, 0.0, 1, False)
    want = before[:, ::2].copy()
    adam_twin.adam_update_numpy(want, g, np.zeros((4, 3)), np.zeros((4, 3)), None, 0.1, 0.9, 0.999, 1e-8, 0.0, 1, False)
    assert_close(base[:, ::2], want, "float64", "updated columns")
    assert_close(base[:, 1::2], before[:, 1::2], "float64", "untouched columns")


def test_adam_refuses_a_moment_of_another_shape():
    p = on_device(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match=r"exp_avg has shape \(3,\)"):
        kernels.adam_update(p, p, on_device(np.zeros(3)), p, None, 0.1, 0.9, 0.999, 1e-8, 0.0, 1, False)
