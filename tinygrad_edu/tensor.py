"""The Tensor: a numpy array plus what autograd needs to send gradients back through it.

A tensor holds its values in ``.array`` (a numpy array), whether it wants a gradient
(``requires_grad``), the gradient once one is computed (``.grad``), and, when an op made
it while grad mode was on, that op (``grad_fn``, a :class:`~tinygrad_edu.autograd.Function`).
Each method below either computes directly on the array (no gradient: comparisons,
``argmax``) or calls an op's ``apply``, which records the op for ``backward()``.
"""
from __future__ import annotations

import numbers
from collections import namedtuple

import numpy as np

from . import autograd, dtypes
from .ops import elementwise as ew
from .ops import linalg, movement, reduce, softmax

return_types_max = namedtuple("max", ["values", "indices"])


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``torch.Size``."""

    def __repr__(self) -> str:
        return f"tinygrad_edu.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class device:
    """Where a tensor lives. The engine computes on the CPU only."""

    def __init__(self, type: str = "cpu"):
        type = str(type)
        if type.split(":")[0] != "cpu":
            raise RuntimeError(f"tinygrad_edu runs on the CPU only; device '{type}' is not available "
                               "(use the torch backend for CUDA)")
        self.type = "cpu"

    def __eq__(self, other) -> bool:
        return str(other) == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"


CPU = device("cpu")


def _to_array(data, dtype=None) -> np.ndarray:
    """Numpy array for ``tensor(data)``: Python floats become float32, ints int64, as in PyTorch."""
    if isinstance(data, Tensor):
        data = data.array
    elif isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [_to_array(x) for x in data]
    if dtype is not None:
        return np.array(data, dtype=dtypes.to_dtype(dtype).np)
    arr = np.array(data)
    if arr.dtype == np.float64 and not isinstance(data, np.ndarray) and not isinstance(data, np.floating):
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iu" and not isinstance(data, (np.ndarray, np.generic)):
        arr = arr.astype(np.int64)
    dtypes.from_numpy_dtype(arr.dtype)  # rejects strings, objects, complex
    return arr


def _dim(d: int, ndim: int) -> int:
    """Wrap a negative dim and check its range, with PyTorch's message."""
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
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


