"""Functions that make new tensors: from data, filled with a constant, or random.

Random tensors come from the engine's own generator (``tinygrad_edu.manual_seed``), so
the same seed gives the same numbers. Every function takes ``dtype=`` (floats default to
``get_default_dtype()``) and ``device=``, where only the CPU is accepted (``_device.device``
names any other device in its error); those that take ``out=`` in PyTorch write into it, in
out's dtype.
"""
from __future__ import annotations

import operator

import numpy as np

from . import dtypes
from .functions import _write_out
from .random import numpy_generator
from ._convert import to_array
from ._device import device as _device
from .tensor import Tensor


def _shape(size) -> tuple:
    """Accept ``zeros(2, 3)`` as well as ``zeros((2, 3))``; sizes must be whole numbers >= 0.

    As in PyTorch, a float size is refused (``int(2.5)`` would silently make 2 elements);
    integer tensors of one element and numpy integers count as ints.
    """
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = []
    for s in size:
        try:
            shape.append(operator.index(s))
        except TypeError:
            raise TypeError(f"argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__}") from None
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {shape}")
    return tuple(shape)


def _new(array: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    """Wrap a new array; ``device`` is checked (the CPU only) and ``requires_grad`` set (floats only)."""
    if device is not None:
        _device(device)
    t = Tensor._make(array)
    t.requires_grad = requires_grad
    return t


def _out_dtype(dtype, out: Tensor | None):
    """With ``out=``, values are made in out's dtype; a different ``dtype`` is refused, as in PyTorch."""
    if out is None:
        return dtype
    if dtype is not None and dtypes.to_dtype(dtype) is not out.dtype:
        raise RuntimeError(f"dtype {dtypes.to_dtype(dtype).scalar_name} does not match dtype of out parameter "
                           f"({out.dtype.scalar_name})")
    return out.dtype


def _into(name: str, result: Tensor, out: Tensor | None) -> Tensor:
    """``result``, or ``out`` holding it (resized to its shape) when ``out=`` is given."""
    return result if out is None else _write_out(name, result, out)


def _float_type(dtype) -> np.dtype:
    return (dtypes.to_dtype(dtype) if dtype is not None else dtypes.default_float).np


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, a numpy array, a tensor)."""
    return _new(np.array(to_array(data, dtype), copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor``, but shares memory with a numpy array when no conversion is needed."""
    if device is not None:
        _device(device)
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


