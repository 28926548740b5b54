"""Stage 2: broadcasting shapes and undoing it in the backward pass. Fill in both functions."""
from __future__ import annotations

import numpy as np


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The shape that arrays of shapes ``a`` and ``b`` broadcast to.

    Compare sizes from the right; a missing size counts as 1; equal sizes or a 1 are fine.
    Raise RuntimeError("The size of tensor a (X) must match the size of tensor b (Y) at
    non-singleton dimension D") otherwise, D counted from the left of the result.
    """
    raise NotImplementedError("broadcast_shape: compare the sizes from the right")


def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes broadcasting added (leading ones) or stretched (size 1 in
    ``shape``), and return an array of exactly ``shape``."""
    raise NotImplementedError("sum_to_shape: grad.sum(axis=..., keepdims=True), then reshape")
