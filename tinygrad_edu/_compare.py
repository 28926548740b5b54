"""Comparisons and other questions about values: ``==``, ``<``, ``argmax``, ``all``... (no gradient).

``Tensor`` inherits these methods. They compute on the arrays directly and return tensors
outside any graph, as in PyTorch (a comparison has no useful derivative).
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from ._convert import broadcast_shape, wrap_dim


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

    def _logical_reduce(self, numpy_op, dim, keepdim: bool) -> "Tensor":
        axis = None if dim is None else tuple(wrap_dim(d, self.ndim) for d in (
            dim if isinstance(dim, (tuple, list)) else (dim,)))
        if self.ndim == 0:
            axis = None
        out = numpy_op(self.array, axis=axis, keepdims=keepdim and axis is not None)
        return self._make(np.asarray(out, dtype=np.uint8 if self.array.dtype == np.uint8 else bool))

    def all(self, dim=None, keepdim: bool = False) -> "Tensor":
        """True where every element (along ``dim``) is non-zero; a uint8 tensor answers in uint8."""
        return self._logical_reduce(np.all, dim, keepdim)

    def any(self, dim=None, keepdim: bool = False) -> "Tensor":
        return self._logical_reduce(np.any, dim, keepdim)

    def isnan(self) -> "Tensor":
        return self._make(np.isnan(self.array))

    def isinf(self) -> "Tensor":
        return self._make(np.isinf(self.array))

    def isfinite(self) -> "Tensor":
        return self._make(np.isfinite(self.array))

    def isclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> "Tensor":
        """|self - other| <= atol + rtol * |other|, elementwise; both of one dtype, as in PyTorch."""
        if self.dtype is not other.dtype:
            raise RuntimeError(f"{self.dtype.scalar_name} did not match {other.dtype.scalar_name}")
        broadcast_shape(self.shape, other.shape)
        return self._make(np.isclose(self.array, other.array, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        return bool(self.isclose(other, rtol, atol, equal_nan).array.all())

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> "Tensor":
        """The indices that sort ``self`` along ``dim``; equal values keep their order (stable), and
        nan sorts as the largest value, as in PyTorch."""
        d = wrap_dim(dim, self.ndim)
        if self.ndim == 0:
            return self._make(np.zeros((), dtype=np.int64))
        if not descending:
            return self._make(np.argsort(self.array, axis=d, kind="stable").astype(np.int64))
        # descending and stable: sort the reversed array ascending, then reverse and map back the indices
        n = self.shape[d]
        backwards = np.argsort(np.flip(self.array, d), axis=d, kind="stable")
        return self._make(np.flip(n - 1 - backwards, d).astype(np.int64))
