"""Tensor methods that make a new tensor like this one: ``x.new_zeros(2, 3)`` and the other ``new_*``.

``Tensor`` inherits them. Each is the creation function of ``creation.py`` with this tensor's dtype
unless ``dtype`` is given; the result is a new leaf, outside any graph.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tensor import Tensor


class NewMethods:
    """``new_tensor``, ``new_zeros``, ``new_ones``, ``new_empty``, ``new_full`` (``Tensor`` inherits them)."""

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
