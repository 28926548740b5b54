"""A picture of a tensor's graph, with the data and the gradient on every node.

Like micrograd's ``draw_dot`` and torchviz's ``make_dot``: each tensor is a rounded box with
its name, shape, values and gradient; each op (``grad_fn``) is a square box between its
inputs and its output. Drawn with matplotlib, so a PNG or SVG opens on any machine; the
same graph as graphviz dot text comes from ``to_dot``::

    f = x @ y @ z
    f.backward(retain_graph=True)
    draw_graph(f, "graph.png", names={"x": x, "y": y, "z": z, "f": f})

The gradient shown on a tensor is d(root)/d(tensor), computed here with the engine's own
backward pass (``autograd._topological_order`` and each op's ``backward``) without touching
any ``.grad``; for a leaf it equals ``leaf.grad`` after one ``root.backward()``. Once the
graph is freed (``backward()`` without ``retain_graph=True``) only leaves' ``.grad`` are known.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from . import autograd
from .tensor import Tensor

SMALL = 16  # tensors with at most this many elements show every value; bigger ones a summary


@dataclass
class Node:
    """One box: a tensor (``kind`` "leaf", "constant" or "value") or an op (``kind`` "op")."""

    kind: str
    label: str
    column: int
    obj: object = field(default=None, repr=False)


@dataclass
class Graph:
    """The boxes and the arrows (``(source index, target index)``) of one tensor's graph."""

    nodes: list[Node]
    edges: list[tuple[int, int]]

    @property
    def ops(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "op"]

    @property
    def tensors(self) -> list[Node]:
        return [n for n in self.nodes if n.kind != "op"]


def node_gradients(root: Tensor) -> dict[int, np.ndarray]:
    """``id(tensor) -> d(root)/d(tensor)`` for every tensor of root's graph that requires grad.

    The same pass as ``autograd.backward`` (its ``_topological_order`` and ``_send_back``) with
    the seed ones (root is usually a scalar), but it keeps every graph node's gradient and writes
    no ``.grad``; a tensor's gradient is that of the node it had when an op used it
    (``fn.parents``). If the graph was freed by a backward without ``retain_graph=True``,
    returns the leaves' ``.grad`` only.
    """
    if not root.requires_grad:
        return {}
    start = root if root.grad_fn is None else root.grad_fn
    node_grads = {id(start): np.ones(root.array.shape, dtype=root.array.dtype)}
    order = autograd._topological_order(start)
    functions = [node for node in order if isinstance(node, autograd.Function)]
    try:
        for fn in functions:
            if id(fn) in node_grads:
                autograd._send_back(fn, node_grads[id(fn)], node_grads)
    except RuntimeError:  # saved tensors freed: backward already ran
        return {id(t): t.grad.array for t in order if not isinstance(t, autograd.Function) and t.grad is not None}
    grads = {id(root): node_grads[id(start)]}
    for fn in functions:
        for tensor, parent in zip(fn.inputs, fn.parents):
            if id(parent) in node_grads:
                grads[id(tensor)] = node_grads[id(parent)]
    return grads


def format_array(array: np.ndarray) -> str:
    """Every value of a small array, or shape statistics of a big one (one or a few lines)."""
    array = np.asarray(array)
    if array.size <= SMALL:
        return np.array2string(array, precision=4, suppress_small=True, separator=", ",
                               max_line_width=48)
    a = array.astype(np.float64)
    return f"mean {a.mean():.4g}, min {a.min():.4g}, max {a.max():.4g}"


def build_graph(root: Tensor, names: dict | None = None, show_data: bool = True) -> Graph:
    """The boxes and arrows of ``root``'s graph, laid out in columns: leaves left, root right.

    names: ``{"x": x, ...}`` (e.g. ``dict(model.named_parameters())``) labels those tensors;
    others are labelled by their role. An op's column is one more than its deepest input's, its
    output's one more than the op's; a leaf or constant sits just left of the first op using it.
    """
    label_of = {id(t): n for n, t in (names or {}).items()}
    grads = node_gradients(root) if show_data else {}
    order = _inputs_first(root)
    nodes, edges, index = [], [], {}
    for t in order:
        fn = t.grad_fn
        if fn is None:
            kind = "leaf" if t.requires_grad else "constant"
            column = 0
        else:
            column = 1 + max(nodes[index[id(p)]].column for p in fn.inputs)
            index[id(fn)] = len(nodes)
            nodes.append(Node("op", fn.name, column, obj=fn))
            edges.extend((index[id(p)], index[id(fn)]) for p in fn.inputs)
            kind, column = "value", column + 1
        index[id(t)] = len(nodes)
        nodes.append(Node(kind, _tensor_label(t, label_of.get(id(t)), kind, grads, show_data), column, obj=t))
        if fn is not None:
            edges.append((index[id(fn)], index[id(t)]))
    first_use: dict[int, int] = {}  # node index -> the column of the first op that uses it
    for a, b in edges:
        first_use[a] = min(first_use.get(a, nodes[b].column), nodes[b].column)
    for k, n in enumerate(nodes):  # a leaf or constant sits just left of that op
        if n.kind in ("leaf", "constant") and k in first_use:
            n.column = first_use[k] - 1
    return Graph(nodes, edges)


