"""``gradcheck``: analytic gradients against finite differences (``torch.autograd.gradcheck``).

Re-exported as ``tinygrad_edu.autograd.gradcheck``. It imports no Tensor: inputs are told
apart by their engine dtype, and ``backward`` takes the seed gradient as a numpy array.
"""
from __future__ import annotations

import numpy as np

from .dtypes import has_engine_dtype
from .grad_mode import no_grad


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Compare analytic gradients with central finite differences, in float64.

    For each input x that requires grad and each element x[i]:
    numeric d(out)/dx[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), for every output element.
    The analytic Jacobian comes from one backward pass per output element.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for x in inputs:
        if has_engine_dtype(x) and x.requires_grad and x.dtype.name != "float64":
            raise ValueError("gradcheck expects float64 inputs: finite differences in float32 are too coarse")
    diff = [x for x in inputs if has_engine_dtype(x) and x.requires_grad]

    def outputs() -> np.ndarray:
        with no_grad():
            return np.array(fn(*inputs).array, dtype=np.float64, copy=True).ravel()

    n_out = outputs().size
    for k, x in enumerate(diff):
        numeric = np.zeros((x.numel(), n_out))
        for i in range(x.numel()):
            at = np.unravel_index(i, x.shape)  # perturb the input in place, then restore it
            orig = x.array[at]
            x.array[at] = orig + eps
            plus = outputs()
            x.array[at] = orig - eps
            minus = outputs()
            x.array[at] = orig
            numeric[i] = (plus - minus) / (2 * eps)
        analytic = np.zeros_like(numeric)
        for j in range(n_out):
            for t in diff:
                t.grad = None
            out = fn(*inputs)
            seed = np.zeros(n_out)
            seed[j] = 1.0
            out.backward(seed.reshape(out.shape))
            if x.grad is not None:
                analytic[:, j] = x.grad.array.ravel()
        for t in diff:
            t.grad = None
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            if raise_exception:
                worst = np.abs(analytic - numeric).max()
                raise RuntimeError(f"Jacobian mismatch for input {k}: max abs difference {worst:.3g}\n"
                                   f"numerical:\n{numeric}\nanalytical:\n{analytic}")
            return False
    return True

