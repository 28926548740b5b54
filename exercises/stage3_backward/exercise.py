"""Stage 3: the backward pass over the engine's own graph. Fill in both functions."""
from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import _fit_gradient as fit_gradient  # noqa: F401  (use it in backward)


def topological_order(root) -> list:
    """Every tensor reachable from ``root`` through ``t.grad_fn.inputs`` that requires grad
    (``root`` included), each exactly once and before all the tensors it was computed from.
    No recursion."""
    raise NotImplementedError("topological_order: an iterative depth-first search with your own stack")


def backward(tensor, gradient=None) -> None:
    """Add d(tensor)/d(leaf) into ``leaf.grad`` (with ``leaf._accumulate``) for every leaf that
    requires grad. ``gradient``: dL/d(tensor), a Tensor or array of tensor's shape; None means
    ones (``tensor`` must then hold one element)."""
    seed = np.ones(tensor.shape, dtype=tensor.array.dtype) if gradient is None else np.asarray(
        getattr(gradient, "array", gradient), dtype=tensor.array.dtype)
    raise NotImplementedError("backward: walk topological_order(tensor), call each grad_fn's backward, add up")
