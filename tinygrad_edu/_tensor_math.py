"""Tensor methods beyond the core: more elementwise math, matrix products and reductions.

``Tensor`` inherits them (tensor.py keeps the ones the tutorial's models run: arithmetic,
exp/log/relu/sigmoid/tanh, softmax, sum/mean/max). Each calls an op's ``apply`` in ``ops/``,
where its forward and backward stand side by side with the derivative in the docstring.
"""
from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING

import numpy as np

from . import dtypes
from ._convert import true_div_type, wrap_dim
from .ops import binary_math, reduce, scan, unary

if TYPE_CHECKING:
    from .tensor import Tensor

return_types_max = namedtuple("max", ["values", "indices"])
return_types_min = namedtuple("min", ["values", "indices"])


class MathMethods:
    """Trigonometry, rounding, two-tensor math, products and reductions (``Tensor`` inherits them)."""

    # ------------------------------------------------------------------ products and two-tensor math

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
            return product * alpha + base.masked_fill(self._make(np.array(True)), 0)
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
        if not dtypes.has_engine_dtype(other):
            raise TypeError(f"{op}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        return other

    def maximum(self, other) -> "Tensor":
        return self._binary(binary_math.Maximum, self._tensor_operand("maximum", other))

    def minimum(self, other) -> "Tensor":
        return self._binary(binary_math.Minimum, self._tensor_operand("minimum", other))

    def atan2(self, other) -> "Tensor":
        """The angle of the point (other, self): atan2(y=self, x=other)."""
        other = self._tensor_operand("atan2", other)
        return self._binary(binary_math.Atan2, other, dtype=true_div_type(self, other))

    arctan2 = atan2

    def square(self) -> "Tensor":
        x = self.to(dtypes.int64) if self.dtype is dtypes.bool_ else self
        return x * x

    # ------------------------------------------------------------------ more elementwise math

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
            return self._make(self.array.copy())
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
            return self._make(self.array.copy())
        return unary.Sign.apply(self)

    sgn = sign

    # ------------------------------------------------------------------ more reductions

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
        if dtypes.has_engine_dtype(dim):
            return self.maximum(dim)
        return self._extreme(dim, keepdim, largest=True)

    def min(self, dim=None, keepdim: bool = False):
        if dtypes.has_engine_dtype(dim):
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
        m = self._make(np.where(np.isinf(m), 0, m).astype(x.array.dtype))  # all -inf, an inf, or empty: no shift
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
