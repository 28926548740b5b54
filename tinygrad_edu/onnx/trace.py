"""Record one forward pass, op by op: the graph behind ONNX export and the graph picture.

Inside ``with Tracer():`` (what :func:`trace` uses), ``Function.apply`` reports every op it
runs together with the arguments its ``forward`` got: the Tensors, and the attributes too (a
reshape's target shape, a conv's stride). The backward graph (``grad_fn``) keeps only the
Tensors and what backward needs, which is not enough to write the forward pass down.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import autograd
from ..tensor import Tensor


@dataclass
class Op:
    """One op as it ran: ``fn`` is its Function (the ctx, holding the attributes forward set),
    ``args``/``kwargs`` what ``apply`` was called with, ``outputs`` the Tensors it made."""

    fn: autograd.Function
    args: tuple
    kwargs: dict
    outputs: tuple

    @property
    def name(self) -> str:
        return type(self.fn).__name__

    @property
    def inputs(self) -> list:
        """The Tensor arguments, in order."""
        return [a for a in self.args if isinstance(a, Tensor)]


def flat_outputs(out) -> list:
    """A model's result as a list of Tensors: one Tensor, or a (nested) tuple or list of them."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat_outputs(o)]
    raise TypeError(f"the model returned a {type(out).__name__}; export needs Tensors "
                    "(or tuples or lists of Tensors)")


class Tracer:
    """``with Tracer() as t:`` records every op run inside the block into ``t.ops``.

    Inside the block no backward graph is built (grad mode is off), and ``Function.apply``
    reports each op through its one hook point, ``autograd.observer.tracer``. Leaving the
    block, normally or by an exception, clears the hook and restores grad mode. Traces do
    not nest.
    """

    def __init__(self):
        self.ops: list[Op] = []
        self._no_grad = autograd.no_grad()

    def _record(self, ctx, call_args, call_kwargs, result) -> None:
        self.ops.append(Op(ctx, call_args, call_kwargs, result if isinstance(result, tuple) else (result,)))

    def __enter__(self) -> "Tracer":
        if autograd.observer.tracer is not None:
            raise RuntimeError("a trace is already being recorded; tracing does not nest")
        self._no_grad.__enter__()
        autograd.observer.tracer = self._record
        return self

    def __exit__(self, *exc) -> bool:
        autograd.observer.tracer = None
        self._no_grad.__exit__(*exc)
        return False


def trace(fn, args: tuple) -> tuple[list, list]:
    """Run ``fn(*args)`` without building a backward graph; return (ops in the order they ran,
    output Tensors)."""
    with Tracer() as tracer:
        out = fn(*args)
    return tracer.ops, flat_outputs(out)


def from_grad_fn(output: Tensor) -> list:
    """The ops behind ``output`` found by following ``grad_fn`` back, in the order they ran.

    Only ops that recorded a ``grad_fn`` (some input required grad) are found, and their
    non-Tensor arguments are unknown (``args`` holds just the Tensor inputs): enough to draw.
    An intermediate result that nothing holds any more is stood in for by a tensor of its shape
    and dtype (a broadcast zero: no memory).
    """
    if output.grad_fn is None:
        raise ValueError("this tensor has no grad_fn: it was not computed from a tensor that requires grad "
                         "(draw the model with to_dot((model, args)) instead)")
    stand_ins: dict[int, Tensor] = {}

    def tensor_of(node) -> Tensor:
        t = autograd._tensor_of(node)
        if t is None:
            if id(node) not in stand_ins:
                shape, dtype, _ = node._out
                stand_ins[id(node)] = Tensor._make(np.broadcast_to(np.zeros((), dtype), shape))
            t = stand_ins[id(node)]
        return t

    ops, seen, stack = [], set(), [(output.grad_fn, False)]
    while stack:  # iterative depth-first search, producers before consumers
        fn, done = stack.pop()
        if done:
            ops.append(Op(fn, tuple(tensor_of(p) for p in fn.parents), {}, (tensor_of(fn),)))
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.append((fn, True))
        stack.extend((p, False) for p in reversed(fn.parents) if isinstance(p, autograd.Function))
    return ops


def needed(ops: list, outputs: list) -> list:
    """The ops that ``outputs`` depend on, in their original order (others, such as a value a
    model only prints, are left out)."""
    producer = {id(t): op for op in ops for t in op.outputs}
    keep, stack = set(), [producer[id(t)] for t in outputs if id(t) in producer]
    while stack:
        op = stack.pop()
        if id(op) in keep:
            continue
        keep.add(id(op))
        stack.extend(producer[id(t)] for t in op.inputs if id(t) in producer)
    return [op for op in ops if id(op) in keep]
