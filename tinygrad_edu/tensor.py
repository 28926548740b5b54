"""The Tensor: a numpy array plus what autograd needs to send gradients back through it.

A tensor holds its values in ``.array`` (a numpy array), whether it wants a gradient
(``requires_grad``), the gradient once one is computed (``.grad``), and, when an op made
it while grad mode was on, that op (``grad_fn``, a :class:`~tinygrad_edu.autograd.Function`).
Each differentiable method below calls an op's ``apply`` (``ops/``), which runs it and records
it for ``backward()``; the rest compute directly on the array (comparisons, ``argmax``).

Read top to bottom: state and graph recording, then the differentiable methods: arithmetic,
elementwise math, reductions, shape ops and indexing. The methods that record no graph are
inherited, each group from its own small module: comparisons and ``argmax`` (``_compare.py``),
in-place ops, ``x += y`` and ``.grad`` (``_inplace.py``), values in and out and ``.to(dtype)``
(``_convert.py``); printing is in ``_tensor_str.py``. docs/core_walk.md gives a reading order.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import autograd, dtypes
from ._compare import Comparisons
from ._convert import (Conversions, broadcast_shape, index_array, refuse_bool_sub, resolve_shape, to_array,
                       true_div_type, wrap_dim)
from ._device import CPU, device
from ._inplace import InPlace
from ._size import Size
from ._tensor_str import tensor_repr
from .ops import binary, linalg, movement, reduce, scan, softmax, unary
from .ops import index as index_ops

return_types_max = namedtuple("max", ["values", "indices"])
return_types_min = namedtuple("min", ["values", "indices"])
return_types_sort = namedtuple("sort", ["values", "indices"])
return_types_topk = namedtuple("topk", ["values", "indices"])


class Tensor(Comparisons, InPlace, Conversions):
    """An n-dimensional array that can record the ops applied to it and differentiate them."""

    __array_priority__ = 1000  # numpy_array + tensor calls Tensor.__radd__, not numpy's add

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
        t.array = np.asarray(array)
        t._grad, t.grad_fn, t._counter = None, grad_fn, [0]
        t._requires_grad = grad_fn is not None
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

    # ------------------------------------------------------------------ new tensors like this one

    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """``torch.tensor(data)`` in this tensor's dtype unless ``dtype`` is given (a copy, out of the graph)."""
        from .creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """Zeros of ``size`` (``x.new_zeros(2, 3)`` or ``x.new_zeros((2, 3))``), in this tensor's dtype unless
        ``dtype`` is given."""
        from .creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """Ones of ``size``, in this tensor's dtype unless ``dtype`` is given."""
        from .creation import ones
        return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """A tensor of ``size`` (zero-filled here, uninitialised in PyTorch), in this tensor's dtype unless given."""
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """``size`` filled with ``fill_value``, in this tensor's dtype unless ``dtype`` is given."""
        from .creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def contiguous(self) -> "Tensor":
        return self if self.array.flags.c_contiguous else self.clone()

    # ------------------------------------------------------------------ arithmetic

    def _binary(self, op, other, reverse: bool = False, dtype=None) -> "Tensor":
        """Promote both operands to one dtype (Python numbers become constants), then apply ``op``."""
        if dtype is None and type(other) in (float, int) and self.array.dtype.kind == "f":
            # the commonest call, x * 0.5 on a float tensor: a Python number takes the tensor's dtype
            # (PyTorch's rule), so the promotion search below is skipped
            b = Tensor._make(np.asarray(other, dtype=self.array.dtype))
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

    def bmm(self, other) -> "Tensor":
        """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p), with no broadcasting."""
        for name, t in (("batch1", self), ("batch2", other)):
            if t.ndim != 3:
                raise RuntimeError(f"{name} must be a 3D tensor")
        if other.shape[:2] != (self.shape[0], self.shape[2]):
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{self.shape[0]}, {self.shape[2]}] but got: [{other.shape[0]}, {other.shape[1]}].")
        if self.dtype is not other.dtype:
            raise RuntimeError(f"expected scalar type {self.dtype.scalar_name} but found {other.dtype.scalar_name}")
        return self.matmul(other)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1) -> "Tensor":
        """beta * self + alpha * (mat1 @ mat2); with beta = 0, self is ignored (a nan in it too)."""
        product = mat1.mm(mat2)
        base = self.expand(product.shape)
        if beta == 0:  # self's values are never read (nor its nans); its gradient is 0, as in PyTorch
            return product * alpha + base.masked_fill(Tensor._make(np.array(True)), 0)
        return base * beta + product * alpha

    def outer(self, vec2) -> "Tensor":
        """z[i, j] = self[i] * vec2[j]."""
        for name, t in (("self", self), ("vec2", vec2)):
            if t.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    def dot(self, other) -> "Tensor":
        """sum_i self[i] * other[i] of two 1-D tensors of one dtype (no promotion, as in PyTorch)."""
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        if self.numel() != other.numel():
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{self.numel()}] and src "
                               f"[{other.numel()}] to have the same number of elements, but got "
                               f"{self.numel()} and {other.numel()} elements respectively")
        if self.dtype is not other.dtype:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{self.dtype.scalar_name} and {other.dtype.scalar_name}")
        return self.matmul(other)

    def _tensor_operand(self, op: str, other) -> "Tensor":
        if not isinstance(other, Tensor):
            raise TypeError(f"{op}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        return other

    def maximum(self, other) -> "Tensor":
        return self._binary(binary.Maximum, self._tensor_operand("maximum", other))

    def minimum(self, other) -> "Tensor":
        return self._binary(binary.Minimum, self._tensor_operand("minimum", other))

    def atan2(self, other) -> "Tensor":
        """The angle of the point (other, self): atan2(y=self, x=other)."""
        other = self._tensor_operand("atan2", other)
        return self._binary(binary.Atan2, other, dtype=true_div_type(self, other))

    arctan2 = atan2

    def square(self) -> "Tensor":
        x = self.to(dtypes.int64) if self.dtype is dtypes.bool_ else self
        return x * x

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
        return binary.ClampBounds.apply(self.to(dtype), lo, hi)

    clip = clamp

    def sin(self) -> "Tensor":
        return self._unary(unary.Sin)

    def cos(self) -> "Tensor":
        return self._unary(unary.Cos)

    def tan(self) -> "Tensor":
        return self._unary(unary.Tan)

    def asin(self) -> "Tensor":
        return self._unary(unary.Asin)

    def acos(self) -> "Tensor":
        return self._unary(unary.Acos)

    def atan(self) -> "Tensor":
        return self._unary(unary.Atan)

    arcsin, arccos, arctan = asin, acos, atan

    def sinh(self) -> "Tensor":
        return self._unary(unary.Sinh)

    def cosh(self) -> "Tensor":
        return self._unary(unary.Cosh)

    def log2(self) -> "Tensor":
        return self._unary(unary.Log2)

    def log10(self) -> "Tensor":
        return self._unary(unary.Log10)

    def log1p(self) -> "Tensor":
        return self._unary(unary.Log1p)

    def expm1(self) -> "Tensor":
        return self._unary(unary.Expm1)

    def reciprocal(self) -> "Tensor":
        return self._unary(unary.Reciprocal)

    def rsqrt(self) -> "Tensor":
        return self._unary(unary.Rsqrt)

    def erf(self) -> "Tensor":
        return self._unary(unary.Erf)

    def _flat(self, op, name: str, *args) -> "Tensor":
        """Steps (floor, round...): an integer tensor is already whole, so it comes back as a copy."""
        if self.dtype is dtypes.bool_:
            raise NotImplementedError(f'"{name}" not implemented for \'Bool\'')
        if not self.dtype.is_floating_point:
            return Tensor._make(self.array.copy())
        return op.apply(self, *args)

    def floor(self) -> "Tensor":
        return self._flat(unary.Floor, "floor")

    def ceil(self) -> "Tensor":
        return self._flat(unary.Ceil, "ceil")

    def trunc(self) -> "Tensor":
        return self._flat(unary.Trunc, "trunc")

    fix = trunc

    def round(self, decimals: int = 0) -> "Tensor":
        """Halves round to even (0.5 -> 0, 1.5 -> 2); ``decimals`` places after the point (< 0: before)."""
        if decimals and not self.dtype.is_floating_point:
            raise NotImplementedError(f'"round" not implemented for \'{self.dtype.scalar_name}\'')
        return self._flat(unary.Round, "round", decimals)

    def sign(self) -> "Tensor":
        if self.dtype is dtypes.bool_:
            return Tensor._make(self.array.copy())
        return unary.Sign.apply(self)

    sgn = sign

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

    def var(self, dim=None, unbiased: bool = True, keepdim: bool = False) -> "Tensor":
        """mean((x - mean(x))^2) with n - 1 in the denominator (unbiased); nan where n - 1 <= 0, as PyTorch."""
        if not self.dtype.is_floating_point:
            raise RuntimeError("std and var only support floating point and complex dtypes")
        dims = self._dims(dim)
        count = self._count(dims)
        centered = self - self.mean(dims, keepdim=True)
        return (centered * centered).sum(dims, keepdim) / (max(count - 1, 0) if unbiased else count)

    def std(self, dim=None, unbiased: bool = True, keepdim: bool = False) -> "Tensor":
        return self.var(dim, unbiased, keepdim).sqrt()

    def _extreme(self, dim, keepdim, largest: bool, name: str = ""):
        name = name or ("max" if largest else "min")
        if dim is None:
            if self.numel() == 0:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                                   "input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
            return reduce.MaxAll.apply(self, largest)
        if self.ndim and self.shape[wrap_dim(dim, self.ndim)] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {wrap_dim(dim, self.ndim)} to have non-zero size.")
        if self.ndim == 0:  # one element: itself, at index 0
            wrap_dim(dim, 0)
            return (return_types_max if largest else return_types_min)(
                *reduce.MaxDim.apply(self.reshape(1), 0, False, largest))
        values_indices = reduce.MaxDim.apply(self, wrap_dim(dim, self.ndim), keepdim, largest)
        return (return_types_max if largest else return_types_min)(*values_indices)

    def max(self, dim=None, keepdim: bool = False):
        """The largest element; with ``dim``, a (values, indices) pair along that dim; ``x.max(y)`` with a
        tensor y is ``maximum``."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extreme(dim, keepdim, largest=True)

    def min(self, dim=None, keepdim: bool = False):
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extreme(dim, keepdim, largest=False)

    def amax(self, dim=(), keepdim: bool = False) -> "Tensor":
        """The largest value over ``dim`` (all dims when empty); ties share the gradient evenly."""
        return self._amax(dim, keepdim, largest=True)

    def amin(self, dim=(), keepdim: bool = False) -> "Tensor":
        return self._amax(dim, keepdim, largest=False)

    def _amax(self, dim, keepdim: bool, largest: bool) -> "Tensor":
        dims = (self._dims(dim) or None) if self.ndim else None
        name = "amax" if largest else "amin"
        if self.numel() == 0 and dims is None:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        for d in dims or ():
            if self.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        return reduce.Amax.apply(self, dims, keepdim, largest)

    def prod(self, dim: int | None = None, keepdim: bool = False, dtype=None) -> "Tensor":
        x = self.to(dtype) if dtype is not None else self
        if x.dtype in (dtypes.bool_, dtypes.uint8, dtypes.int8, dtypes.int16, dtypes.int32):
            x = x.to(dtypes.int64)  # as sum: small integers multiply as int64
        dim = None if dim is None else wrap_dim(dim, self.ndim)
        if dim is None or self.ndim == 0:
            return reduce.Prod.apply(x, None, False)
        return reduce.Prod.apply(x, dim, keepdim)

    def logsumexp(self, dim, keepdim: bool = False) -> "Tensor":
        """log(sum(exp(x))) over ``dim``, without overflow: m + log(sum(exp(x - m))), m the max (held
        constant, so the gradient is exactly softmax(x))."""
        x = self._float()
        dims = (self._dims(dim) or None) if self.ndim else None
        m = np.max(x.array, axis=dims, keepdims=True, initial=-np.inf)
        m = Tensor._make(np.where(np.isinf(m), 0, m).astype(x.array.dtype))  # all -inf, an inf, or empty: no shift
        out = (x - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims if dims is not None else tuple(range(self.ndim)))

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None) -> "Tensor":
        """The p-norm (sum |x|^p)^(1/p) over ``dim`` (all when None): p = 2 or "fro" (the default),
        1, inf, -inf, 0 (count of non-zeros) or any other number."""
        x = self.to(dtype) if dtype is not None else self
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                               f"Got {x.dtype.scalar_name}")
        if isinstance(p, str) and p != "fro":
            raise NotImplementedError(f"norm(p='{p}') is not supported; use p='fro' or a number")
        dims = self._dims(dim) if self.ndim else None
        if p == "fro" and dims is not None and len(dims) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
        p = 2 if p == "fro" else p
        if p == 1:
            return x.abs().sum(dims, keepdim)
        if p in (float("inf"), float("-inf")):
            empty = [d for d in dims or () if self.shape[d] == 0]
            if empty or self.numel() == 0:
                where = f"the dimension {empty[0]}because this dimension is empty and" if empty else \
                    "an empty tensor because"
                raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on {where} the operation "
                                   "does not have an identity")
            return x.abs()._amax(dims or (), keepdim, largest=p > 0)
        return reduce.Norm.apply(x, p, dims, keepdim)

    def cumsum(self, dim: int, dtype=None) -> "Tensor":
        x = self.to(dtype) if dtype is not None else self
        if x.dtype in (dtypes.bool_, dtypes.uint8, dtypes.int8, dtypes.int16, dtypes.int32) and dtype is None:
            x = x.to(dtypes.int64)
        if self.ndim == 0:
            wrap_dim(dim, 0)
            return scan.CumSum.apply(x.reshape(1), 0).reshape(())
        return scan.CumSum.apply(x, wrap_dim(dim, self.ndim))

    # ------------------------------------------------------------------ shape

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

    # ------------------------------------------------------------------ indexing

    def __getitem__(self, index) -> "Tensor":
        try:
            return movement.Index.apply(self, index_array(index))
        except IndexError as e:  # numpy says "axis" where PyTorch says "dimension"
            raise IndexError(str(e).replace("for axis", "for dimension")) from None

    def _index_along(self, op: str, dim: int, index: "Tensor", sizes=()) -> tuple:
        """Check an index tensor for gather/scatter along ``dim``: its dtype, dims, sizes and range."""
        if not isinstance(index, Tensor) or index.dtype not in (dtypes.int64, dtypes.int32):
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
        sizes = (("src", src.shape),) if isinstance(src, Tensor) else ()
        d, idx = self._index_along("scatter", dim, index, sizes)
        if isinstance(src, Tensor) and src.dtype is not self.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if reduce not in (None, "add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if not isinstance(src, Tensor):
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
        if not isinstance(index, Tensor) or index.dtype not in (dtypes.int64, dtypes.int32):
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
        if not isinstance(mask, Tensor) or mask.dtype is not dtypes.bool_:
            dtype_name = mask.dtype.name if isinstance(mask, Tensor) else type(mask).__name__
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {dtype_name}")
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                                   f"with {value.ndim} dimension(s).")
            value = value.to(self.dtype)
        else:
            value = Tensor._make(np.asarray(value).astype(self.array.dtype))
        broadcast_shape(mask.shape, self.shape)  # PyTorch names the mask "a"
        return binary.Where.apply(mask.array, value, self)

    def index_fill(self, dim: int, index: "Tensor", value) -> "Tensor":
        """self with the slices ``index`` names along ``dim`` (negative: from the end) set to ``value``,
        a number or a 0-dim tensor (which gets a gradient): ``masked_fill`` with a mask along ``dim``."""
        if not isinstance(index, Tensor) or index.dtype is not dtypes.int64:
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
        return self.masked_fill(Tensor._make(mask), value)

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

    # ------------------------------------------------------------------ printing (_tensor_str.py)

    __repr__ = __str__ = tensor_repr