def zeros(*size, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype = _out_dtype(dtype, out)
    result = _new(np.zeros(_shape(size), dtype=_float_type(dtype)), requires_grad, device)
    return _into("zeros", result, out)


def ones(*size, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype = _out_dtype(dtype, out)
    result = _new(np.ones(_shape(size), dtype=_float_type(dtype)), requires_grad, device)
    return _into("ones", result, out)


def empty(*size, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uninitialised in PyTorch; here zero-filled, so a learner never prints garbage."""
    return zeros(*size, out=out, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False, *, out=None) -> Tensor:
    dtype = _out_dtype(dtype, out)
    if dtype is None:
        dtype = to_array(fill_value).dtype
    result = _new(np.full(_shape((size,)), fill_value, dtype=dtypes.to_dtype(dtype).np), requires_grad, device)
    return _into("full", result, out)


def _like(t: Tensor, dtype) -> np.dtype:
    return dtypes.to_dtype(dtype or t.dtype).np


def zeros_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(t.shape, dtype=_like(t, dtype)), requires_grad, device)


def ones_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(t.shape, dtype=_like(t, dtype)), requires_grad, device)


def full_like(t: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.full(t.shape, fill_value, dtype=_like(t, dtype)), requires_grad, device)


def empty_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def _random_float_type(name: str, dtype) -> np.dtype:
    """The float type of rand/randn: integers have no uniform or normal samples, as in PyTorch."""
    np_dtype = _float_type(dtype)
    if np_dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for \'{dtypes.to_dtype(dtype).scalar_name}\'')
    return np_dtype


def randn(*size, generator=None, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal distribution N(0, 1)."""
    dtype = _out_dtype(dtype, out)
    np_dtype = _random_float_type("randn", dtype)
    array = numpy_generator(generator).standard_normal(_shape(size), dtype=np.float64)
    result = _new(array.astype(np_dtype), requires_grad, device)
    return _into("randn", result, out)


def rand(*size, generator=None, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    dtype = _out_dtype(dtype, out)
    np_dtype = _random_float_type("rand", dtype)
    array = numpy_generator(generator).random(_shape(size), dtype=np.float64)
    result = _new(array.astype(np_dtype), requires_grad, device)
    return _into("rand", result, out)


def rand_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def randn_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size=(), *, generator=None, out=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Random integers in [low, high), int64 unless ``dtype`` says otherwise; ``randint(high, size)``
    starts at 0, as in PyTorch."""
    dtype = _out_dtype(dtype, out)
    if high is None or isinstance(high, (tuple, list)):
        low, high, size = 0, low, high if high is not None else size
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    array = numpy_generator(generator).integers(low, high, size=_shape((size,)))
    result = _new(array.astype(dtypes.to_dtype(dtype or dtypes.int64).np), requires_grad, device)
    return _into("randint", result, out)


def randint_like(t: Tensor, low: int, high: int | None = None, *, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
    """``randint`` in the shape of ``t``, with its dtype unless ``dtype`` says otherwise."""
    low, high = (0, low) if high is None else (low, high)
    return randint(low, high, t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def randperm(n: int, *, generator=None, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless ``dtype`` says otherwise)."""
    dtype = _out_dtype(dtype, out)
    array = numpy_generator(generator).permutation(n)
    result = _new(array.astype(dtypes.to_dtype(dtype or dtypes.int64).np), requires_grad, device)
    return _into("randperm", result, out)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False, *, out=None) -> Tensor:
    """Values start, start+step, ... below end; integers unless any argument is a float."""
    dtype = _out_dtype(dtype, out)
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.default_float if is_float else dtypes.int64
    result = _new(np.arange(start, end, step).astype(dtypes.to_dtype(dtype).np), requires_grad, device)
    return _into("arange", result, out)


def linspace(start, end, steps: int, *, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included (one step: just start)."""
    dtype = _out_dtype(dtype, out)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    result = _new(np.linspace(float(start), float(end), steps).astype(_float_type(dtype)), requires_grad, device)
    return _into("linspace", result, out)


def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    dtype = _out_dtype(dtype, out)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    exponents = np.linspace(float(start), float(end), steps)
    result = _new(np.power(float(base), exponents).astype(_float_type(dtype)), requires_grad, device)
    return _into("logspace", result, out)


def eye(n: int, m: int | None = None, *, out=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype = _out_dtype(dtype, out)
    for name, k in (("n", n), ("m", m)):
        if k is not None and k < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {k}")
    result = _new(np.eye(n, m, dtype=_float_type(dtype)), requires_grad, device)
    return _into("eye", result, out)


def _legacy_constructor(dtype: dtypes.dtype, name: str):
    """PyTorch's old typed constructors: ``LongTensor([0, 1])`` is ``tensor([0, 1], dtype=int64)``;
    given sizes, ``FloatTensor(2, 3)`` is a (2, 3) tensor (zero-filled here, uninitialised in PyTorch)."""
    def construct(*args) -> Tensor:
        if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return zeros(*args, dtype=dtype)
        return tensor(args[0] if args else (), dtype=dtype)
    construct.__name__ = construct.__qualname__ = name
    return construct


FloatTensor = _legacy_constructor(dtypes.float32, "FloatTensor")
DoubleTensor = _legacy_constructor(dtypes.float64, "DoubleTensor")
LongTensor = _legacy_constructor(dtypes.int64, "LongTensor")
