"""In-place ops: ``zero_``, ``add_``, ``x += y``, ``x[i] = v``... They change a tensor's values and record no graph.

``Tensor`` inherits these methods. PyTorch records in-place ops in the graph too; this engine
keeps them for what the tutorial does with them (initialising weights, the optimizer's update
under ``no_grad``) and refuses them on a leaf that requires grad while grad mode is on.
"""
from __future__ import annotations

import numpy as np

from . import dtypes, grad_mode
from ._convert import index_array, to_array


class InPlace:
    """Methods that write into ``self.array`` (``Tensor`` inherits them)."""

    def _inplace(self, values) -> "Tensor":
        if self.requires_grad and self.is_leaf and grad_mode.is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        self.array[...] = values.array if dtypes.has_engine_dtype(values) else values
        self._version += 1
        return self

    def zero_(self) -> "Tensor":
        return self._inplace(0)

    def fill_(self, value) -> "Tensor":
        return self._inplace(value)

    def copy_(self, src) -> "Tensor":
        return self._inplace(np.broadcast_to(to_array(src), self.shape))

    def add_(self, other, alpha=1) -> "Tensor":
        return self._inplace(self.array + alpha * to_array(other))

    def sub_(self, other, alpha=1) -> "Tensor":
        return self._inplace(self.array - alpha * to_array(other))

    def mul_(self, other) -> "Tensor":
        return self._inplace(self.array * to_array(other))

    def div_(self, other) -> "Tensor":
        return self._inplace(self.array / to_array(other))

    def clamp_(self, min=None, max=None) -> "Tensor":
        return self._inplace(np.clip(self.array, min, max))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> "Tensor":
        from .random import numpy_generator
        return self._inplace(numpy_generator(generator).uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> "Tensor":
        from .random import numpy_generator
        return self._inplace(numpy_generator(generator).normal(mean, std, self.shape))

    def __setitem__(self, index, value) -> None:
        if self.requires_grad and grad_mode.is_grad_enabled():
            raise RuntimeError("tinygrad_edu does not differentiate through item assignment; "
                               "assign under no_grad() or build the tensor with where()/cat()")
        index = index_array(index)
        self.array[index] = value.array if dtypes.has_engine_dtype(value) else value
        self._version += 1

    def _augmented(self, out_of_place, in_place, other) -> "Tensor":
        """``x += y`` and friends.

        Outside a recorded graph they change x in place, as in PyTorch, so that
        ``with no_grad(): w -= lr * w.grad`` keeps ``w`` the same leaf with its ``.grad``. On a
        tensor inside a graph they compute ``x + y`` and rebind the name instead, so the graph
        records the op and the gradient stays right.
        """
        if self.grad_fn is not None and grad_mode.is_grad_enabled():
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
