"""Tensor methods that change a tensor's shape: reshape/view, flatten, squeeze/unsqueeze, permute,
transpose, expand.

``Tensor`` inherits them. Each calls an op of ``ops/movement.py`` (Reshape, Permute, Expand),
whose backward undoes the move: reshape back, permute back, sum over the expanded dims.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import dtypes
from ._convert import resolve_shape, wrap_dim
from .ops import movement

if TYPE_CHECKING:
    from .tensor import Tensor


class ShapeMethods:
    """Reshaping, permuting and expanding (``Tensor`` inherits them)."""

    def reshape(self, *shape) -> "Tensor":
        return movement.Reshape.apply(self, resolve_shape(shape, self.numel()))

    def view(self, *shape) -> "Tensor":
        """Like reshape, but never copies: the result always shares memory with ``self``."""
        if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
            raise NotImplementedError("view(dtype) reinterpretation is not supported; use .to(dtype)")
        shape = resolve_shape(shape, self.numel())
        probe = self.array.view()
        try:
            probe.shape = shape  # numpy refuses when the strides make a copy unavoidable
        except AttributeError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least "
                               "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                               "instead.") from None
        return movement.Reshape.apply(self, shape)

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.view(other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        s, e = wrap_dim(start_dim, self.ndim), wrap_dim(end_dim, self.ndim)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if self.ndim == 0:
            return self.reshape(1)
        return self.reshape(self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:])

    def squeeze(self, dim=None) -> "Tensor":
        """Drop size-1 dims: all of them, or those of ``dim`` (an int or a tuple) that have size 1."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = [wrap_dim(d, self.ndim) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {next(d for d in dims if dims.count(d) > 1)} appears multiple times "
                               "in the list of dims")
        if self.ndim == 0:
            return self
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if n != 1 or i not in dims))

    def unsqueeze(self, dim: int) -> "Tensor":
        d = wrap_dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims) -> "Tensor":
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        dims = tuple(wrap_dim(d, self.ndim) for d in dims) if len(dims) == self.ndim else dims
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                               f"the length of the desired ordering of dimensions i.e. input.dim() = "
                               f"{self.ndim} is not equal to len(dims) = {len(dims)}")
        return movement.Permute.apply(self, dims)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        dims = list(range(max(self.ndim, 1)))  # a 0-dim tensor accepts dims 0 and -1, as in PyTorch
        a, b = wrap_dim(dim0, self.ndim), wrap_dim(dim1, self.ndim)
        dims[a], dims[b] = dims[b], dims[a]
        return movement.Permute.apply(self, tuple(dims[:self.ndim]))

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.T

    def expand(self, *sizes) -> "Tensor":
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
                               f"equal to the number of dimensions in the tensor ({self.ndim})")
        shape = tuple(self.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        for i in reversed(range(len(sizes))):  # PyTorch checks from the last dim
            n = self.shape[i - lead] if i >= lead else None
            if n is None and sizes[i] < 0:
                raise RuntimeError(f"The expanded size of the tensor ({sizes[i]}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            if n is not None and n != 1 and n != shape[i]:
                raise RuntimeError(f"The expanded size of the tensor ({shape[i]}) must match the "
                                   f"existing size ({n}) at non-singleton dimension {i}.  "
                                   f"Target sizes: {list(sizes)}.  Tensor sizes: {list(self.shape)}")
        if any(s < 0 for s in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
        return movement.Expand.apply(self, shape)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)
