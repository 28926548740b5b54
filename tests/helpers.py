"""The shared parity helper: run one function on tinygrad_edu and on PyTorch and compare.

``check_against_torch`` builds the same leaf tensors in both engines from numpy arrays, runs
the function on each, sends the same upstream gradient back through both graphs and compares
forward values, dtypes, which outputs record a graph, and the gradient of every input, with
the tolerance of the dtype (``TOLERANCES``). A transposed or sliced input array keeps its
memory layout, so the engines see a non-contiguous tensor.

    check_against_torch(lambda x, y: x @ y, None, [a, b], "float32")
    check_against_torch(lambda x: tinygrad_edu.cat([x, x]), lambda x: torch.cat([x, x]), [a])
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

import tinygrad_edu

# (rtol, atol) per dtype: |edu - torch| <= atol + rtol * |torch|, elementwise.
# float64: both engines round the same maths differently (numpy's pairwise sums, torch's
# vectorised kernels) by a few units in the last place of ~1e-16, far inside 1e-10.
# float32: unit roundoff is 6e-8; rtol 1e-5 leaves room for sums of a few dozen terms, and
# atol 1e-5 (torch.testing's float32 default) covers results that cancel to near zero.
TOLERANCES = {
    "float64": (1e-10, 1e-12),
    "float32": (1e-5, 1e-5),
}


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
    flags = [requires_grad] * len(inputs) if isinstance(requires_grad, bool) else list(requires_grad)
    assert len(flags) == len(inputs), "one requires_grad flag per input"
    edu, ref = [], []
    for array, flag in zip(inputs, flags):
        array = np.asarray(array)
        is_float = array.dtype.kind == "f"
        target = dtype if is_float else array.dtype
        e = tinygrad_edu.from_numpy(copy_keep_layout(array, target))
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
    assert isinstance(edu, tinygrad_edu.Tensor), f"{what}: expected a Tensor, got {type(edu).__name__}"
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
            edu_outs[k].backward(tinygrad_edu.tensor(upstream[k]))
            ref_outs[k].backward(torch.from_numpy(upstream[k]))
        else:  # several outputs: back-propagate sum_k <out_k, g_k>
            sum(((edu_outs[k] * tinygrad_edu.tensor(upstream[k])).sum() for k in differentiable)).backward()
            sum(((ref_outs[k] * torch.from_numpy(upstream[k])).sum() for k in differentiable)).backward()

    for i, (e, t) in enumerate(zip(edu_leaves, ref_leaves)):
        if t.grad is None:
            assert e.grad is None, f"input {i}: got a gradient where torch has none"
        else:
            assert e.grad is not None, f"input {i}: no gradient, torch has one"
            assert_same_tensor(e.grad, t.grad, rtol, atol, f"gradient of input {i}")
    return edu_leaves, edu_outs, ref_leaves, ref_outs


# ---------------------------------------------------------------------------- the command line
# Shared by test_cli.py, test_signals.py and test_cli_fuzz.py.


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    """``tinygrad-edu ARGV`` in this process: (exit status, stdout, stderr)."""
    from tinygrad_edu.cli import main

    try:
        status = main(list(argv))
    except SystemExit as e:  # argparse rejects bad flags with exit status 2
        status = e.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_command(*argv: str, cwd, timeout: float = 120, env: dict | None = None):
    """``python -m tinygrad_edu ARGV`` as a real process; a ``subprocess.CompletedProcess``."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def assert_one_line_error(status: int, err: str, expected: str) -> None:
    """A failed command: non-zero status, no traceback, and ``expected`` in its one line on stderr."""
    assert status != 0
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], err


def read_until(stream, marker: bytes, timeout: float) -> bytes:
    """Read a process's pipe until ``marker`` appears (or it closes, or ``timeout`` s pass)."""
    import os
    import time

    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
    return seen


def checkpoint_weights(path) -> dict:
    """The ``model_state_dict`` of a checkpoint written by ``tinygrad-edu train``."""
    from tinygrad_edu.serialization import load

    return load(str(path))["model_state_dict"]
