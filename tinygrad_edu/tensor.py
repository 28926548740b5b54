"""The Tensor: a numpy array plus what autograd needs to send gradients back through it.

A tensor holds its values in ``.array`` (a numpy array), whether it wants a gradient
(``requires_grad``), the gradient once one is computed (``.grad``), and, when an op made
it while grad mode was on, that op (``grad_fn``, a :class:`~tinygrad_edu.autograd.Function`).
Each differentiable method below calls an op's ``apply`` (``ops/``), which runs it and records
it for ``backward()``; the rest compute directly on the array (comparisons, ``argmax``).

Read top to bottom: state and graph recording, then the differentiable methods: arithmetic,
elementwise math, reductions, shape ops and indexing. The methods that record no graph are
inherited, each group from its own small module: comparisons and ``argmax`` (``_compare.py``),
in-place ops and ``x += y`` (``_inplace.py``), values in and out and ``.to(dtype)``
(``_convert.py``); printing is in ``_tensor_str.py``. docs/core_walk.md gives a reading order.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import autograd, dtypes
from ._compare import Comparisons
from ._convert import Conversions, broadcast_shape, index_array, resolve_shape, to_array, true_div_type, wrap_dim
from ._device import CPU, device
from ._inplace import InPlace
from ._size import Size
from ._tensor_str import tensor_repr
from .ops import binary, linalg, movement, reduce, softmax, unary

return_types_max = namedtuple("max", ["values", "indices"])


class Tensor(Comparisons, InPlace, Conversions):
    """An n-dimensional array that can record the ops applied to it and differentiate them."""

    __array_priority__ = 1000  # numpy_array + tensor calls Tensor.__radd__, not numpy's add

    def __init__(self, data=None, dtype=None, requires_grad: bool = False):
        if data is None:
            data = []
        array = data if isinstance(data, np.ndarray) and dtype is None else to_array(data, dtype)
        if dtype is None and array.dtype.kind in "iub" and not isinstance(data, np.ndarray):
            array = array.astype(np.float32)  # Tensor([1, 2]) is a float tensor, as in PyTorch
        self.array: np.ndarray = array
        self.grad: Tensor | None = None
        self.grad_fn: autograd.Function | None = None
        self._requires_grad = False
        self._version = 0
        self.requires_grad = requires_grad

    @staticmethod
    def _make(array, grad_fn=None) -> "Tensor":
        """Wrap an op's result (always a plain Tensor); ``grad_fn`` set means it is part of a graph."""
        t = Tensor.__new__(Tensor)
        t.array = np.asarray(array)
        t.grad, t.grad_fn, t._version = None, grad_fn, 0
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
        if self.grad is None:
            self.grad = Tensor._make(grad)
        else:
            self.grad.array += grad

    def detach(self) -> "Tensor":
        return Tensor._make(self.array)

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
        return self._binary(binary.Sub, other if alpha == 1 else other * alpha)

    def mul(self, other) -> "Tensor":
        return self._binary(binary.Mul, other)

    def div(self, other) -> "Tensor":
        return self._binary(binary.Div, other, dtype=true_div_type(self, other))

    def pow(self, exponent) -> "Tensor":
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
        return self._binary(binary.Sub, other, reverse=True)

    def __rmul__(self, other) -> "Tensor":
        return self._binary(binary.Mul, other, reverse=True)

    def __rtruediv__(self, other) -> "Tensor":
        return self._binary(binary.Div, other, reverse=True, dtype=true_div_type(self, other))

    def __rpow__(self, other) -> "Tensor":
        return self._binary(binary.Pow, other, reverse=True)

    def __neg__(self) -> "Tensor":
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
        if k_a != k_b:
            left = "x".join(map(str, a.shape[-2:] if a.ndim > 1 else (1,) + tuple(a.shape)))
            right = "x".join(map(str, b.shape[-2:] if b.ndim > 1 else tuple(b.shape) + (1,)))
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})")
        if a.ndim > 2 or b.ndim > 2:
            broadcast_shape(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ())
        dtype = dtypes.result_type(a, b)
        return linalg.MatMul.apply(a.to(dtype), b.to(dtype))

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
        x = self if self.dtype.is_floating_point else self.to(dtypes.default_float)
        return op.apply(x)

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
        return unary.Abs.apply(self)

    __abs__ = abs

    def relu(self) -> "Tensor":
        return unary.Relu.apply(self)

    def clamp(self, min=None, max=None) -> "Tensor":
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        return unary.Clamp.apply(self, min, max)

    clip = clamp

    def softmax(self, dim: int) -> "Tensor":
        return softmax.Softmax.apply(self._float(), wrap_dim(dim, self.ndim))

    def log_softmax(self, dim: int) -> "Tensor":
        return softmax.LogSoftmax.apply(self._float(), wrap_dim(dim, self.ndim))

    def _float(self) -> "Tensor":
        return self if self.dtype.is_floating_point else self.to(dtypes.default_float)

    # ------------------------------------------------------------------ reductions

    def _dims(self, dim) -> tuple | None:
        if dim is None:
            return None
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        return tuple(sorted(wrap_dim(d, self.ndim) for d in dims))

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
        dims = self._dims(dim)
        count = self._count(dims)
        centered = self - self.mean(dims, keepdim=True)
        return (centered * centered).sum(dims, keepdim) / (count - 1 if unbiased else count)

    def std(self, dim=None, unbiased: bool = True, keepdim: bool = False) -> "Tensor":
        return self.var(dim, unbiased, keepdim).sqrt()

    def _extreme(self, dim, keepdim, largest: bool):
        if dim is None:
            if self.numel() == 0:
                raise RuntimeError(f"{'max' if largest else 'min'}(): Expected reduction dim to be specified for "
                                   "input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
            return reduce.MaxAll.apply(self, largest)
        return return_types_max(*reduce.MaxDim.apply(self, wrap_dim(dim, self.ndim), keepdim, largest))

    def max(self, dim=None, keepdim: bool = False):
        """The largest element; with ``dim``, a (values, indices) pair along that dim."""
        return self._extreme(dim, keepdim, largest=True)

    def min(self, dim=None, keepdim: bool = False):
        return self._extreme(dim, keepdim, largest=False)

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
        if self.ndim == 0:
            return self.reshape(1)
        s, e = wrap_dim(start_dim, self.ndim), wrap_dim(end_dim, self.ndim)
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def squeeze(self, dim=None) -> "Tensor":
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        d = wrap_dim(dim, self.ndim)
        if self.ndim == 0 or self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1:])

    def unsqueeze(self, dim: int) -> "Tensor":
        d = wrap_dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims) -> "Tensor":
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        dims = tuple(wrap_dim(d, self.ndim) for d in dims)
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                               f"the length of the desired ordering of dimensions i.e. input.dim() = "
                               f"{self.ndim} is not equal to len(dims) = {len(dims)}")
        return movement.Permute.apply(self, dims)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        dims = list(range(self.ndim))
        a, b = wrap_dim(dim0, self.ndim), wrap_dim(dim1, self.ndim)
        dims[a], dims[b] = dims[b], dims[a]
        return movement.Permute.apply(self, tuple(dims))

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
        shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        for i, n in enumerate(self.shape):
            if n != 1 and n != shape[i + lead]:
                raise RuntimeError(f"The expanded size of the tensor ({shape[i + lead]}) must match the "
                                   f"existing size ({n}) at non-singleton dimension {i + lead}.  "
                                   f"Target sizes: {list(sizes)}.  Tensor sizes: {list(self.shape)}")
        return movement.Expand.apply(self, shape)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    # ------------------------------------------------------------------ indexing

    def __getitem__(self, index) -> "Tensor":
        return movement.Index.apply(self, index_array(index))

    # ------------------------------------------------------------------ printing (_tensor_str.py)

    __repr__ = __str__ = tensor_repr