class Tensor:
    """An n-dimensional array that can record the ops applied to it and differentiate them."""

    __array_priority__ = 1000  # numpy_array + tensor calls Tensor.__radd__, not numpy's add

    def __init__(self, data=None, dtype=None, requires_grad: bool = False):
        if data is None:
            data = []
        array = data if isinstance(data, np.ndarray) and dtype is None else _to_array(data, dtype)
        if dtype is None and array.dtype.kind in "iub" and not isinstance(data, np.ndarray):
            array = array.astype(np.float32)  # Tensor([1, 2]) is a float tensor, as in PyTorch
        self.array: np.ndarray = array
        self.grad: Tensor | None = None
        self.grad_fn: autograd.Function | None = None
        self._requires_grad = False
        self._version = 0
        self.requires_grad = requires_grad

    @classmethod
    def _make(cls, array, grad_fn=None) -> "Tensor":
        """Wrap an op's result; ``grad_fn`` set means it is part of a graph."""
        t = cls.__new__(cls)
        t.array = np.asarray(array)
        t.grad, t.grad_fn, t._version = None, grad_fn, 0
        t._requires_grad = grad_fn is not None
        return t

    # ------------------------------------------------------------------ attributes

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
        return self.shape if dim is None else self.array.shape[_dim(dim, self.ndim)]

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

    # ------------------------------------------------------------------ conversion

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.array

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

    __hash__ = object.__hash__

    def detach(self) -> "Tensor":
        return Tensor._make(self.array)

    def detach_(self) -> "Tensor":
        self.grad_fn, self._requires_grad = None, False
        return self

    def clone(self) -> "Tensor":
        return ew.Clone.apply(self)

    def contiguous(self) -> "Tensor":
        return self if self.array.flags.c_contiguous else self.clone()

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to("cpu")`` or ``to(device, dtype)``; CUDA is refused with a clear error."""
        if len(args) == 1 and not kwargs and args[0] is self.dtype:  # the ops' own calls: nothing to do
            return self
        target = target_dtype(args, kwargs)
        if target is None or target is self.dtype:
            return self
        if self.requires_grad and target.is_floating_point:
            return ew.Cast.apply(self, target.np)
        return Tensor._make(self.array.astype(target.np))

    def type(self, dtype=None):
        if dtype is None:
            return f"tinygrad_edu.{self.dtype.scalar_name}Tensor"
        return self.to(dtype)

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def half(self) -> "Tensor":
        return self.to(dtypes.float16)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        return self.to(dtypes.int32)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, *args, **kwargs) -> "Tensor":
        device("cuda")  # raises: no CUDA path in this engine
        return self

    # ------------------------------------------------------------------ autograd

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, adding into ``leaf.grad``."""
        autograd.backward(self, gradient, retain_graph)

    def _accumulate(self, grad: np.ndarray) -> None:
        """Add ``grad`` into ``.grad``: gradients of leaves sum over backward calls until zeroed."""
        if self.grad is None:
            self.grad = Tensor._make(np.array(grad, dtype=self.array.dtype, copy=True))
        else:
            self.grad.array += grad

    # ------------------------------------------------------------------ in-place (no graph)

    def _inplace(self, values) -> "Tensor":
        if self.requires_grad and self.is_leaf and autograd.is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        self.array[...] = values.array if isinstance(values, Tensor) else values
        self._version += 1
        return self

    def zero_(self) -> "Tensor":
        return self._inplace(0)

    def fill_(self, value) -> "Tensor":
        return self._inplace(value)

    def copy_(self, src) -> "Tensor":
        return self._inplace(np.broadcast_to(_to_array(src), self.shape))

    def add_(self, other, alpha=1) -> "Tensor":
        return self._inplace(self.array + alpha * _to_array(other))

    def sub_(self, other, alpha=1) -> "Tensor":
        return self._inplace(self.array - alpha * _to_array(other))

    def mul_(self, other) -> "Tensor":
        return self._inplace(self.array * _to_array(other))

    def div_(self, other) -> "Tensor":
        return self._inplace(self.array / _to_array(other))

    def clamp_(self, min=None, max=None) -> "Tensor":
        return self._inplace(np.clip(self.array, min, max))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> "Tensor":
        from .random import numpy_generator
        return self._inplace(numpy_generator(generator).uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> "Tensor":
        from .random import numpy_generator
        return self._inplace(numpy_generator(generator).normal(mean, std, self.shape))

    def __setitem__(self, index, value) -> None:
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError("tinygrad_edu does not differentiate through item assignment; "
                               "assign under no_grad() or build the tensor with where()/cat()")
        index = _index_array(index)
        self.array[index] = value.array if isinstance(value, Tensor) else value
        self._version += 1

    # ------------------------------------------------------------------ arithmetic

    def _binary(self, op, other, reverse: bool = False, dtype=None) -> "Tensor":
        """Promote both operands to one dtype (Python numbers become constants), then apply ``op``."""
        if isinstance(other, (np.ndarray, list, tuple)):
            other = Tensor._make(_to_array(other))
        dtype = dtype or dtypes.result_type(self, other)
        a = self.to(dtype)
        b = other.to(dtype) if isinstance(other, Tensor) else Tensor._make(np.asarray(other, dtype=dtype.np))
        if a.array.shape != b.array.shape and b.ndim:
            _broadcast_shape(a.shape, b.shape)  # PyTorch's message for shapes that don't broadcast
        return op.apply(b, a) if reverse else op.apply(a, b)

    def add(self, other, alpha=1) -> "Tensor":
        return self._binary(ew.Add, other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1) -> "Tensor":
        return self._binary(ew.Sub, other if alpha == 1 else other * alpha)

    def mul(self, other) -> "Tensor":
        return self._binary(ew.Mul, other)

    def div(self, other) -> "Tensor":
        return self._binary(ew.Div, other, dtype=_true_div_type(self, other))

    def pow(self, exponent) -> "Tensor":
        return self._binary(ew.Pow, exponent)

    __add__ = add
    __sub__ = sub
    __mul__ = mul
    __truediv__ = div
    __pow__ = pow
    multiply, subtract, divide = mul, sub, div

    def __radd__(self, other) -> "Tensor":
        return self._binary(ew.Add, other, reverse=True)

    def __rsub__(self, other) -> "Tensor":
        return self._binary(ew.Sub, other, reverse=True)

    def __rmul__(self, other) -> "Tensor":
        return self._binary(ew.Mul, other, reverse=True)

    def __rtruediv__(self, other) -> "Tensor":
        return self._binary(ew.Div, other, reverse=True, dtype=_true_div_type(self, other))

    def __rpow__(self, other) -> "Tensor":
        return self._binary(ew.Pow, other, reverse=True)

    def _augmented(self, out_of_place, in_place, other) -> "Tensor":
        """``x += y`` and friends.

        Outside a recorded graph they change x in place, as in PyTorch, so that
        ``with no_grad(): w -= lr * w.grad`` keeps ``w`` the same leaf with its ``.grad``. On a
        tensor inside a graph they compute ``x + y`` and rebind the name instead, so the graph
        records the op and the gradient stays right.
        """
        if self.grad_fn is not None and autograd.is_grad_enabled():
            return out_of_place(other)
        return in_place(other)

    def __iadd__(self, other) -> "Tensor":
        return self._augmented(self.add, self.add_, other)

    def __isub__(self, other) -> "Tensor":
        return self._augmented(self.sub, self.sub_, other)

    def __imul__(self, other) -> "Tensor":
        return self._augmented(self.mul, self.mul_, other)

    def __itruediv__(self, other) -> "Tensor":
        return self._augmented(self.div, self.div_, other)

    def __neg__(self) -> "Tensor":
        return ew.Neg.apply(self)

    neg = __neg__

    def __pos__(self) -> "Tensor":
        return self

    def __matmul__(self, other) -> "Tensor":
        return matmul(self, other)

    def __rmatmul__(self, other) -> "Tensor":
        return matmul(other, self)

    def matmul(self, other) -> "Tensor":
        return matmul(self, other)

    def mm(self, other) -> "Tensor":
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm: expected 2-D tensors, got {self.ndim}-D and {other.ndim}-D")
        return matmul(self, other)

    def _unary(self, op) -> "Tensor":
        """Unary float ops: an integer tensor is first promoted to the default float type."""
        x = self if self.dtype.is_floating_point else self.to(dtypes.default_float)
        return op.apply(x)

    def exp(self) -> "Tensor":
        return self._unary(ew.Exp)

    def log(self) -> "Tensor":
        return self._unary(ew.Log)

    def sqrt(self) -> "Tensor":
        return self._unary(ew.Sqrt)

    def sigmoid(self) -> "Tensor":
        return self._unary(ew.Sigmoid)

    def tanh(self) -> "Tensor":
        return self._unary(ew.Tanh)

    def abs(self) -> "Tensor":
        return ew.Abs.apply(self)

    __abs__ = abs

    def relu(self) -> "Tensor":
        return ew.Relu.apply(self)

    def clamp(self, min=None, max=None) -> "Tensor":
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        return ew.Clamp.apply(self, min, max)

    clip = clamp

    def softmax(self, dim: int) -> "Tensor":
        return softmax.Softmax.apply(self._float(), _dim(dim, self.ndim))

    def log_softmax(self, dim: int) -> "Tensor":
        return softmax.LogSoftmax.apply(self._float(), _dim(dim, self.ndim))

    def _float(self) -> "Tensor":
        return self if self.dtype.is_floating_point else self.to(dtypes.default_float)

    # ------------------------------------------------------------------ comparisons (no gradient)

    def _compare(self, numpy_op, other) -> "Tensor":
        other_array = other.array if isinstance(other, Tensor) else other
        _broadcast_shape(self.shape, np.shape(other_array))
        return Tensor._make(numpy_op(self.array, other_array))

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

    def equal(self, other) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self.array, other.array))

    def logical_not(self) -> "Tensor":
        return Tensor._make(np.logical_not(self.array))

    __invert__ = logical_not

    def __and__(self, other) -> "Tensor":
        return self._compare(np.logical_and, other)

    def __or__(self, other) -> "Tensor":
        return self._compare(np.logical_or, other)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        if dim is None:
            return Tensor._make(np.int64(np.argmax(self.array)))
        return self.max(dim, keepdim).indices

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        if dim is None:
            return Tensor._make(np.int64(np.argmin(self.array)))
        return self.min(dim, keepdim).indices

    def all(self) -> "Tensor":
        return Tensor._make(np.all(self.array))

    def any(self) -> "Tensor":
        return Tensor._make(np.any(self.array))

    # ------------------------------------------------------------------ reductions

    def _dims(self, dim) -> tuple | None:
        if dim is None:
            return None
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        return tuple(sorted(_dim(d, self.ndim) for d in dims))

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
        return return_types_max(*reduce.MaxDim.apply(self, _dim(dim, self.ndim), keepdim, largest))

    def max(self, dim=None, keepdim: bool = False):
        """The largest element; with ``dim``, a (values, indices) pair along that dim."""
        return self._extreme(dim, keepdim, largest=True)

    def min(self, dim=None, keepdim: bool = False):
        return self._extreme(dim, keepdim, largest=False)

    # ------------------------------------------------------------------ shape

    def _resolve_shape(self, shape) -> tuple:
        """Fill in one -1 and check the element count, with PyTorch's message on a mismatch."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
            shape = tuple(shape[0])
        shape = tuple(int(s) for s in shape)
        known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
        if shape.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        if -1 in shape and known != 0 and self.numel() % known == 0:
            shape = tuple(self.numel() // known if s == -1 else s for s in shape)
        if int(np.prod(shape, dtype=np.int64)) != self.numel() or -1 in shape:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {self.numel()}")
        return shape

    def reshape(self, *shape) -> "Tensor":
        return movement.Reshape.apply(self, self._resolve_shape(shape))

    def view(self, *shape) -> "Tensor":
        """Like reshape, but never copies: the result always shares memory with ``self``."""
        if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
            raise NotImplementedError("view(dtype) reinterpretation is not supported; use .to(dtype)")
        shape = self._resolve_shape(shape)
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
        s, e = _dim(start_dim, self.ndim), _dim(end_dim, self.ndim)
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def squeeze(self, dim=None) -> "Tensor":
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        d = _dim(dim, self.ndim)
        if self.ndim == 0 or self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1:])

    def unsqueeze(self, dim: int) -> "Tensor":
        d = _dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims) -> "Tensor":
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        dims = tuple(_dim(d, self.ndim) for d in dims)
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                               f"the length of the desired ordering of dimensions i.e. input.dim() = "
                               f"{self.ndim} is not equal to len(dims) = {len(dims)}")
        return movement.Permute.apply(self, dims)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        dims = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
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

    def __getitem__(self, index) -> "Tensor":
        return movement.Index.apply(self, _index_array(index))

    # ------------------------------------------------------------------ printing

    def __repr__(self) -> str:
        empty = self.numel() == 0
        extras = [f"size={tuple(self.shape)}"] if empty and self.ndim != 1 else []
        # the dtype is left out where the values imply it; an empty tensor has no values to imply int or bool
        if self.dtype not in ((dtypes.float32,) if empty else (dtypes.float32, dtypes.int64, dtypes.bool_)):
            extras.append(f"dtype={self.dtype!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        body = "[]" if empty else _format_values(self.array)
        text, line = "tensor(" + body, len(body) - body.rfind("\n") + 1  # PyTorch's count of the last line
        for extra in extras:  # an extra that would pass 80 columns starts a new line, as in PyTorch
            if line + len(extra) + 2 > 80:
                text, line = text + ",\n" + " " * len("tensor(") + extra, len("tensor(") + len(extra)
            else:
                text, line = text + ", " + extra, line + len(extra) + 2
        return text + ")"

    __str__ = __repr__


def target_dtype(args: tuple, kwargs: dict) -> dtypes.dtype | None:
    """The dtype that ``.to(*args, **kwargs)`` asks for (None for none); any device but the CPU raises."""
    target = kwargs.get("dtype")
    for a in list(args) + [kwargs.get("device")]:
        if isinstance(a, (str, device)):
            device(a)  # raises for anything but the CPU
        elif isinstance(a, Tensor):
            target = a.dtype
        elif a is not None:
            target = a
    return dtypes.to_dtype(target) if target is not None else None


def _true_div_type(a, b) -> dtypes.dtype:
    """``/`` always gives a float, even for two integer tensors."""
    d = dtypes.result_type(a, b)
    return d if d.is_floating_point else dtypes.default_float


def _index_array(index):
    """Turn tensors inside an index into numpy arrays, so numpy's indexing rules apply."""
    if isinstance(index, tuple):
        return tuple(_index_array(i) for i in index)
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, list):
        return np.asarray([i.item() if isinstance(i, Tensor) else i for i in index])
    return index


