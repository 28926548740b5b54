"""Tensor methods that pick, place, sort and split elements: gather, scatter, masked_fill,
sort/topk, flip, roll, split/chunk/unbind.

``Tensor`` inherits them (tensor.py keeps plain indexing, ``x[i]``). Each calls an op's
``apply`` in ``ops/`` (mostly ``ops/index.py``), where forward and backward stand side by side.
"""
from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING

import numpy as np

from . import dtypes
from ._convert import broadcast_shape, wrap_dim
from .ops import binary, movement
from .ops import index as index_ops

if TYPE_CHECKING:
    from .tensor import Tensor

return_types_sort = namedtuple("sort", ["values", "indices"])
return_types_topk = namedtuple("topk", ["values", "indices"])


class IndexMethods:
    """Indexing, sorting and splitting methods (``Tensor`` inherits them)."""

    def _index_along(self, op: str, dim: int, index: "Tensor", sizes=()) -> tuple:
        """Check an index tensor for gather/scatter along ``dim``: its dtype, dims, sizes and range."""
        if not dtypes.has_engine_dtype(index) or index.dtype not in (dtypes.int64, dtypes.int32):
            raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
        d = wrap_dim(dim, self.ndim)
        if index.ndim != self.ndim and index.numel() > 0:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        for name, shape in (("self", self.shape),) + sizes:
            for i in range(index.ndim):
                if index.shape[i] > shape[i] and (i != d or name != "self"):
                    raise RuntimeError(f"Size does not match at dimension {i} expected index {list(index.shape)} "
                                       f"to be no larger than {name} {list(shape)} apart from dimension {d}")
        n = self.shape[d] if self.ndim else 1
        bad = (index.array < 0) | (index.array >= n)
        if bad.any():
            raise RuntimeError(f"index {index.array[bad].flat[0]} is out of bounds for dimension {d} with size {n}")
        return d, index.array.astype(np.int64)

    def gather(self, dim: int, index: "Tensor") -> "Tensor":
        """z[i][j] = self[i][index[i][j]] (dim = 1): pick along ``dim`` by index; z has index's shape."""
        d, idx = self._index_along("gather", dim, index)
        if self.ndim == 0:
            return self.reshape(1).gather(0, index.reshape(-1)).reshape(index.shape)
        return index_ops.Gather.apply(self, d, idx)

    def scatter(self, dim: int, index: "Tensor", src=None, *, value=None, reduce=None) -> "Tensor":
        """A copy of self with self[i][index[i][j]] = src[i][j] (dim = 1); src may be a number (value).
        ``reduce="add"`` or ``"multiply"`` combines instead of replacing (no gradient then, as in PyTorch)."""
        src = value if src is None else src
        if src is None:
            raise TypeError("scatter() missing the values to write: pass src (a tensor) or value (a number)")
        sizes = (("src", src.shape),) if dtypes.has_engine_dtype(src) else ()
        d, idx = self._index_along("scatter", dim, index, sizes)
        if dtypes.has_engine_dtype(src) and src.dtype is not self.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if reduce not in (None, "add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if not dtypes.has_engine_dtype(src):
            src = np.asarray(src).astype(self.array.dtype)
        if reduce is not None:
            return index_ops.ScatterReduce.apply(self, d, idx, src, reduce)
        return index_ops.Scatter.apply(self, d, idx, src)

    def scatter_add(self, dim: int, index: "Tensor", src: "Tensor") -> "Tensor":
        """A copy of self with src[i][j] added at self[i][index[i][j]] (dim = 1); repeated indices add up."""
        d, idx = self._index_along("scatter_add", dim, index, (("src", src.shape),))
        if src.dtype is not self.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        return index_ops.ScatterAdd.apply(self, d, idx, src)

    def index_select(self, dim: int, index: "Tensor") -> "Tensor":
        """The slices ``index`` names along ``dim``, in that order (repeats allowed)."""
        if not dtypes.has_engine_dtype(index) or index.dtype not in (dtypes.int64, dtypes.int32):
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        d = wrap_dim(dim, self.ndim)
        n = self.shape[d] if self.ndim else 1
        if ((index.array < 0) | (index.array >= n)).any():
            raise IndexError("index out of range in self")
        if self.ndim == 0:
            return self.reshape(1)[index.array.reshape(-1)].reshape(())
        return movement.Index.apply(self, (slice(None),) * d + (index.array.reshape(-1).astype(np.int64),))

    def masked_fill(self, mask: "Tensor", value) -> "Tensor":
        """self where ``mask`` is False, ``value`` where it is True (mask broadcasts; value a number
        or a 0-dim tensor, which gets a gradient)."""
        if not dtypes.has_engine_dtype(mask) or mask.dtype is not dtypes.bool_:
            dtype_name = mask.dtype.name if dtypes.has_engine_dtype(mask) else type(mask).__name__
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {dtype_name}")
        if dtypes.has_engine_dtype(value):
            if value.ndim:
                raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                                   f"with {value.ndim} dimension(s).")
            value = value.to(self.dtype)
        else:
            value = self._make(np.asarray(value).astype(self.array.dtype))
        broadcast_shape(mask.shape, self.shape)  # PyTorch names the mask "a"
        return binary.Where.apply(mask.array, value, self)

    def index_fill(self, dim: int, index: "Tensor", value) -> "Tensor":
        """self with the slices ``index`` names along ``dim`` (negative: from the end) set to ``value``,
        a number or a 0-dim tensor (which gets a gradient): ``masked_fill`` with a mask along ``dim``."""
        if not dtypes.has_engine_dtype(index) or index.dtype is not dtypes.int64:
            raise IndexError("index_fill_(): Expected dtype int64 for index.")
        if index.ndim > 1:
            raise RuntimeError("Index has to be a vector/scalar")
        d = wrap_dim(dim, self.ndim)
        n = self.shape[d] if self.ndim else 1
        bad = (index.array < -n) | (index.array >= n)
        if bad.any():
            raise IndexError(f"index {index.array[bad].flat[0]} is out of bounds for dimension {d} with size {n}")
        picked = np.zeros(n, dtype=bool)
        picked[index.array % n] = True
        mask = picked.reshape([n if i == d else 1 for i in range(self.ndim)])
        return self.masked_fill(self._make(mask), value)

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False):
        """(values, indices) sorted along ``dim``; equal values keep their order (a stable sort)."""
        indices = self.argsort(dim, descending)
        if self.ndim == 0:
            return return_types_sort(self.clone(), indices)
        return return_types_sort(self.gather(dim, indices), indices)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """(values, indices) of the k largest (or smallest) along ``dim``, largest first."""
        n = self.shape[wrap_dim(dim, self.ndim)] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError("selected index k out of range")
        indices = self.argsort(dim, descending=largest)
        if self.ndim:
            indices = indices[(slice(None),) * wrap_dim(dim, self.ndim) + (slice(0, k),)]
        return return_types_topk(self.gather(dim, indices) if self.ndim else self.clone(), indices)

    # ------------------------------------------------------------------ flipping and splitting

    def flip(self, dims) -> "Tensor":
        dims = dims if isinstance(dims, (tuple, list)) else (dims,)
        wrapped = [wrap_dim(d, self.ndim) for d in dims]
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"dims has duplicates, original flip dims size={len(dims)}, "
                               f"but unique flip dims size={len(set(wrapped))}")
        reverse = tuple(slice(None, None, -1) if d in wrapped else slice(None) for d in range(self.ndim))
        return self[reverse].clone()  # a copy, not a view, as in PyTorch

    def roll(self, shifts, dims=None) -> "Tensor":
        """Shift elements along ``dims`` cyclically; without dims, along the flattened tensor."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
        out = self
        for shift, d in zip(shifts, dims):
            d = wrap_dim(d, self.ndim)
            n = self.shape[d] if self.ndim else 1
            k = shift % n if n else 0
            if k:
                head = out[(slice(None),) * d + (slice(n - k, None),)]
                tail = out[(slice(None),) * d + (slice(0, n - k),)]
                out = movement.Cat.apply(head, tail, dim=d)
        return out if out is not self else self.clone()

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
        d = wrap_dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, (tuple, list)):
            sizes = [int(k) for k in split_size_or_sections]
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                                   f"tensor's size at dimension {d}), but got split_sizes={sizes}")
        else:
            step = int(split_size_or_sections)
            sizes = [min(step, n - i) for i in range(0, n, step)] if step > 0 and n else [n]
        bounds = np.cumsum([0] + sizes)
        return tuple(self[(slice(None),) * d + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """At most ``chunks`` pieces of ceil(size / chunks) along ``dim``."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self.shape[wrap_dim(dim, self.ndim)]
        if n == 0:  # PyTorch gives ``chunks`` empty pieces
            return self.split([0] * chunks, dim)
        return self.split(-(-n // chunks), dim)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along ``dim``, that dim removed."""
        d = wrap_dim(dim, self.ndim)
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))
