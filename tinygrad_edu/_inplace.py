"""In-place ops (``add_``, ``mul_``, ``x += y``, ``x[i] = v``...), and how autograd records them.

``Tensor`` inherits these methods. All of them go through one mechanism,
:meth:`InPlace._apply_inplace`, which follows PyTorch's rules (docs/inplace.md explains them):

* every tensor has a version counter, shared with its views (slices, ``view``/``reshape``
  without a copy, ``permute``, ``detach()``: numpy views share memory); each in-place op bumps it,
  and backward refuses a value an op saved if its counter moved since (``autograd.py``);
* with grad mode on, an in-place op is refused on a leaf that requires grad and on a view of one;
* otherwise, when the op needs a gradient, it is recorded: the tensor takes over a new graph node
  whose input is its old one; through a view, the view's base takes over the node instead.

Assigning ``x.grad`` is checked here too (shape and dtype must match, as in PyTorch).
"""
from __future__ import annotations

import numpy as np

from . import dtypes, grad_mode
from ._convert import index_array


def _requires_grad(args, kwargs) -> bool:
    """Whether a tensor among the op's arguments (or in a list of them) requires grad."""
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, (list, tuple)):
            if _requires_grad(a, {}):
                return True
        elif getattr(a, "requires_grad", False):
            return True
    return False


def _replaced(old, new):
    """``new`` broadcast to ``old``'s shape; old's values are gone, so their gradient is 0."""
    from .functions import where
    return where(np.zeros((), dtype=bool), old, new)


def _index_put(old, index, value):
    from .ops.movement import IndexPut
    if not dtypes.has_engine_dtype(value):
        value = old._make(np.asarray(value, dtype=old.array.dtype))
    return IndexPut.apply(old, value.to(old.dtype), index)


def modified_message(fn, now: int, version: int, tensor, array) -> str:
    """PyTorch's text when ``fn`` finds a saved tensor changed: which one, the op that made it
    (``tensor`` None: fn's own output), its version then and now."""
    producer = fn if tensor is None else tensor.grad_fn
    made_by = "" if producer is None else f", which is output 0 of {type(producer).__name__},"
    return (f"one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [tinygrad_edu.{dtypes.from_numpy_dtype(array.dtype).scalar_name}Tensor "
            f"{list(array.shape)}]{made_by} is at version {now}; expected version {version} instead. "
            f"Hint: {fn.name} saved it for backward; clone() it before changing it in place, "
            f"or change it after backward().")


