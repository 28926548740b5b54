"""Stage 1: autograd on single numbers. Fill in every ``raise NotImplementedError``."""
from __future__ import annotations

import math  # math.exp and math.tanh, for exp() and tanh()


class Value:
    """A number that remembers how it was made, so gradients can flow back to its inputs."""

    def __init__(self, data: float, _prev: tuple = ()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _prev  # the Values this one was computed from
        self._backward = lambda: None  # sends self.grad on to the inputs' .grad

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other) -> Value:
        """z = x + y.   dz/dx = 1,  dz/dy = 1"""
        other = other if isinstance(other, Value) else Value(other)
        raise NotImplementedError("Value.__add__: compute out and its _backward")

    def __mul__(self, other) -> Value:
        """z = x * y.   dz/dx = y,  dz/dy = x"""
        other = other if isinstance(other, Value) else Value(other)
        raise NotImplementedError("Value.__mul__: compute out and its _backward")

    def __pow__(self, exponent: float) -> Value:
        """z = x ** k (k a number).   dz/dx = k x^(k-1)"""
        raise NotImplementedError("Value.__pow__: compute out and its _backward")

    def exp(self) -> Value:
        """z = e^x.   dz/dx = e^x"""
        raise NotImplementedError("Value.exp: compute out and its _backward (math.exp)")

    def tanh(self) -> Value:
        """z = tanh(x).   dz/dx = 1 - tanh(x)^2"""
        raise NotImplementedError("Value.tanh: compute out and its _backward (math.tanh)")

    def relu(self) -> Value:
        """z = max(x, 0).   dz/dx = 1 if x > 0 else 0"""
        raise NotImplementedError("Value.relu: compute out and its _backward")

    def backward(self) -> None:
        """Set every reachable Value's grad to d(self)/d(value): topological order, then chain rule."""
        raise NotImplementedError("Value.backward: order the graph without recursion, then call _backward")

    # built from the ones above
    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other) -> Value:
        return self + (-other)

    def __truediv__(self, other) -> Value:
        return self * (other if isinstance(other, Value) else Value(other)) ** -1

    def __radd__(self, other) -> Value:
        return self + other

    def __rmul__(self, other) -> Value:
        return self * other

    def __rsub__(self, other) -> Value:
        return Value(other) - self

    def __rtruediv__(self, other) -> Value:
        return Value(other) / self

