"""A picture of the computation graph, as graphviz "dot" text: one box per op (its name and
output shape), one ellipse per input, parameter or constant (its name and shape), an arrow
wherever a value flows into an op.

    dot = to_dot((model, (x,)))      # record one forward pass of the model
    dot = to_dot(loss, params=dict(model.named_parameters()))   # or follow a result's grad_fn back
    render(dot, "graph.png")
"""
from __future__ import annotations

import os
import shutil
import subprocess
import warnings

from ..tensor import Tensor
from .trace import from_grad_fn, needed, trace

_LEAF_STYLE = {"input": "lightyellow", "parameter": "lightblue", "constant": "lightgrey"}


def to_dot(target, params: dict | None = None) -> str:
    """Graphviz dot text of one forward pass.

    ``target`` is a Tensor (its ``grad_fn`` graph is drawn, as torchviz's ``make_dot`` does;
    ``params`` names the leaves, e.g. ``dict(model.named_parameters())``), or a pair
    ``(model, args)``: the model runs once on ``args`` and every op it ran that the outputs
    depend on is drawn, with parameters named as in ``state_dict()``.
    """
    ops, leaf_names, unnamed = _recorded(target, params)
    lines = ["digraph tinygrad_edu {", '  node [fontname="Helvetica", fontsize=10, style=filled];']
    node_of, leaves = {}, []  # id(Tensor) -> the dot node that made it or stands for it

    def leaf(t: Tensor) -> str:
        if id(t) not in node_of:
            if id(t) in leaf_names:
                kind, name = leaf_names[id(t)]
            else:
                kind, name = ("parameter", "parameter") if t.requires_grad else ("constant", unnamed)
            node_of[id(t)] = f"v{len(leaves)}"
            leaves.append(t)
            lines.append(f'  {node_of[id(t)]} [shape=ellipse, fillcolor={_LEAF_STYLE[kind]}, '
                         f'label="{_escape(name)}\\n{_shape(t)}"];')
        return node_of[id(t)]

    for j, op in enumerate(ops):
        sources = [node_of.get(id(t)) or leaf(t) for t in op.inputs]
        lines.append(f'  op{j} [shape=box, fillcolor=white, label="{op.name}\\n{_shape(op.outputs[0])}"];')
        lines.extend(f"  {s} -> op{j};" for s in sources)
        for t in op.outputs:
            node_of[id(t)] = f"op{j}"
    lines.append("}")
    return "\n".join(lines) + "\n"


def _recorded(target, params: dict | None) -> tuple[list, dict, str]:
    """The ops to draw, ``id(leaf) -> (kind, name)`` for the leaves with names, and the label of
    the others that need no grad."""
    if isinstance(target, Tensor):
        names = {id(t): ("parameter", n) for n, t in (params or {}).items()}
        return from_grad_fn(target), names, "tensor"  # an input or a constant: the grad_fn graph can't tell
    model, args = target
    args = args if isinstance(args, tuple) else (args,)
    ops, outputs = trace(model, args)
    state = model.state_dict(keep_vars=True) if hasattr(model, "state_dict") else {}
    names = {id(t): ("parameter", n) for n, t in reversed(state.items())}  # a tied weight keeps its first name
    inputs = [a for a in args if isinstance(a, Tensor)]
    names.update((id(t), ("input", "input" if len(inputs) == 1 else f"input_{k}")) for k, t in enumerate(inputs))
    return needed(ops, outputs), names, "constant"


def render(dot_text: str, path) -> str:
    """Draw ``dot_text`` to ``path`` (its suffix picks the format: .png, .svg, .pdf) with graphviz's
    ``dot`` program. Without it, the text goes to ``path`` with a ``.dot`` suffix and a warning
    says so (any graphviz viewer, online ones too, draws that file). Returns the path written."""
    path = os.fspath(path)
    stem, suffix = os.path.splitext(path)
    program = shutil.which("dot")
    if suffix == ".dot" or program is None:
        out = stem + ".dot"
        with open(out, "w", encoding="utf-8") as f:
            f.write(dot_text)
        if suffix != ".dot":
            warnings.warn(f"graphviz's 'dot' program was not found, so the graph was written as text to {out} "
                          f"instead of {path}; install graphviz (e.g. apt install graphviz) to draw it")
        return out
    subprocess.run([program, f"-T{suffix.lstrip('.') or 'png'}", "-o", path], input=dot_text, text=True, check=True)
    return path


def _shape(t: Tensor) -> str:
    return "(" + ", ".join(map(str, t.shape)) + ")"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
