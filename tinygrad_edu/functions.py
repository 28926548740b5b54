"""The ``tinygrad_edu.add(x, y)`` style of calling tensor methods, as the tutorial writes
``torch.add(y, z)``. Each function simply calls the method of the same name; ``where``,
``cat``, ``stack`` and ``einsum`` (several tensors in, no method of their own) are at the end.

Functions that take ``out=`` in PyTorch take it here: the result is written into ``out``
(:func:`_write_out`), which is returned.
"""
from __future__ import annotations

import builtins  # any, all, round, max, min, sum and abs are torch's functions in this module
import warnings

import numpy as np

from . import dtypes, grad_mode
from ._convert import broadcast_shape, wrap_dim
from .ops import binary, linalg, movement
from .tensor import Tensor


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _write_out(name: str, result: Tensor, out: Tensor | None, exact: bool = False) -> Tensor:
    """``result``, or, given ``out``, ``result`` copied into ``out`` (resized if its shape differs).

    As in PyTorch, no graph runs through ``out``: it is refused when an input or ``out`` requires
    grad in grad mode. Elementwise ops and sums may write into a wider dtype of the same or a higher
    kind (float32 into float64, int into float, never float into int); the ``exact`` ones (matrix
    products, indexing, rounding...) need ``out`` of the result's dtype.
    """
    if out is None:
        return result
    if grad_mode.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if exact and out.dtype is not result.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {_C_NAMES[result.dtype.name]}, but got "
                           f"{_C_NAMES[out.dtype.name]} instead")
    if out.shape != result.shape:
        if out.numel():
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
                          "release outputs will not be resized unless they have zero elements.", UserWarning)
        out.array = np.empty(result.shape, dtype=out.array.dtype)
    out._write(result)  # casts to out's dtype, refusing a lower kind (float into int), and bumps the version
    return out


def add(input: Tensor, other, alpha=1, *, out=None) -> Tensor:
    return _write_out("add", _as_tensor(input).add(other, alpha=alpha), out)


def sub(input: Tensor, other, alpha=1, *, out=None) -> Tensor:
    return _write_out("sub", _as_tensor(input).sub(other, alpha=alpha), out)


def mul(input: Tensor, other, *, out=None) -> Tensor:
    return _write_out("mul", _as_tensor(input).mul(other), out)


def div(input: Tensor, other, *, out=None) -> Tensor:
    return _write_out("div", _as_tensor(input).div(other), out)


def pow(input: Tensor, exponent, *, out=None) -> Tensor:
    result = exponent.__rpow__(input) if not isinstance(input, Tensor) else input.pow(exponent)
    return _write_out("pow", result, out)


def neg(input: Tensor, *, out=None) -> Tensor:
    return _write_out("neg", input.neg(), out)


def exp(input: Tensor, *, out=None) -> Tensor:
    return _write_out("exp", input.exp(), out)


def log(input: Tensor, *, out=None) -> Tensor:
    return _write_out("log", input.log(), out)


def sqrt(input: Tensor, *, out=None) -> Tensor:
    return _write_out("sqrt", input.sqrt(), out)


def abs(input: Tensor, *, out=None) -> Tensor:
    return _write_out("abs", input.abs(), out)


def relu(input: Tensor) -> Tensor:
    return input.relu()


def sigmoid(input: Tensor, *, out=None) -> Tensor:
    return _write_out("sigmoid", input.sigmoid(), out)


def tanh(input: Tensor, *, out=None) -> Tensor:
    return _write_out("tanh", input.tanh(), out)


def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:
    return _write_out("clamp", input.clamp(min, max), out, exact=True)


clip = clamp


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return input.softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return input.log_softmax(dim, dtype=dtype)


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    return _write_out("sum", input.sum(dim, keepdim, dtype=dtype), out)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    return _write_out("mean", input.mean(dim, keepdim), out)


