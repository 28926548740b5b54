"""Check your own op against PyTorch in one line.

``assert_close_to_torch`` runs one function on tinygrad_edu and on PyTorch with the same
inputs, sends the same upstream gradient back through both graphs, and compares forward
values, shapes, dtypes and every input's gradient with the tolerance of the dtype
(``TOLERANCES``)::

    from tinygrad_edu.testing import assert_close_to_torch
    assert_close_to_torch(lambda m, x, y: m.sigmoid(x) * y, np.random.randn(3, 4), np.random.randn(4))

The function receives the module (``tinygrad_edu`` or ``torch``) first, so one body serves
both engines; or pass a pair ``(fn_edu, fn_torch)`` when the two calls differ. PyTorch is
imported only when a check runs: the engine itself never needs it.

``check_against_torch`` is the same check with the two functions as separate arguments and
more options (integer inputs, which inputs require grad); the project's own tests use it.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import creation
from .tensor import Tensor

# (rtol, atol) per dtype: |edu - torch| <= atol + rtol * |torch|, elementwise.
# float64: both engines round the same maths differently (numpy's pairwise sums, torch's
# vectorised kernels) by a few units in the last place of ~1e-16, far inside 1e-10.
# float32: unit roundoff is 6e-8; rtol 1e-5 leaves room for sums of a few dozen terms, and
# atol 1e-5 (torch.testing's float32 default) covers results that cancel to near zero.
TOLERANCES = {
    "float64": (1e-10, 1e-12),
    "float32": (1e-5, 1e-5),
}


def _torch():
    try:
        import torch
    except ImportError as e:  # pragma: no cover - the dev extra installs it
        raise ImportError("tinygrad_edu.testing compares against PyTorch: pip install torch") from e
    return torch


def copy_keep_layout(array: np.ndarray, dtype=None) -> np.ndarray:
    """A copy of ``array`` (converted to ``dtype``) with the same stride pattern.

    A transposed array stays transposed and a sliced one keeps its gaps, so a tensor built on
    the copy with ``from_numpy`` is as non-contiguous as ``array``. Strides must be >= 0.
    """
    array = np.asarray(array)
    dtype = np.dtype(dtype or array.dtype)
    if array.ndim == 0 or array.flags.c_contiguous:
        return np.array(array, dtype=dtype, copy=True)
    assert all(s >= 0 and s % array.itemsize == 0 for s in array.strides), array.strides
    steps = [s // array.itemsize for s in array.strides]
    buffer = np.zeros(1 + sum((n - 1) * s for n, s in zip(array.shape, steps)), dtype=dtype)
    out = np.lib.stride_tricks.as_strided(buffer, array.shape, [s * dtype.itemsize for s in steps])
    out[...] = array
    return out


def _leaves(inputs, dtype, requires_grad):
    """The same leaves in both engines: float arrays in ``dtype``, other arrays as they are."""
    torch = _torch()
    flags = [requires_grad] * len(inputs) if isinstance(requires_grad, bool) else list(requires_grad)
    assert len(flags) == len(inputs), "one requires_grad flag per input"
    edu, ref = [], []
    for array, flag in zip(inputs, flags):
        array = np.asarray(array)
        is_float = array.dtype.kind == "f"
        target = dtype if is_float else array.dtype
        e = creation.from_numpy(copy_keep_layout(array, target))
        t = torch.from_numpy(copy_keep_layout(array, target))
        if is_float and flag:
            e.requires_grad_()
            t.requires_grad_()
        edu.append(e)
        ref.append(t)
    return edu, ref


def _as_tuple(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def assert_same_tensor(edu, ref, rtol: float, atol: float, what: str = "output") -> None:
    """One tinygrad_edu tensor against one torch tensor: type, shape, dtype, values."""
    assert isinstance(edu, Tensor), f"{what}: expected a tinygrad_edu Tensor, got {type(edu).__name__}"
    assert tuple(edu.shape) == tuple(ref.shape), f"{what}: shape {tuple(edu.shape)} != torch {tuple(ref.shape)}"
    ref_dtype = str(ref.dtype).removeprefix("torch.")
    assert edu.dtype.name == ref_dtype, f"{what}: dtype {edu.dtype.name} != torch {ref_dtype}"
    expected = ref.detach().numpy()
    actual = edu.detach().numpy()
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def check_against_torch(fn_edu: Callable, fn_torch: Callable | None, inputs: Sequence[np.ndarray],
                        dtype: str = "float64", requires_grad: bool | Sequence[bool] = True,
                        rtol: float | None = None, atol: float | None = None, seed: int = 0):
    """Run ``fn_edu`` on tinygrad_edu tensors and ``fn_torch`` on torch tensors; compare everything.

    inputs: numpy arrays, one per argument of the functions. Float arrays are converted to
        ``dtype``; integer and bool arrays (indices, masks) are passed as they are and never
        require grad.
    fn_torch: None runs ``fn_edu`` on both engines (fine whenever the code only calls
        methods and operators, as ``lambda x, y: (x @ y).relu()`` does).
    requires_grad: one flag for all float inputs, or one per input.
    rtol, atol: default to ``TOLERANCES[dtype]``.
    seed: for the upstream gradient, drawn from N(0, 1) in each output's shape.

    Outputs may be a tensor or a tuple of tensors (``max(dim)`` gives values and indices).
    Returns the leaves and outputs of both engines, ``(edu_leaves, edu_outs, torch_leaves,
    torch_outs)``, for extra checks.
    """
    torch = _torch()
    default_rtol, default_atol = TOLERANCES[dtype]
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    edu_leaves, ref_leaves = _leaves(inputs, np.dtype(dtype), requires_grad)
    edu_outs = _as_tuple(fn_edu(*edu_leaves))
    ref_outs = _as_tuple((fn_torch or fn_edu)(*ref_leaves))
    assert len(edu_outs) == len(ref_outs), f"{len(edu_outs)} outputs, torch gives {len(ref_outs)}"

    differentiable = []
    for k, (e, t) in enumerate(zip(edu_outs, ref_outs)):
        assert_same_tensor(e, t, rtol, atol, f"output {k}")
        assert e.requires_grad == t.requires_grad, f"output {k}: requires_grad {e.requires_grad} != torch"
        if t.requires_grad:
            differentiable.append(k)

    if differentiable:
        rng = np.random.default_rng(seed)
        upstream = {k: np.asarray(rng.standard_normal(ref_outs[k].shape),
                                  dtype=str(ref_outs[k].dtype).removeprefix("torch."))
                    for k in differentiable}
        if len(differentiable) == 1:  # the plain path a learner uses: out.backward(gradient)
            (k,) = differentiable
            edu_outs[k].backward(creation.tensor(upstream[k]))
            ref_outs[k].backward(torch.from_numpy(upstream[k]))
        else:  # several outputs: back-propagate sum_k <out_k, g_k>
            sum(((edu_outs[k] * creation.tensor(upstream[k])).sum() for k in differentiable)).backward()
            sum(((ref_outs[k] * torch.from_numpy(upstream[k])).sum() for k in differentiable)).backward()

    for i, (e, t) in enumerate(zip(edu_leaves, ref_leaves)):
        if t.grad is None:
            assert e.grad is None, f"input {i}: got a gradient where torch has none"
        else:
            assert e.grad is not None, f"input {i}: no gradient, torch has one"
            assert_same_tensor(e.grad, t.grad, rtol, atol, f"gradient of input {i}")
    return edu_leaves, edu_outs, ref_leaves, ref_outs


def assert_close_to_torch(fn: Callable | tuple[Callable, Callable], *inputs, dtype: str = "float64",
                          rtol: float | None = None, atol: float | None = None, grad: bool = True):
    """Assert that ``fn`` gives PyTorch's values, shapes, dtypes and gradients on ``inputs``.

    fn: ``fn(module, *tensors)``, called once with ``tinygrad_edu`` and once with ``torch``;
        or a pair ``(fn_edu, fn_torch)`` of functions of the tensors alone.
    inputs: numpy arrays (or nested lists), one per tensor argument; float ones become
        ``dtype`` tensors that require grad when ``grad`` is True.
    Returns what :func:`check_against_torch` returns.
    """
    import tinygrad_edu

    torch = _torch()
    if isinstance(fn, tuple):
        fn_edu, fn_torch = fn
    else:
        def fn_edu(*xs):
            return fn(tinygrad_edu, *xs)

        def fn_torch(*xs):
            return fn(torch, *xs)
    arrays = [np.asarray(x) for x in inputs]
    return check_against_torch(fn_edu, fn_torch, arrays, dtype=dtype, requires_grad=grad, rtol=rtol, atol=atol)
