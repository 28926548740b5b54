"""Reverse-mode automatic differentiation.

Every differentiable op is a subclass of :class:`Function` with two methods side by side:

* ``forward(ctx, *arrays)`` computes the result on numpy arrays and may stash what the
  backward pass needs with ``ctx.save_for_backward``;
* ``backward(ctx, grad)`` receives dL/d(output) as a numpy array and returns
  dL/d(input) for each tensor input (``None`` where no gradient is needed).

``Function.apply`` runs ``forward`` and, when grad mode is on and some input requires a
gradient, records the Function as the output's ``grad_fn``. The recorded Functions form
a graph; :func:`backward` walks it once in reverse topological order.

The graph's edges go from a Function to the *node* each input was at that moment (the
input's ``grad_fn``, or the input itself for a leaf), not to the input tensor: an in-place
op later gives the tensor a new ``grad_fn`` (``_inplace.py``), and ops recorded before it
must still send their gradient to the old one. Every tensor carries a version counter that
in-place ops bump; ``apply`` notes the version of each input or output an op saved, and
``saved_tensors`` refuses to hand back one that changed since (docs/inplace.md).
"""
from __future__ import annotations

import sys
import threading
import weakref

import numpy as np

from ._size import Size
from .grad_mode import _state as _grad_mode
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401  (re-exported)
from .gradcheck import gradcheck  # noqa: F401  (re-exported: torch.autograd.gradcheck)
from .variable import Variable  # noqa: F401  (re-exported: torch.autograd.Variable)

# ---------------------------------------------------------------------------- Function

_Tensor = None  # tensor.Tensor, once known: tensor.py imports this module, so this one imports it late


def _tensor_class() -> type:
    """The Tensor class, imported on the first op (the one import back from here to tensor.py)."""
    global _Tensor
    from .tensor import Tensor
    _Tensor = Tensor
    return Tensor


class Function:
    """One recorded op: where its inputs came from, what it saved, and how to send gradients back.

    It holds no input tensor, only the graph node each came from (``parents``): an intermediate
    result that no op saved is freed as soon as nothing else uses it, as in PyTorch, so a
    backward pass needs no more memory than the gradients and the saved values.
    """

    broadcasts = False  # True for ops whose inputs numpy-broadcast against each other
    is_view = False  # True for ops whose result may share the input's memory (reshape, slicing...)

    _checks = ()  # (version counter, version, tensor or None for the output, array) per saved array
    _saved = ()  # what forward saved (set per op by save_for_backward)
    _freed = False  # True once backward has released _saved
    _out = ((), None, None)  # once recorded: (shape, dtype, weak reference) of the tensor it made

    def __init__(self, inputs):
        # list comprehensions, not tuple(generator): this runs once per op, and generators cost more
        self.needs_input_grad = tuple([t._requires_grad for t in inputs])
        # where each input's gradient goes: the op that made it, or the leaf itself
        self.parents = tuple([t if t.grad_fn is None else t.grad_fn for t in inputs])

    def _made(self, tensor) -> None:
        """Note the tensor this op made: its shape and dtype for backward, a weak reference for drawings."""
        self._out = (tensor.array.shape, tensor.array.dtype, weakref.ref(tensor))

    @property
    def output(self):
        """The tensor this op made, while something else still holds it; None once it is freed."""
        ref = self._out[2]
        return None if ref is None else ref()

    def save_for_backward(self, *arrays) -> None:
        self._saved = arrays

    def _note_versions(self, tensors, output) -> None:
        """Remember the version of each saved array that is an input's or the output's own array."""
        checks = []
        for a in self._saved:
            if a is output.array:
                checks.append((output._counter, output._counter[0], None, a))
                continue
            for t in tensors:
                if a is t.array:
                    checks.append((t._counter, t._counter[0], t, a))
                    break
        self._checks = tuple(checks)

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward(). Specify retain_graph=True if you need "
                "to backward through the graph a second time.")
        for counter, version, tensor, array in self._checks:
            if counter[0] != version:
                from ._inplace import modified_message
                raise RuntimeError(modified_message(self, counter[0], version, tensor, array))
        return self._saved

    def free(self) -> None:
        if self._saved:
            self._saved, self._checks, self._freed = (), (), True

    @property
    def name(self) -> str:
        return f"{type(self).__name__}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name} object>"

    @property
    def next_functions(self) -> tuple:
        """The grad_fn of each input (None for leaves), as PyTorch names it."""
        return tuple((p if isinstance(p, Function) else None, 0) for p in self.parents)

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arrays behind ``args``; record the op if a gradient is needed."""
        Tensor = _Tensor or _tensor_class()
        tensors = [a for a in args if isinstance(a, Tensor)]
        ctx = cls(tensors)
        raw = [a.array if isinstance(a, Tensor) else a for a in args]
        out = cls.forward(ctx, *raw, **kwargs)
        grad_fn = ctx if _grad_mode.enabled and True in ctx.needs_input_grad else None
        if isinstance(out, tuple):  # ops with extra non-differentiable outputs (max's indices)
            result = (Tensor._make(out[0], grad_fn),) + tuple(Tensor._make(o) for o in out[1:])
            first = result[0]
        else:
            result = first = Tensor._make(out, grad_fn)
        if cls.is_view and np.may_share_memory(first.array, raw[0]):
            rest = raw[1:]
            first._become_view(tensors[0], lambda a: cls.forward(cls(()), a, *rest, **kwargs))
        if grad_fn is not None:
            ctx._made(first)
            if ctx._saved:
                ctx._note_versions(tensors, first)
        if observer.tracer is not None:
            observer.tracer(ctx, args, kwargs, result)
        return result


# ---------------------------------------------------------------------------- the backward pass

def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo broadcasting: sum ``grad`` over the axes that broadcasting stretched.

    d/dx of y = broadcast(x) routes every copy of x[i] back to x[i], so the gradient
    of x is the sum over the broadcast axes. This is the one place the engine does it.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1)
    grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(root) -> list:
    """Graph nodes reachable from ``root`` (Functions, and leaf tensors at the ends), each after all its consumers.

    Iterative depth-first search, so a chain of 100,000 ops does not hit Python's
    recursion limit.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if isinstance(node, Function):
            for parent, needed in zip(node.parents, node.needs_input_grad):
                if needed and id(parent) not in visited:
                    stack.append((parent, False))
    return order[::-1]