def max(input: Tensor, dim=None, keepdim: bool = False):
    """The largest element; with ``dim``, (values, indices) along it; ``max(a, b)``: elementwise."""
    return input.max(dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    return input.min(dim, keepdim)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.argmax(dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.argmin(dim, keepdim)


def eq(input: Tensor, other) -> Tensor:
    return input.eq(other)


def equal(input: Tensor, other: Tensor) -> bool:
    return input.equal(other)


def reshape(input: Tensor, shape) -> Tensor:
    return input.reshape(shape)


def view_copy(input: Tensor, size) -> Tensor:
    """``input.view(size)`` as a new tensor that owns its memory; being a copy, it also takes a
    non-contiguous input, as PyTorch's does."""
    return input.reshape(size).clone()


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def squeeze(input: Tensor, dim=None) -> Tensor:
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return input.unsqueeze(dim)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return input.transpose(dim0, dim1)


def t(input: Tensor) -> Tensor:
    return input.t()


def permute(input: Tensor, dims) -> Tensor:
    return input.permute(dims)


def detach(input: Tensor) -> Tensor:
    return input.detach()


def clone(input: Tensor) -> Tensor:
    return input.clone()


def matmul(input: Tensor, other, *, out=None) -> Tensor:
    return _write_out("matmul", _as_tensor(input).matmul(other), out, exact=True)


def sin(input: Tensor, *, out=None) -> Tensor:
    return _write_out("sin", input.sin(), out)


def cos(input: Tensor, *, out=None) -> Tensor:
    return _write_out("cos", input.cos(), out)


def tan(input: Tensor, *, out=None) -> Tensor:
    return _write_out("tan", input.tan(), out)


def asin(input: Tensor, *, out=None) -> Tensor:
    return _write_out("asin", input.asin(), out)


def acos(input: Tensor, *, out=None) -> Tensor:
    return _write_out("acos", input.acos(), out)


def atan(input: Tensor, *, out=None) -> Tensor:
    return _write_out("atan", input.atan(), out)


def sinh(input: Tensor, *, out=None) -> Tensor:
    return _write_out("sinh", input.sinh(), out)


def cosh(input: Tensor, *, out=None) -> Tensor:
    return _write_out("cosh", input.cosh(), out)


def log2(input: Tensor, *, out=None) -> Tensor:
    return _write_out("log2", input.log2(), out)


def log10(input: Tensor, *, out=None) -> Tensor:
    return _write_out("log10", input.log10(), out)


def log1p(input: Tensor, *, out=None) -> Tensor:
    return _write_out("log1p", input.log1p(), out)


def expm1(input: Tensor, *, out=None) -> Tensor:
    return _write_out("expm1", input.expm1(), out)


def reciprocal(input: Tensor, *, out=None) -> Tensor:
    return _write_out("reciprocal", input.reciprocal(), out)


def rsqrt(input: Tensor, *, out=None) -> Tensor:
    return _write_out("rsqrt", input.rsqrt(), out)


def erf(input: Tensor, *, out=None) -> Tensor:
    return _write_out("erf", input.erf(), out)


def floor(input: Tensor, *, out=None) -> Tensor:
    return _write_out("floor", input.floor(), out, exact=True)


def ceil(input: Tensor, *, out=None) -> Tensor:
    return _write_out("ceil", input.ceil(), out, exact=True)


def trunc(input: Tensor, *, out=None) -> Tensor:
    return _write_out("trunc", input.trunc(), out, exact=True)


def sign(input: Tensor, *, out=None) -> Tensor:
    return _write_out("sign", input.sign(), out, exact=True)


def square(input: Tensor, *, out=None) -> Tensor:
    return _write_out("square", input.square(), out)


arcsin, arccos, arctan, fix, sgn = asin, acos, atan, trunc, sign


def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:
    return _write_out("round", input.round(decimals), out, exact=True)


def maximum(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    return _write_out("maximum", input.maximum(other), out)


def minimum(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    return _write_out("minimum", input.minimum(other), out)


def atan2(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    return _write_out("atan2", input.atan2(other), out)


arctan2 = atan2


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    return _write_out("prod", input.prod(dim, keepdim, dtype=dtype), out)


def amax(input: Tensor, dim=(), keepdim: bool = False, *, out=None) -> Tensor:
    return _write_out("amax", input.amax(dim, keepdim), out, exact=True)


def amin(input: Tensor, dim=(), keepdim: bool = False, *, out=None) -> Tensor:
    return _write_out("amin", input.amin(dim, keepdim), out, exact=True)


def logsumexp(input: Tensor, dim, keepdim: bool = False, *, out=None) -> Tensor:
    return _write_out("logsumexp", input.logsumexp(dim, keepdim), out)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None) -> Tensor:
    return _write_out("norm", input.norm(p, dim, keepdim, dtype=dtype), out, exact=True)


def cumsum(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    return _write_out("cumsum", input.cumsum(dim, dtype=dtype), out)


def all(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    return _write_out("all", input.all(dim, keepdim), out, exact=True)


def any(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    return _write_out("any", input.any(dim, keepdim), out, exact=True)


def isnan(input: Tensor) -> Tensor:
    return input.isnan()


def isinf(input: Tensor) -> Tensor:
    return input.isinf()


def isfinite(input: Tensor) -> Tensor:
    return input.isfinite()


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    return input.isclose(other, rtol, atol, equal_nan)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return input.allclose(other, rtol, atol, equal_nan)


def gather(input: Tensor, dim: int, index: Tensor, *, out=None) -> Tensor:
    return _write_out("gather", input.gather(dim, index), out, exact=True)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None, out=None) -> Tensor:
    return _write_out("scatter", input.scatter(dim, index, src, value=value, reduce=reduce), out, exact=True)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor, *, out=None) -> Tensor:
    return _write_out("scatter_add", input.scatter_add(dim, index, src), out, exact=True)


def index_select(input: Tensor, dim: int, index: Tensor, *, out=None) -> Tensor:
    return _write_out("index_select", input.index_select(dim, index), out, exact=True)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    return input.masked_fill(mask, value)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    return input.index_fill(dim, index, value)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    return input.sort(dim, descending, stable=stable)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    return input.argsort(dim, descending, stable=stable)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    return input.topk(k, dim, largest, sorted)


def flip(input: Tensor, dims) -> Tensor:
    return input.flip(dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    return input.roll(shifts, dims)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    return tensor.split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    return input.chunk(chunks, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    return input.unbind(dim)


def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    return _write_out("mm", input.mm(mat2), out, exact=True)


def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    return _write_out("bmm", input.bmm(mat2), out, exact=True)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    return _write_out("addmm", input.addmm(mat1, mat2, beta=beta, alpha=alpha), out, exact=True)


def outer(input: Tensor, vec2: Tensor, *, out=None) -> Tensor:
    return _write_out("outer", input.outer(vec2), out)


ger = outer


def dot(input: Tensor, tensor: Tensor, *, out=None) -> Tensor:
    return _write_out("dot", input.dot(tensor), out, exact=True)


def where(condition: Tensor, x, y, *, out=None) -> Tensor:
    """Elementwise ``x`` where ``condition`` holds, else ``y``; differentiable in x and y."""
    dtype = dtypes.result_type(*(v for v in (x, y)))
    x = x.to(dtype) if isinstance(x, Tensor) else Tensor._make(np.asarray(x, dtype=dtype.np))
    y = y.to(dtype) if isinstance(y, Tensor) else Tensor._make(np.asarray(y, dtype=dtype.np))
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    broadcast_shape(broadcast_shape(cond.shape, x.shape), y.shape)  # PyTorch's message, not numpy's
    return _write_out("where", binary.Where.apply(cond.astype(bool), x, y), out, exact=True)


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors along an existing dim; all other dims must match."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    d = wrap_dim(dim, tensors[0].ndim)
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or builtins.any(
                t.shape[i] != tensors[0].shape[i] for i in range(t.ndim) if i != d):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                               f"Expected {list(tensors[0].shape)} but got {list(t.shape)}")
    dtype = dtypes.result_type(*tensors)
    return _write_out("cat", movement.Cat.apply(*[t.to(dtype) for t in tensors], dim=d), out)


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry 1")
    d = wrap_dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in tensors], d, out=out)


def einsum(equation: str, *operands) -> Tensor:
    """Sum of products over the letters of ``equation``: "ij,jk->ik" is a matrix product, "ii->i" a
    diagonal, "bi,bi->b" a batched dot; without "->" the output is the letters seen once, sorted.
    Operands may also come as one list, ``einsum("ij,jk", [a, b])``. "..." is not supported."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = equation.replace(" ", "")
    if "." in equation:
        raise NotImplementedError("einsum(): '...' (ellipsis) is not supported by tinygrad_edu; "
                                  "write every dim's letter")
    ins, arrow, out = equation.partition("->")
    subs = ins.split(",")
    if not arrow:
        out = "".join(sorted(c for c in set(ins) if c.isalpha() and ins.count(c) == 1))
    if len(subs) != len(operands):
        raise RuntimeError(f"einsum(): {'more' if len(operands) > len(subs) else 'fewer'} operands were "
                           "provided than specified in the equation")
    sizes = {}
    for k, (sub, x) in enumerate(zip(subs, operands)):
        if len(sub) != x.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(sub)}) does not "
                               f"match the number of dimensions ({x.ndim}) for operand {k} and no ellipsis "
                               "was given")
        seen = {}
        for c, n in zip(sub, x.shape):
            if c in seen and seen[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes "
                                   f"don't match, {n} != {seen[c]}")
            seen[c] = n
            if n != 1 and sizes.get(c, 1) != 1 and sizes[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                                   f"broadcast with previously seen size {sizes[c]}")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    for c in out:
        if c not in sizes:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any "
                               "input operand")
    dtype = operands[0].dtype
    for x in operands[1:]:
        if x.dtype is not dtype:
            raise RuntimeError(f"expected scalar type {dtype.scalar_name} but found {x.dtype.scalar_name}")
    return linalg.Einsum.apply(*operands, equation=",".join(subs) + "->" + out)
