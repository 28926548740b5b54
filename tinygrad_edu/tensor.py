"""The Tensor: a numpy array plus what autograd needs to send gradients back through it.

A tensor holds its values in ``.array`` (a numpy array), whether it wants a gradient
(``requires_grad``), the gradient once one is computed (``.grad``), and, when an op made
it while grad mode was on, that op (``grad_fn``, a :class:`~tinygrad_edu.autograd.Function`).
Each differentiable method below calls an op's ``apply`` (``ops/``), which runs it and records
it for ``backward()``; the rest compute directly on the array (comparisons, ``argmax``).

Read top to bottom: state and graph recording, then the differentiable methods: arithmetic,
the tutorial's elementwise math, sum and mean, and indexing. The methods that record no graph are
inherited, each group from its own small module: comparisons and ``argmax`` (``_compare.py``),
in-place ops, ``x += y`` and ``.grad`` (``_inplace.py``), values in and out and ``.to(dtype)``
(``_convert.py``); printing is in ``_tensor_str.py``. So are the differentiable methods beyond
the walk's core: more math, products and reductions (max, var, norm...: ``_tensor_math.py``),
shape ops (reshape, permute, expand: ``_tensor_shape.py``), and gather, scatter, sort and split
(``_tensor_index.py``). docs/core_walk.md gives a reading order.
"""
from __future__ import annotations

import numpy as np

from . import autograd, dtypes
from ._compare import Comparisons
from ._convert import (Conversions, broadcast_shape, index_array, refuse_bool_sub, to_array,
                       true_div_type, wrap_dim)
from ._device import CPU, device
from ._inplace import InPlace
from ._size import Size
from ._tensor_index import IndexMethods
from ._tensor_math import MathMethods
from ._tensor_new import NewMethods
from ._tensor_shape import ShapeMethods
from ._tensor_str import tensor_repr
from .ops import binary, binary_math, linalg, movement, reduce, softmax, unary