class InPlace:
    """Methods that change a tensor's values in place (``Tensor`` inherits them)."""

    _view_of = None  # for a view: (its base tensor, the function that takes the base's array to its own)

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (shared with its views)."""
        return self._counter[0]

    @property
    def _base(self):
        """The tensor this one is a view of (None if it owns its memory), as PyTorch's ``._base``."""
        return None if self._view_of is None else self._view_of[0]

    def _become_view(self, source, view_fn) -> None:
        """Mark ``self`` as a view of ``source`` made by ``view_fn``: one version counter, one base."""
        self._counter = source._counter
        if source._view_of is None:
            self._view_of = (source, view_fn)
        else:
            base, outer = source._view_of
            self._view_of = (base, lambda a: view_fn(outer(a)))

    @property
    def grad(self) -> "Tensor | None":
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        """Only None or a tensor of this tensor's shape and dtype, as PyTorch checks."""
        if value is not None:
            if not dtypes.has_engine_dtype(value):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__module__}.{type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                                   f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                                   "tensor are the same size")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype '{value.dtype.name}' to a tensor "
                                   f"with dtype '{self.dtype.name}'. The gradient must match the tensor's dtype")
        self._grad = value

    def _apply_inplace(self, fn, *args, **kwargs):
        """Change ``self`` in place to ``fn(self, *args, **kwargs)`` and return ``self``.

        ``fn`` is the out-of-place op built from differentiable ops (``Tensor.mul``,
        ``Tensor.masked_fill``...): ``def mul_(self, other): return self._apply_inplace(Tensor.mul, other)``.
        Its result must have ``self``'s shape and a dtype that casts to ``self``'s (PyTorch's errors
        otherwise). When a gradient is needed, ``fn`` runs on a copy of the old values (so what it
        saves for backward stays valid) and ``self`` takes over the node it made; for a view, the
        base takes over ``IndexPut(old base, new values, the view's places)`` (PyTorch's
        CopySlices) and the view becomes that base's slice again.
        """
        grad_on = grad_mode.is_grad_enabled()
        if grad_on:
            self._check_inplace_allowed()
        if not self.array.flags.writeable:
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers "
                               "to a single memory location. Please clone() the tensor before performing "
                               "the operation.")
        if not grad_on or not (self._requires_grad or _requires_grad(args, kwargs)):
            with grad_mode.no_grad():
                self._write(fn(self, *args, **kwargs))
            return self
        if self._view_of is None:
            out = self._write(fn(self._snapshot(), *args, **kwargs))
            self._take_node(out.grad_fn)
            return self
        from .ops.movement import IndexPut
        base, view_fn = self._view_of
        places = view_fn(np.arange(base.numel()).reshape(base.array.shape))  # flat index in base, per element
        old_base = base._snapshot().reshape(-1)
        out = self._write(fn(old_base[places], *args, **kwargs))
        base._take_node(IndexPut.apply(old_base, out, places).reshape(base.array.shape).grad_fn)
        self._take_node(base.reshape(-1)[places].grad_fn)
        return self

    def _take_node(self, grad_fn) -> None:
        """Become the output of ``grad_fn`` (the node an in-place op made on a stand-in tensor)."""
        self.grad_fn, self._requires_grad = grad_fn, True
        grad_fn._made(self)

    def _check_inplace_allowed(self) -> None:
        """PyTorch's refusals with grad mode on: a leaf that requires grad, or a view of one."""
        if self._view_of is not None:
            base = self._view_of[0]
            if base._requires_grad and base.grad_fn is None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                                   "operation.")
        elif self._requires_grad and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")

    def _snapshot(self):
        """A copy of the values at the current graph node: the input of the op about to change them."""
        old = self._make(self.array.copy(), self.grad_fn)
        old._requires_grad = self._requires_grad
        return old

    def _write(self, out):
        """Write ``out`` (cast to self's dtype) into self's memory and bump the version; return the cast ``out``."""
        if out.shape != self.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(out.shape)}")
        if not dtypes.can_cast(out.dtype, self.dtype):
            raise RuntimeError(f"result type {out.dtype.scalar_name} can't be cast to the desired output type "
                               f"{self.dtype.scalar_name}")
        out = out.to(self.dtype)
        self.array[...] = out.array
        self._counter[0] += 1
        return out

    # ------------------------------------------------------------------ the in-place ops

    def _fill(self, values):
        """Every element set to ``values`` (a number, cast to self's dtype, or a tensor that broadcasts)."""
        if not dtypes.has_engine_dtype(values):
            values = self._make(np.asarray(values).astype(self.array.dtype))
        return self._apply_inplace(_replaced, values)

    def zero_(self):
        return self._fill(0)

    def fill_(self, value):
        if dtypes.has_engine_dtype(value) and value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                               "dimensions.")
        return self._fill(value.to(self.dtype) if dtypes.has_engine_dtype(value) else value)

    def copy_(self, src):
        """self's values become ``src``'s (broadcast to self's shape, cast to self's dtype)."""
        src = src if dtypes.has_engine_dtype(src) else self._make(np.asarray(src))
        return self._fill(src.to(self.dtype))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None):
        from .random import numpy_generator
        return self._fill(numpy_generator(generator).uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None):
        from .random import numpy_generator
        return self._fill(numpy_generator(generator).normal(mean, std, self.shape))

    def add_(self, other, alpha=1):
        return self._apply_inplace(type(self).add, other, alpha=alpha)

    def sub_(self, other, alpha=1):
        return self._apply_inplace(type(self).sub, other, alpha=alpha)

    def mul_(self, other):
        return self._apply_inplace(type(self).mul, other)

    def div_(self, other):
        return self._apply_inplace(type(self).div, other)

    def pow_(self, exponent):
        return self._apply_inplace(type(self).pow, exponent)

    def clamp_(self, min=None, max=None):
        return self._apply_inplace(type(self).clamp, min, max)

    clip_ = clamp_

    def neg_(self):
        return self._apply_inplace(type(self).neg)

    def exp_(self):
        return self._apply_inplace(type(self).exp)

    def log_(self):
        return self._apply_inplace(type(self).log)

    def sqrt_(self):
        return self._apply_inplace(type(self).sqrt)

    def abs_(self):
        return self._apply_inplace(type(self).abs)

    def relu_(self):
        return self._apply_inplace(type(self).relu)

    def sigmoid_(self):
        return self._apply_inplace(type(self).sigmoid)

    def tanh_(self):
        return self._apply_inplace(type(self).tanh)

    def sin_(self):
        return self._apply_inplace(type(self).sin)

    def cos_(self):
        return self._apply_inplace(type(self).cos)

    def tan_(self):
        return self._apply_inplace(type(self).tan)

    def asin_(self):
        return self._apply_inplace(type(self).asin)

    def acos_(self):
        return self._apply_inplace(type(self).acos)

    def atan_(self):
        return self._apply_inplace(type(self).atan)

    def sinh_(self):
        return self._apply_inplace(type(self).sinh)

    def cosh_(self):
        return self._apply_inplace(type(self).cosh)

    def log2_(self):
        return self._apply_inplace(type(self).log2)

    def log10_(self):
        return self._apply_inplace(type(self).log10)

    def log1p_(self):
        return self._apply_inplace(type(self).log1p)

    def expm1_(self):
        return self._apply_inplace(type(self).expm1)

    def reciprocal_(self):
        return self._apply_inplace(type(self).reciprocal)

    def rsqrt_(self):
        return self._apply_inplace(type(self).rsqrt)

    def erf_(self):
        return self._apply_inplace(type(self).erf)

    def square_(self):
        return self._apply_inplace(type(self).square)

    def sign_(self):
        return self._apply_inplace(type(self).sign)

    def floor_(self):
        return self._apply_inplace(type(self).floor)

    def ceil_(self):
        return self._apply_inplace(type(self).ceil)

    def trunc_(self):
        return self._apply_inplace(type(self).trunc)

    arcsin_, arccos_, arctan_, fix_, sgn_ = asin_, acos_, atan_, trunc_, sign_

    def round_(self, decimals: int = 0):
        return self._apply_inplace(type(self).round, decimals)

    def atan2_(self, other):
        return self._apply_inplace(type(self).atan2, other)

    def cumsum_(self, dim: int):
        return self._apply_inplace(type(self).cumsum, dim)

    def masked_fill_(self, mask, value):
        """``masked_fill`` in place; unlike it, the mask must broadcast to self's shape."""
        return self._apply_inplace(type(self).masked_fill, mask, value)

    def index_fill_(self, dim: int, index, value):
        return self._apply_inplace(type(self).index_fill, dim, index, value)

    def scatter_(self, dim: int, index, src=None, *, value=None, reduce=None):
        return self._apply_inplace(type(self).scatter, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim: int, index, src):
        return self._apply_inplace(type(self).scatter_add, dim, index, src)

    def __setitem__(self, index, value) -> None:
        """``x[index] = value``: through a view for slices (``x[index].copy_(value)``), else an IndexPut."""
        from .ops.movement import _is_basic
        index = index_array(index)
        if _is_basic(index):
            self[index].copy_(value)
        else:
            self._apply_inplace(_index_put, index, value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)
