"""Functions that make new tensors: from data, filled with a constant, or random.

Random tensors come from the engine's own generator (``tinygrad_edu.manual_seed``), so
the same seed gives the same numbers.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from .random import numpy_generator
from ._convert import to_array
from .tensor import Tensor


def _shape(size) -> tuple:
    """Accept ``zeros(2, 3)`` as well as ``zeros((2, 3))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(int(s) for s in size[0])
    return tuple(int(s) for s in size)


def _new(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(array)
    t.requires_grad = requires_grad
    return t


def _float_type(dtype) -> np.dtype:
    return (dtypes.to_dtype(dtype) if dtype is not None else dtypes.default_float).np


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, a numpy array, a tensor)."""
    return _new(np.array(to_array(data, dtype), copy=True), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor``, but shares memory with a numpy array when no conversion is needed."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    if isinstance(data, np.ndarray) and (dtype is None or dtypes.to_dtype(dtype).np == data.dtype):
        return Tensor._make(data)
    return Tensor._make(to_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``: writing one changes the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    return Tensor._make(array)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(_shape(size), dtype=_float_type(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(_shape(size), dtype=_float_type(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uninitialised in PyTorch; here zero-filled, so a learner never prints garbage."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = to_array(fill_value).dtype
    return _new(np.full(_shape((size,)), fill_value, dtype=dtypes.to_dtype(dtype).np), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(t.shape, dtype=dtypes.to_dtype(dtype or t.dtype).np), requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(t.shape, dtype=dtypes.to_dtype(dtype or t.dtype).np), requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.full(t.shape, fill_value, dtype=dtypes.to_dtype(dtype or t.dtype).np), requires_grad)


def empty_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal distribution N(0, 1)."""
    array = numpy_generator(generator).standard_normal(_shape(size), dtype=np.float64)
    return _new(array.astype(_float_type(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    array = numpy_generator(generator).random(_shape(size), dtype=np.float64)
    return _new(array.astype(_float_type(dtype)), requires_grad)


def randint(low: int, high: int | None = None, size=(), generator=None, dtype=None) -> Tensor:
    """Random integers in [low, high); ``randint(high, size)`` starts at 0, as in PyTorch."""
    if high is None or isinstance(high, (tuple, list)):
        low, high, size = 0, low, high if high is not None else size
    array = numpy_generator(generator).integers(low, high, size=_shape((size,)))
    return Tensor._make(array.astype(dtypes.to_dtype(dtype or dtypes.int64).np))


def randperm(n: int, generator=None, dtype=None) -> Tensor:
    """A random permutation of 0 .. n-1."""
    return Tensor._make(numpy_generator(generator).permutation(n).astype(dtypes.to_dtype(dtype or dtypes.int64).np))


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values start, start+step, ... below end; integers unless any argument is a float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.default_float if is_float else dtypes.int64
    return _new(np.arange(start, end, step).astype(dtypes.to_dtype(dtype).np), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.linspace(start, end, steps).astype(_float_type(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.eye(n, m, dtype=_float_type(dtype)), requires_grad)


def _legacy_constructor(dtype: dtypes.dtype, name: str):
    """PyTorch's old typed constructors: ``LongTensor([0, 1])`` is ``tensor([0, 1], dtype=int64)``."""
    def construct(data=()) -> Tensor:
        return tensor(data, dtype=dtype)
    construct.__name__ = construct.__qualname__ = name
    return construct


FloatTensor = _legacy_constructor(dtypes.float32, "FloatTensor")
DoubleTensor = _legacy_constructor(dtypes.float64, "DoubleTensor")
LongTensor = _legacy_constructor(dtypes.int64, "LongTensor")