class Tensor(Comparisons, InPlace, Conversions, MathMethods, ShapeMethods, IndexMethods, NewMethods):
    """An n-dimensional array that can record the ops applied to it and differentiate them."""

    __array_priority__ = 1000  # numpy_array + tensor calls Tensor.__radd__, not numpy's add
    grad_fn = _grad = None  # defaults that _make leaves unset: one attribute less to write per op
    _requires_grad = False

    def __init__(self, data=None, dtype=None, requires_grad: bool = False):
        if data is None:
            data = []
        array = data if isinstance(data, np.ndarray) and dtype is None else to_array(data, dtype)
        if dtype is None and array.dtype.kind in "iub" and not isinstance(data, np.ndarray):
            array = array.astype(dtypes.default_float.np)  # Tensor([1, 2]) is a float tensor, as in PyTorch
        self.array: np.ndarray = array
        self._grad: Tensor | None = None
        self.grad_fn: autograd.Function | None = None
        self._requires_grad = False
        self._counter = [0]  # the version counter, shared with views (_inplace.py)
        self.requires_grad = requires_grad

    @staticmethod
    def _make(array, grad_fn=None) -> "Tensor":
        """Wrap an op's result (always a plain Tensor); ``grad_fn`` set means it is part of a graph."""
        t = Tensor.__new__(Tensor)
        t.array, t._counter = np.asarray(array), [0]
        if grad_fn is not None:  # otherwise the class's defaults: no grad_fn, no .grad, no requires_grad
            t.grad_fn, t._requires_grad = grad_fn, True
        return t

    # ------------------------------------------------------------------ state

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        if not value and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to "
                               "use a computed variable in a subgraph that doesn't require differentiation "
                               "use var_no_grad = var.detach().")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.array.shape[wrap_dim(dim, self.ndim)]

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return int(self.array.size)

    nelement = numel

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self.array.dtype)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    @property
    def device(self) -> device:
        return CPU

    is_cuda = False

    @property
    def data(self) -> "Tensor":
        """The same values, detached from the graph (shares memory, as in PyTorch)."""
        return Tensor._make(self.array)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self.array = value.array if isinstance(value, Tensor) else np.asarray(value)

    @property
    def T(self) -> "Tensor":
        return self.permute(*reversed(range(self.ndim)))

    # ------------------------------------------------------------------ the graph

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, adding into ``leaf.grad``."""
        autograd.backward(self, gradient, retain_graph)

    def _accumulate(self, grad: np.ndarray) -> None:
        """Add ``grad`` into ``.grad``: gradients of leaves sum over backward calls until zeroed.
        ``grad`` (of this tensor's dtype) is backward's to give: the first one becomes ``.grad``."""
        if self._grad is None:
            self._grad = Tensor._make(grad)
        else:
            self._grad.array += grad

    def detach(self) -> "Tensor":
        """The same memory, out of the graph; it shares the version counter (an in-place change shows)."""
        t = Tensor._make(self.array)
        t._counter = self._counter
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn, self._requires_grad = None, False
        return self

    def clone(self) -> "Tensor":
        return unary.Clone.apply(self)

    def contiguous(self) -> "Tensor":
        return self if self.array.flags.c_contiguous else self.clone()

    # ------------------------------------------------------------------ arithmetic

    def _binary(self, op, other, reverse: bool = False, dtype=None) -> "Tensor":
        """Promote both operands to one dtype (Python numbers become constants), then apply ``op``."""
        if dtype is None and type(other) in (float, int) and self.array.dtype.kind == "f":
            # the commonest call, x * 0.5 on a float tensor: a Python number takes the tensor's dtype
            # (PyTorch's rule), so the promotion search below is skipped
            b = self._constant(other)
            return op.apply(b, self) if reverse else op.apply(self, b)
        if isinstance(other, (np.ndarray, list, tuple)):
            other = Tensor._make(to_array(other))
        dtype = dtype or dtypes.result_type(self, other)
        a = self.to(dtype)
        b = other.to(dtype) if isinstance(other, Tensor) else Tensor._make(np.asarray(other, dtype=dtype.np))
        if a.array.shape != b.array.shape and b.ndim:
            broadcast_shape(a.shape, b.shape)  # PyTorch's message for shapes that don't broadcast
        return op.apply(b, a) if reverse else op.apply(a, b)

    def add(self, other, alpha=1) -> "Tensor":
        return self._binary(binary.Add, other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1) -> "Tensor":
        refuse_bool_sub(self, other)
        return self._binary(binary.Sub, other if alpha == 1 else other * alpha)

    def mul(self, other) -> "Tensor":
        return self._binary(binary.Mul, other)

    def div(self, other) -> "Tensor":
        return self._binary(binary.Div, other, dtype=true_div_type(self, other))

    def pow(self, exponent) -> "Tensor":
        if self.dtype is dtypes.bool_ and dtypes.result_type(self, exponent) is dtypes.bool_:
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        return self._binary(binary.Pow, exponent)

    __add__ = add
    __sub__ = sub
    __mul__ = mul
    __truediv__ = div
    __pow__ = pow
    multiply, subtract, divide = mul, sub, div

    def __radd__(self, other) -> "Tensor":
        return self._binary(binary.Add, other, reverse=True)

    def __rsub__(self, other) -> "Tensor":
        refuse_bool_sub(self, other)
        return self._binary(binary.Sub, other, reverse=True)

    def __rmul__(self, other) -> "Tensor":
        return self._binary(binary.Mul, other, reverse=True)

    def __rtruediv__(self, other) -> "Tensor":
        return self._binary(binary.Div, other, reverse=True, dtype=true_div_type(self, other))

    def __rpow__(self, other) -> "Tensor":
        return self._binary(binary.Pow, other, reverse=True)

    def __neg__(self) -> "Tensor":
        if self.dtype is dtypes.bool_:
            raise NotImplementedError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                                      "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return unary.Neg.apply(self)

    neg = __neg__

    def __pos__(self) -> "Tensor":
        return self

    def matmul(self, other) -> "Tensor":
        """Matrix product with broadcasting batch dims; mismatched shapes name both, as PyTorch does."""
        a, b = self, other if isinstance(other, Tensor) else Tensor._make(np.asarray(other))
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError("both arguments to matmul need to be at least 1D, "
                               f"but they are {a.ndim}D and {b.ndim}D")
        k_a = a.shape[-1]
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.dtype is not b.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name} != {b.dtype.name}")
        if k_a != k_b:
            left = "x".join(map(str, a.shape[-2:] if a.ndim > 1 else (1,) + tuple(a.shape)))
            right = "x".join(map(str, b.shape[-2:] if b.ndim > 1 else tuple(b.shape) + (1,)))
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})")
        if a.ndim > 2 or b.ndim > 2:
            broadcast_shape(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ())
        return linalg.MatMul.apply(a, b)

    __matmul__ = matmul

    def __rmatmul__(self, other) -> "Tensor":
        return Tensor._make(np.asarray(other)).matmul(self)

    def mm(self, other) -> "Tensor":
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm: expected 2-D tensors, got {self.ndim}-D and {other.ndim}-D")
        return self.matmul(other)

    # ------------------------------------------------------------------ elementwise math

    def _unary(self, op) -> "Tensor":
        """Unary float ops: an integer tensor is first promoted to the default float type."""
        return op.apply(self._float())

    def _float(self) -> "Tensor":
        return self if self.dtype.is_floating_point else self.to(dtypes.default_float)

    def exp(self) -> "Tensor":
        return self._unary(unary.Exp)

    def log(self) -> "Tensor":
        return self._unary(unary.Log)

    def sqrt(self) -> "Tensor":
        return self._unary(unary.Sqrt)

    def sigmoid(self) -> "Tensor":
        return self._unary(unary.Sigmoid)

    def tanh(self) -> "Tensor":
        return self._unary(unary.Tanh)

    def abs(self) -> "Tensor":
        if self.dtype is dtypes.bool_:
            raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
        return unary.Abs.apply(self)

    __abs__ = abs

    def relu(self) -> "Tensor":
        if self.dtype is dtypes.bool_:
            raise NotImplementedError("Boolean inputs not supported for relu")
        return unary.Relu.apply(self)

    def clamp(self, min=None, max=None) -> "Tensor":
        """min(max(x, min), max); bounds that are tensors broadcast and get gradients too."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        bounds = [b for b in (min, max) if b is not None]
        dtype = dtypes.result_type(self, *bounds)
        if not any(isinstance(b, Tensor) for b in bounds):
            return unary.Clamp.apply(self.to(dtype), min, max)
        lo, hi = (b if b is None else (b if isinstance(b, Tensor) else Tensor(b)).to(dtype) for b in (min, max))
        for b in bounds:
            broadcast_shape(self.shape, b.shape if isinstance(b, Tensor) else ())
        return binary_math.ClampBounds.apply(self.to(dtype), lo, hi)

    clip = clamp

    def _softmax_input(self, name: str, dtype) -> "Tensor":
        """``dtype=`` casts the input first (as PyTorch does, against overflow); an integer input is
        refused, as PyTorch has no integer kernel for it."""
        x = self.to(dtype) if dtype is not None else self
        if not x.dtype.is_floating_point:
            raise NotImplementedError(f"\"{name}_lastdim_kernel_impl\" not implemented for '{x.dtype.scalar_name}'")
        return x

    def softmax(self, dim: int, dtype=None) -> "Tensor":
        dim = wrap_dim(dim, self.ndim)
        return softmax.Softmax.apply(self._softmax_input("softmax", dtype), dim)

    def log_softmax(self, dim: int, dtype=None) -> "Tensor":
        dim = wrap_dim(dim, self.ndim)
        return softmax.LogSoftmax.apply(self._softmax_input("log_softmax", dtype), dim)

    # ------------------------------------------------------------------ reductions

    def _dims(self, dim) -> tuple | None:
        """``dim`` as sorted non-negative dims; None (all dims) for None, ``[]`` or a 0-dim tensor, as in PyTorch."""
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            return None
        dims = [wrap_dim(d, self.ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
        for d in dims:
            if dims.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        return None if self.ndim == 0 else tuple(sorted(dims))

    def _count(self, dims: tuple | None) -> int:
        """How many elements a reduction over ``dims`` (all when None) combines."""
        return self.numel() if dims is None else int(np.prod([self.shape[d] for d in dims]))

    def sum(self, dim=None, keepdim: bool = False, dtype=None) -> "Tensor":
        x = self.to(dtype) if dtype is not None else self
        if x.dtype in (dtypes.bool_, dtypes.uint8, dtypes.int8, dtypes.int16, dtypes.int32):
            x = x.to(dtypes.int64)  # PyTorch sums bools and small ints as int64
        return reduce.Sum.apply(x, self._dims(dim), keepdim)

    def mean(self, dim=None, keepdim: bool = False) -> "Tensor":
        """sum / count; an integer tensor is refused, as in PyTorch."""
        if not self.dtype.is_floating_point:
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                               f"floating point or complex dtype. Got: {self.dtype.scalar_name}")
        dims = self._dims(dim)
        return self.sum(dims, keepdim) / self._count(dims)

    # ------------------------------------------------------------------ indexing

    def __getitem__(self, index) -> "Tensor":
        try:
            return movement.Index.apply(self, index_array(index))
        except IndexError as e:  # numpy says "axis" where PyTorch says "dimension"
            raise IndexError(str(e).replace("for axis", "for dimension")) from None

    # ------------------------------------------------------------------ printing (_tensor_str.py)

    __repr__ = __str__ = tensor_repr
