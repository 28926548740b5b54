"""Grad mode: whether ops record a graph for backward (``no_grad``, ``enable_grad``, ``set_grad_enabled``).

PyTorch keeps these in ``torch/autograd/grad_mode.py``; ``Function.apply`` asks
:func:`is_grad_enabled` before it records an op. The mode is per thread, as in PyTorch.
"""
from __future__ import annotations

import contextlib
import threading

class _State(threading.local):
    enabled = True  # each thread starts with grad mode on


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off: a call, a ``with`` block or a decorator.

    ``set_grad_enabled(False)`` switches it off at once (as PyTorch does); used in ``with``
    the previous mode comes back when the block ends.
    """

    def __init__(self, mode: bool):
        self.prev = is_grad_enabled()
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self):
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, func):
        _state.enabled = self.prev  # decorating only wraps func: the mode changes while it runs
        return super().__call__(func)

    def _recreate_cm(self):
        return type(self)(self.mode)  # each call of a decorated function restores the mode it found


class no_grad(contextlib.ContextDecorator):
    """Inside ``with no_grad():`` (or a function decorated with it) no graph is recorded."""

    def _recreate_cm(self):
        return type(self)()  # a fresh context per call, so recursive calls each restore their own mode

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.enabled = False

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False


class enable_grad(no_grad):
    """Record the graph again inside a ``no_grad`` region."""

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.enabled = True
