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

    def _arg_extreme(self, dim, keepdim: bool, largest: bool) -> "Tensor":
        name = "argmax" if largest else "argmin"
        if self.dtype.name == "bool":
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if self.numel() == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            return self._make(np.int64(np.argmax(self.array) if largest else np.argmin(self.array)))
        return self._extreme(dim, keepdim, largest, name).indices

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return self._arg_extreme(dim, keepdim, largest=True)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return self._arg_extreme(dim, keepdim, largest=False)

    def all(self) -> "Tensor":
        """True if every element is; a uint8 tensor gives uint8, as in PyTorch."""
        return self._make(np.all(self.array).astype(np.uint8 if self.array.dtype == np.uint8 else bool))

    def any(self) -> "Tensor":
        return self._make(np.any(self.array).astype(np.uint8 if self.array.dtype == np.uint8 else bool))
