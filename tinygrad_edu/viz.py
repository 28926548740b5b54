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

from . import autograd, dtypes
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
    """``id(tensor) -> d(root)/d(tensor)`` for every tensor of root's graph that requires grad
    and is still alive.

    Made with the engine's own backward pass over the graph's nodes, starting from ones of root's
    shape (root is usually a scalar), but it keeps every node's gradient and writes no ``.grad``;
    a tensor's gradient is that of the node it is the output of now. If the graph was freed by a
    backward without ``retain_graph=True``, returns the leaves' ``.grad`` only.
    """
    by_node = _gradients_by_node(root)
    grads = {}
    for node in _nodes_inputs_first(root):
        tensor = autograd._tensor_of(node)
        if tensor is not None and id(node) in by_node and (tensor is node or tensor.grad_fn is node):
            grads[id(tensor)] = by_node[id(node)]
    return grads


def _gradients_by_node(root: Tensor) -> dict[int, np.ndarray]:
    """``id(graph node) -> d(root)/d(the node's output)``: Functions and leaf tensors alike."""
    if not root.requires_grad:
        return {}
    start = root if root.grad_fn is None else root.grad_fn
    node_grads = {id(start): np.ones(root.array.shape, dtype=root.array.dtype)}
    order = autograd._topological_order(start)
    try:
        for fn in order:
            if isinstance(fn, autograd.Function) and id(fn) in node_grads:
                autograd._send_back(fn, node_grads[id(fn)], node_grads)
    except RuntimeError:  # saved tensors freed: backward already ran
        return {id(t): t.grad.array for t in order if not isinstance(t, autograd.Function) and t.grad is not None}
    return node_grads


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
    An intermediate result that nothing holds any more (the graph keeps only what backward
    needs, as PyTorch's does) shows its shape and dtype, with no data.
    """
    label_of = {id(t): n for n, t in (names or {}).items()}
    grads = _gradients_by_node(root) if show_data else {}
    nodes, edges, index = [], [], {}
    for node in _nodes_inputs_first(root):
        tensor = autograd._tensor_of(node)
        if isinstance(node, autograd.Function):
            column = 1 + max(nodes[index[id(p)]].column for p in node.parents)
            op = len(nodes)
            nodes.append(Node("op", node.name, column, obj=node))
            edges.extend((index[id(p)], op) for p in node.parents)
            edges.append((op, op + 1))
            kind, column = "value", column + 1
            shape, dtype, _ = node._out
        else:
            kind = "leaf" if node.requires_grad else "constant"
            column, shape, dtype = 0, node.array.shape, node.array.dtype
        title = label_of.get(id(tensor)) or {"leaf": "leaf", "constant": "constant", "value": "tensor"}[kind]
        lines = [f"{title}  {tuple(shape)} {dtypes.from_numpy_dtype(dtype).name}"]
        if show_data:
            lines.append("data not kept" if tensor is None else "data " + format_array(tensor.array))
            if id(node) in grads:
                lines.append("grad " + format_array(grads[id(node)]))
        index[id(node)] = len(nodes)
        nodes.append(Node(kind, "\n".join(lines), column, obj=tensor))
    first_use: dict[int, int] = {}  # node index -> the column of the first op that uses it
    for a, b in edges:
        first_use[a] = min(first_use.get(a, nodes[b].column), nodes[b].column)
    for k, n in enumerate(nodes):  # a leaf or constant sits just left of that op
        if n.kind in ("leaf", "constant") and k in first_use:
            n.column = first_use[k] - 1
    return Graph(nodes, edges)


def _nodes_inputs_first(root: Tensor) -> list:
    """Every node of root's graph (ops and the leaves and constants they use), each after its
    inputs, in argument order (an iterative depth-first search, so deep graphs are fine)."""
    start = root if root.grad_fn is None else root.grad_fn
    order, seen, stack = [], set(), [(start, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            if isinstance(node, autograd.Function):
                stack.extend((p, False) for p in reversed(node.parents) if id(p) not in seen)
    return order


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