def _format_values(array: np.ndarray) -> str:
    """Values laid out the way PyTorch prints them (its ``_tensor_str``).

    All values are right-aligned to one width; a row breaks before 80 columns; past 1000
    values only the first and last 3 along each dim are shown, with ``...`` between.
    """
    summarize = array.size > 1000
    shown = array
    if summarize:
        shown = array[np.ix_(*[[i for i in _shown(n, True) if i is not None] for n in array.shape])]
    text, width = _value_format(shown)

    def block(a: np.ndarray, indent: int) -> str:
        if a.ndim == 0:
            return text(a.item()).rjust(width)
        if a.ndim == 1:
            items = [" ..." if i is None else text(a[i].item()).rjust(width)
                     for i in _shown(len(a), summarize)]
            per_line = max(1, (80 - indent) // (width + 2))
            lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
            return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
        rows = ["..." if i is None else block(a[i], indent + 1) for i in _shown(len(a), summarize)]
        return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"

    return block(array, len("tensor("))


def _shown(n: int, summarize: bool) -> list:
    """The indices printed along a dim of size ``n``; None marks the ``...`` gap."""
    if summarize and n > 6:
        return [0, 1, 2, None, n - 3, n - 2, n - 1]
    return list(range(n))


def _value_format(shown: np.ndarray):
    """How one value prints, and the width every value is padded to.

    Floats get 4 decimals, or ``1.`` when all are whole, or ``1.0000e-05`` when the nonzero
    magnitudes span more than 1000x, pass 1e8 or fall below 1e-4. As in PyTorch, only the
    finite nonzero values set the width.
    """
    if shown.dtype.kind != "f":
        return str, max((len(str(v)) for v in shown.ravel().tolist()), default=1)
    values = shown.astype(np.float64).ravel()
    nonzero = values[np.isfinite(values) & (values != 0)]
    big, small = (np.abs(nonzero).max(), np.abs(nonzero).min()) if nonzero.size else (1.0, 1.0)
    if big / small > 1000 or big > 1e8 or small < 1e-4:
        text = "{:.4e}".format
    elif np.all(nonzero == np.ceil(nonzero)):
        text = lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v:.0f}"  # noqa: E731  (nan, inf get no dot)
    else:
        text = "{:.4f}".format
    return text, max((len(text(v)) for v in nonzero.tolist()), default=1)


