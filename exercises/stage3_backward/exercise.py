"""Stage 3: the backward pass over the engine's own graph. Fill in both functions."""
from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import _fit_gradient as fit_gradient  # noqa: F401  (use it in backward)


def topological_order(root) -> list:
    """Every graph node reachable from ``root`` (a Function, i.e. some ``tensor.grad_fn``, or a
    leaf tensor), each exactly once and before the nodes it was computed from (consumers first).
    A Function's inputs are reached through ``fn.parents`` (for each input, the node it had when
    the op ran: its ``grad_fn``, or the input itself for a leaf), skipping those where
    ``fn.needs_input_grad`` is False. No recursion."""
    raise NotImplementedError("topological_order: an iterative depth-first search with your own stack")


def backward(tensor, gradient=None) -> None:
    """Add d(tensor)/d(leaf) into ``leaf.grad`` (with ``leaf._accumulate``) for every leaf that
    requires grad. ``gradient``: dL/d(tensor), a Tensor or array of tensor's shape; None means
    ones (``tensor`` must then hold one element)."""
    seed = np.ones(tensor.shape, dtype=tensor.array.dtype) if gradient is None else np.asarray(
        getattr(gradient, "array", gradient), dtype=tensor.array.dtype)
    raise NotImplementedError("backward: walk topological_order(tensor.grad_fn), call each Function's backward, "
                              "add up per parent node")
