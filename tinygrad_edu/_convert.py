"""Getting values into and out of tensors, and the dim and shape checks every op shares.

* Into the engine: :func:`to_array` (Python data to a numpy array, with PyTorch's default
  dtypes), :func:`index_array` (tensors inside an index), :func:`target_dtype` (what
  ``.to(...)`` asks for).
* Dims and shapes: :func:`wrap_dim`, :func:`broadcast_shape`, :func:`resolve_shape`, each
  failing with PyTorch's message.
* Out of the engine: :class:`Conversions`, the methods ``Tensor`` inherits to turn a tensor
  into Python or numpy values (``item``, ``numpy``, ``tolist``, ``float()``...) or another dtype.

This module does not import ``tensor.py``: a tensor is recognised by its engine dtype
(:func:`dtypes.has_engine_dtype`), and new tensors come from ``self._make``.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from ._device import device
from .ops import unary


def to_array(data, dtype=None) -> np.ndarray:
    """Numpy array for ``tensor(data)``: Python floats become the default float type (float32 unless
    ``set_default_dtype`` changed it), ints int64, as in PyTorch."""
    if dtypes.has_engine_dtype(data):
        data = data.array
    elif isinstance(data, (list, tuple)) and any(dtypes.has_engine_dtype(x) for x in data):
        data = [to_array(x) for x in data]
    if dtype is not None:
        return np.array(data, dtype=dtypes.to_dtype(dtype).np)
    arr = np.array(data)
    if arr.dtype == np.float64 and not isinstance(data, np.ndarray) and not isinstance(data, np.floating):
        arr = arr.astype(dtypes.default_float.np)
    elif arr.dtype.kind in "iu" and not isinstance(data, (np.ndarray, np.generic)):
        arr = arr.astype(np.int64)
    dtypes.from_numpy_dtype(arr.dtype)  # rejects strings, objects, complex
    return arr


def index_array(index):
    """Turn tensors inside an index into numpy arrays, so numpy's indexing rules apply."""
    if isinstance(index, tuple):
        return tuple(index_array(i) for i in index)
    if dtypes.has_engine_dtype(index):
        return index.array
    if isinstance(index, list):
        if any(isinstance(i, (list, tuple)) or dtypes.has_engine_dtype(i) and i.ndim for i in index):
            return tuple(index_array(i) for i in index)  # [[0, 1], [1, 0]] indexes two dims, as in PyTorch
        return np.asarray([i.item() if dtypes.has_engine_dtype(i) else i for i in index])
    return index


def target_dtype(args: tuple, kwargs: dict) -> dtypes.dtype | None:
    """The dtype that ``.to(*args, **kwargs)`` asks for (None for none); any device but the CPU raises."""
    target = kwargs.get("dtype")
    for a in list(args) + [kwargs.get("device")]:
        if isinstance(a, (str, device)):
            device(a)  # raises for anything but the CPU
        elif dtypes.has_engine_dtype(a):  # a tensor: its dtype
            target = a.dtype
        elif a is not None:
            target = a
    return dtypes.to_dtype(target) if target is not None else None


def true_div_type(a, b) -> dtypes.dtype:
    """``/`` always gives a float, even for two integer tensors."""
    d = dtypes.result_type(a, b)
    return d if d.is_floating_point else dtypes.default_float


def refuse_bool_sub(a, b) -> None:
    """PyTorch has no ``-`` for bools (a bool tensor or a Python bool on either side)."""
    a_bool, b_bool = (x is True or x is False or getattr(x, "dtype", None) is dtypes.bool_ for x in (a, b))
    if a_bool and b_bool:
        raise NotImplementedError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                                  "Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise NotImplementedError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                                  "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def wrap_dim(d: int, ndim: int) -> int:
    """Wrap a negative dim and check its range, with PyTorch's message."""
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The shape a and b broadcast to, or PyTorch's error naming the clashing sizes."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {max(len(a), len(b)) - i}")
        out.append(max(x, y) if x != 1 and y != 1 else x * y)
    return tuple(reversed(out))


def resolve_shape(shape: tuple, numel: int) -> tuple:
    """``reshape(*shape)``'s target for ``numel`` elements: one -1 filled in, the count checked."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in shape and known != 0 and numel % known == 0:
        shape = tuple(numel // known if s == -1 else s for s in shape)
    if int(np.prod(shape, dtype=np.int64)) != numel or -1 in shape:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


_constants: dict = {}  # (number, numpy dtype) -> its constant tensor, for the numbers ops see again and again


class Conversions:
    """The methods that take values out of a tensor or change its dtype (``Tensor`` inherits them)."""

    def _constant(self, number):
        """``number`` as a 0-dim constant tensor of this tensor's dtype, made once and reused (ops never
        change their inputs, and a constant never requires grad). Zero is made afresh: 0.0 == -0.0 as
        keys, not as values."""
        dtype = self.array.dtype
        t = _constants.get((number, dtype))
        if t is None:
            t = self._make(np.asarray(number, dtype=dtype))
            if number:
                if len(_constants) >= 256:  # a learning rate that changes every step must not grow it forever
                    _constants.clear()
                _constants[number, dtype] = t
        return t

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.array

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """``np.asarray(tensor)``: the values as a numeric array (refused while it requires grad, as ``numpy()``)."""
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return self.array.item()

    def tolist(self):
        return self.array.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to("cpu")`` or ``to(device, dtype)``; CUDA is refused with a clear error."""
        if len(args) == 1 and not kwargs and args[0] is self.dtype:  # the ops' own calls: nothing to do
            return self
        target = target_dtype(args, kwargs)
        if target is None or target is self.dtype:
            return self
        if self.requires_grad and target.is_floating_point:
            return unary.Cast.apply(self, target.np)
        return self._make(self.array.astype(target.np))

    def type(self, dtype=None):
        if dtype is None:
            return f"tinygrad_edu.{self.dtype.scalar_name}Tensor"
        return self.to(dtype)

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool_)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        device("cuda")  # raises: no CUDA path in this engine
        return self