def _tensor_of(node):
    """The tensor a graph node stands for: a leaf itself, or an op's output while something holds it
    (None once it is freed)."""
    return node.output if isinstance(node, Function) else node


def _fit_gradient(grad: np.ndarray, parent, fn: Function) -> np.ndarray:
    """Bring an op's gradient to the shape and dtype its input had (the output of ``parent``), or
    fail naming the op."""
    if isinstance(parent, Function):
        shape, dtype, _ = parent._out
    else:  # a leaf tensor
        shape, dtype = parent.array.shape, parent.array.dtype
    if grad.shape == shape and grad.dtype == dtype:  # the common case: nothing to fit
        return grad
    if fn.broadcasts:
        grad = sum_to_shape(grad, shape)
    if grad.shape != shape:
        raise AssertionError(f"{fn.name} returned a gradient of shape {grad.shape} for an input of shape {shape}")
    return grad.astype(dtype, copy=False)


def backward(tensor, gradient=None, retain_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

    Chain rule: each node's gradient is the sum over its consumers c of
    grad(c) * dc/dnode; visiting nodes in reverse topological order guarantees that sum is
    complete before the node passes it on.
    """
    Tensor = _Tensor or _tensor_class()
    if not tensor.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if tensor.numel() != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        seed = np.ones(tensor.shape, dtype=tensor.array.dtype)
    else:
        seed = np.asarray(gradient.array if isinstance(gradient, Tensor) else gradient,
                          dtype=tensor.array.dtype)
        if seed.shape != tensor.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {Size(seed.shape)} "
                               f"and output[0] has a shape of {tensor.shape}.")

    root = tensor if tensor.grad_fn is None else tensor.grad_fn
    grads = {id(root): seed}
    for node in _topological_order(root):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        if not isinstance(node, Function):  # a leaf
            # The gradient becomes .grad without a copy when nothing else holds it, as PyTorch's
            # AccumulateGrad steals it; a view, the seed, or an array also sent to another input
            # (add's backward) is copied. References now: `grad` and getrefcount's argument.
            sole = _COUNTS_REFS and grad.base is None and grad.flags.writeable and sys.getrefcount(grad) == 2
            node._accumulate(grad if sole else grad.copy())
            continue
        _send_back(node, grad, grads)
        if not retain_graph:
            node.free()


# getrefcount counts every reference on CPython up to 3.13; later versions may skip borrowed ones
# (and so report a shared array as unshared), so there every leaf gradient is copied.
_COUNTS_REFS = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def _send_back(fn: Function, grad: np.ndarray, grads: dict) -> None:
    """Add ``fn``'s gradients for its inputs into ``grads`` (keyed by the id of the node each goes to)."""
    input_grads = type(fn).backward(fn, grad)
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    for parent, needed, g in zip(fn.parents, fn.needs_input_grad, input_grads):
        if g is None or not needed:
            continue
        g = _fit_gradient(np.asarray(g), parent, fn)
        if id(parent) in grads:
            grads[id(parent)] = grads[id(parent)] + g
        else:
            grads[id(parent)] = g


# ---------------------------------------------------------------------------- the hook for tracing

class _Observer(threading.local):
    """The one hook point into ``Function.apply``, per thread.

    While ``tracer`` is set, ``apply`` calls ``tracer(ctx, args, kwargs, output)`` after every
    op, grad mode on or off. Only :class:`tinygrad_edu.onnx.trace.Tracer` sets it, as a
    context manager that always clears it on the way out; the engine never does.
    """

    tracer = None


observer = _Observer()