def _inputs_first(root: Tensor) -> list[Tensor]:
    """Every tensor of root's graph, constants too, each after its op's inputs, in argument order
    (an iterative depth-first search, so deep graphs are fine)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
        elif id(t) not in seen:
            seen.add(id(t))
            stack.append((t, True))
            if t.grad_fn is not None:
                stack.extend((p, False) for p in reversed(t.grad_fn.inputs) if id(p) not in seen)
    return order


def _tensor_label(t: Tensor, name: str | None, kind: str, grads: dict, show_data: bool) -> str:
    title = name or {"leaf": "leaf", "constant": "constant", "value": "tensor"}[kind]
    lines = [f"{title}  {tuple(t.shape)} {t.dtype.name}"]
    if show_data:
        lines.append("data " + format_array(t.array))
        if id(t) in grads:
            lines.append("grad " + format_array(grads[id(t)]))
    return "\n".join(lines)


_COLORS = {"leaf": "#cfe3f7", "constant": "#e6e6e6", "value": "#fff7d6", "op": "#ffffff"}


def draw_graph(root: Tensor, path=None, names: dict | None = None, show_data: bool = True):
    """Draw ``root``'s graph with matplotlib; save it to ``path`` (.png, .svg, .pdf) if given.

    Returns the matplotlib Figure (the text of every box is in ``fig.axes[0].texts``); a notebook
    shows it. Made without pyplot, so it needs no display and leaves pyplot's state alone.
    """
    from matplotlib.figure import Figure

    graph = build_graph(root, names, show_data)
    columns = 1 + max(n.column for n in graph.nodes)
    # sizes in inches: 8 pt monospace is ~0.07 in a character and ~0.14 in a line
    widths = [0.4 + 0.07 * max([len(line) for n in graph.nodes if n.column == c for line in n.label.split("\n")]
                               or [1]) for c in range(columns)]
    left = np.concatenate([[0.0], np.cumsum(widths)])
    heights = [0.35 + 0.14 * (n.label.count("\n") + 1) for n in graph.nodes]
    tops: dict[int, float] = {}
    centers = []
    for n, h in zip(graph.nodes, heights):
        top = tops.get(n.column, 0.0)
        centers.append((left[n.column] + widths[n.column] / 2, top + h / 2))
        tops[n.column] = top + h
    fig_w, fig_h = left[-1], max(tops.values())
    fig = Figure(figsize=(fig_w, fig_h))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, fig_w)
    ax.set_ylim(fig_h, 0)
    ax.axis("off")
    artists = []
    for n, center in zip(graph.nodes, centers):
        style = "square,pad=0.4" if n.kind == "op" else "round,pad=0.4"
        artists.append(ax.text(*center, n.label, ha="center", va="center", family="monospace",
                               fontsize=8, fontweight="bold" if n.kind == "op" else "normal",
                               bbox=dict(boxstyle=style, facecolor=_COLORS[n.kind], edgecolor="#555555")))
    for source, target in graph.edges:
        ax.annotate("", xy=(0, 0.5), xycoords=artists[target], xytext=(1, 0.5), textcoords=artists[source],
                    arrowprops=dict(arrowstyle="->", color="#555555", shrinkA=4, shrinkB=4))
    if path is not None:
        fig.savefig(os.fspath(path), dpi=110)
    return fig


def to_dot(root: Tensor, names: dict | None = None, show_data: bool = True) -> str:
    """The same graph as graphviz dot text, for ``dot -Tpng`` or any graphviz viewer."""
    graph = build_graph(root, names, show_data)
    out = ["digraph tinygrad_edu {", "  rankdir=LR;", '  node [fontname="Courier", fontsize=10, style=filled];']
    for k, n in enumerate(graph.nodes):
        shape = "box" if n.kind == "op" else "record"
        label = n.label.replace("\\", "\\\\").replace('"', '\\"')
        for special in "{}|<>":  # record labels give these a meaning
            label = label.replace(special, "\\" + special)
        label = label.replace("\n", "\\l") + ("" if n.kind == "op" else "\\l")  # \l: end a left-aligned line
        out.append(f'  n{k} [shape={shape}, fillcolor="{_COLORS[n.kind]}", label="{label}"];')
    out.extend(f"  n{a} -> n{b};" for a, b in graph.edges)
    out.append("}")
    return "\n".join(out) + "\n"