# ---------------------------------------------------------------------- functions on tensors

def _as_tensor(x, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._make(np.asarray(x, dtype=like.array.dtype if like is not None else None))


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with broadcasting batch dims; mismatched shapes name both, as PyTorch does."""
    a, b = _as_tensor(a), _as_tensor(b)
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
        _broadcast_shape(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ())
    dtype = dtypes.result_type(a, b)
    return linalg.MatMul.apply(a.to(dtype), b.to(dtype))


def where(condition: Tensor, x, y) -> Tensor:
    """Elementwise ``x`` where ``condition`` holds, else ``y``; differentiable in x and y."""
    dtype = dtypes.result_type(*(v for v in (x, y)))
    x = x.to(dtype) if isinstance(x, Tensor) else Tensor._make(np.asarray(x, dtype=dtype.np))
    y = y.to(dtype) if isinstance(y, Tensor) else Tensor._make(np.asarray(y, dtype=dtype.np))
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    return ew.Where.apply(cond.astype(bool), x, y)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other dims must match."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    d = _dim(dim, tensors[0].ndim)
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or any(
                t.shape[i] != tensors[0].shape[i] for i in range(t.ndim) if i != d):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                               f"Expected {list(tensors[0].shape)} but got {list(t.shape)}")
    dtype = dtypes.result_type(*tensors)
    return movement.Cat.apply(*[t.to(dtype) for t in tensors], dim=d)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry 1")
    d = _dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in tensors], d)
