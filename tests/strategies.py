"""The shared hypothesis strategies for tests that compare tinygrad_edu with PyTorch.

Shapes stay small (sides 1..4, up to 4 dims) so each example runs in a millisecond; values
stay in a moderate range and, where an op has a kink or a domain edge, a margin away from it
(``avoid``), so both engines take the same branch and finite differences stay meaningful.
Arrays are float64; ``helpers.check_against_torch`` converts them to the dtype under test and
keeps their memory layout, so the non-contiguous arrays drawn here reach both engines as
non-contiguous tensors.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_SIDE = 4
LAYOUTS = ("contiguous", "transposed", "sliced")


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 1, max_side: int = MAX_SIDE):
    """Tensor shapes, e.g. ``()``, ``(3,)``, ``(2, 1, 4)``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 4, max_side: int = MAX_SIDE):
    """A tuple of ``num_shapes`` shapes that broadcast together, with size-1 and missing dims."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             min_side=1, max_side=max_side).map(lambda b: b.input_shapes)


def values(lo: float = -3.0, hi: float = 3.0, avoid=(), margin: float = 0.05):
    """Floats in [lo, hi] at least ``margin`` away from every point in ``avoid`` (kinks, poles)."""
    edges = [lo] + [x for p in sorted(avoid) if lo < p < hi for x in (p - margin, p + margin)] + [hi]
    pieces = [st.floats(a, b, allow_nan=False, allow_infinity=False, allow_subnormal=False)
              for a, b in zip(edges[::2], edges[1::2]) if a <= b]
    return st.one_of(pieces)


def with_layout(array: np.ndarray, layout: str) -> np.ndarray:
    """The values of ``array`` in another memory layout.

    "transposed": a view with reversed strides (what ``x.T`` makes); "sliced": every other
    element of a twice-as-large buffer (what ``x[::2]`` makes); "contiguous": unchanged.
    """
    if layout == "contiguous" or array.ndim == 0:
        return array
    if layout == "transposed":
        return np.ascontiguousarray(array.T).T
    buffer = np.zeros(tuple(2 * n for n in array.shape), dtype=array.dtype)
    every_other = tuple(slice(None, None, 2) for _ in array.shape)
    buffer[every_other] = array
    return buffer[every_other]


@st.composite
def arrays(draw, shape, lo: float = -3.0, hi: float = 3.0, avoid=(), margin: float = 0.05,
           layouts=LAYOUTS) -> np.ndarray:
    """A float64 array of ``shape`` with ``values(lo, hi, avoid, margin)``, in one of ``layouts``."""
    array = draw(hnp.arrays(np.float64, shape, elements=values(lo, hi, avoid, margin)))
    return with_layout(array, draw(st.sampled_from(layouts)))


@st.composite
def distinct_arrays(draw, shape, layouts=LAYOUTS) -> np.ndarray:
    """A float64 array whose values are all different, exactly so in float32 as well.

    For max/min/argmax, where a tie would let the engines pick different (equally right)
    indices. Values are multiples of 1/64 in [-8, 8].
    """
    grid = draw(hnp.arrays(np.int64, shape, elements=st.integers(-512, 512), unique=True))
    return with_layout(grid / 64.0, draw(st.sampled_from(layouts)))


@st.composite
def grid_arrays(draw, shape, layouts=LAYOUTS) -> np.ndarray:
    """A float64 array of halves in [-2, 2], so equal values (and comparison ties) are common."""
    grid = draw(hnp.arrays(np.int64, shape, elements=st.integers(-4, 4)))
    return with_layout(grid / 2.0, draw(st.sampled_from(layouts)))


@st.composite
def shape_and_dim(draw, min_dims: int = 1, max_dims: int = 4, negative: bool = True):
    """A shape and one valid dim of it (sometimes written negatively, as ``-1``)."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    dim = draw(st.integers(-len(shape) if negative else 0, len(shape) - 1))
    return shape, dim


@st.composite
def shape_and_dims(draw, min_dims: int = 1, max_dims: int = 4):
    """A shape and a tuple of distinct dims of it, for reductions over several dims."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    dims = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    signed = tuple(d - len(shape) if draw(st.booleans()) else d for d in dims)
    return shape, signed
