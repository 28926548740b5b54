"""Comparisons and other questions about values: ``==``, ``<``, ``argmax``, ``all``... (no gradient).

``Tensor`` inherits these methods. They compute on the arrays directly and return tensors
outside any graph, as in PyTorch (a comparison has no useful derivative).
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from ._convert import broadcast_shape


class Comparisons:
    """Methods whose results are never differentiated (``Tensor`` inherits them)."""

    def _compare(self, numpy_op, other) -> "Tensor":
        other_array = other.array if dtypes.has_engine_dtype(other) else other
        broadcast_shape(self.shape, np.shape(other_array))
        return self._make(numpy_op(self.array, other_array))

    def eq(self, other) -> "Tensor":
        return self._compare(np.equal, other)

    def ne(self, other) -> "Tensor":
        return self._compare(np.not_equal, other)

    def lt(self, other) -> "Tensor":
        return self._compare(np.less, other)

    def le(self, other) -> "Tensor":
        return self._compare(np.less_equal, other)

    def gt(self, other) -> "Tensor":
        return self._compare(np.greater, other)

    def ge(self, other) -> "Tensor":
        return self._compare(np.greater_equal, other)

    __eq__, __ne__, __lt__, __le__, __gt__, __ge__ = eq, ne, lt, le, gt, ge
    __hash__ = object.__hash__  # defining __eq__ would otherwise make tensors unhashable

    def equal(self, other) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self.array, other.array))

    def logical_not(self) -> "Tensor":
        return self._make(np.logical_not(self.array))

    __invert__ = logical_not

    def __and__(self, other) -> "Tensor":
        return self._compare(np.logical_and, other)

    def __or__(self, other) -> "Tensor":
        return self._compare(np.logical_or, other)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        if dim is None:
            return self._make(np.int64(np.argmax(self.array)))
        return self.max(dim, keepdim).indices

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        if dim is None:
            return self._make(np.int64(np.argmin(self.array)))
        return self.min(dim, keepdim).indices

    def all(self) -> "Tensor":
        return self._make(np.all(self.array))

    def any(self) -> "Tensor":
        return self._make(np.any(self.array))
