"""tinygrad_edu.viz: the picture of a graph has one box per op and per tensor, and the data and
gradients it shows are the real ones (checked on the boxes' text against PyTorch, not pixels)."""
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch as real_torch

import tinygrad_edu as torch
from tinygrad_edu import viz
from tinygrad_edu.cli import main

rng = np.random.default_rng(0)
X, Y, Z = rng.standard_normal((1, 5)), rng.standard_normal((5, 3)), rng.standard_normal((3, 1))


def xyz(engine):
    """The tutorial's 自动梯度 example, f = x @ y @ z, in float64 on ``engine``."""
    x, y, z = (engine.tensor(a, dtype=engine.float64, requires_grad=True) for a in (X, Y, Z))
    xy = x @ y
    return x, y, z, xy, xy @ z


def count_functions(root) -> int:
    """The ops of root's graph, found independently of viz through grad_fn.next_functions."""
    seen, stack = set(), [root.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.extend(f for f, _ in fn.next_functions)
    return len(seen)


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_one_box_per_op_and_per_tensor():
    *_, f = xyz(torch)
    graph = viz.build_graph(f)
    assert len(graph.ops) == count_functions(f) == 2
    assert len(graph.tensors) == 5  # x, y, z, xy, f
    assert len(graph.edges) == 2 * 2 + 2  # each matmul: two inputs in, one output out
    assert [n.column for n in graph.nodes if n.kind == "op"] == [1, 3]


def test_every_gradient_shown_is_pytorchs():
    x, y, z, xy, f = xyz(torch)
    rx, ry, rz, rxy, rf = xyz(real_torch)
    rxy.retain_grad()
    rf.backward()
    grads = viz.node_gradients(f)
    for ours, theirs in [(x, rx), (y, ry), (z, rz), (xy, rxy)]:
        np.testing.assert_allclose(grads[id(ours)], theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert x.grad is None, "drawing must not write .grad"

    labels = {n.obj is t: n.label for n in viz.build_graph(f).tensors for t in [xy]}
    label = labels[True]
    assert "data " + viz.format_array(rxy.detach().numpy()) in label
    assert "grad " + viz.format_array(rxy.grad.numpy()) in label


def test_a_value_used_twice_gets_the_sum_of_both_paths():
    a = torch.tensor([0.5, -2.0], dtype=torch.float64, requires_grad=True)
    ra = real_torch.tensor([0.5, -2.0], dtype=real_torch.float64, requires_grad=True)
    out, rout = (a * a + a.exp()).sum(), (ra * ra + ra.exp()).sum()
    rout.backward()
    np.testing.assert_allclose(viz.node_gradients(out)[id(a)], ra.grad.numpy(), rtol=1e-12)
    assert sum(1 for n in viz.build_graph(out).tensors if n.obj is a) == 1


def test_after_backward_the_leaves_show_their_grad():
    x, y, z, xy, f = xyz(torch)
    f.backward()  # frees the graph: only the leaves' .grad is known now
    graph = viz.build_graph(f, names={"x": x})
    (box,) = [n for n in graph.nodes if n.obj is x]
    assert box.label.startswith("x  (1, 5) float64") and "grad " + viz.format_array(x.grad.array) in box.label
    (inner,) = [n for n in graph.nodes if n.obj is xy]
    assert "grad" not in inner.label


def test_constants_big_tensors_and_names():
    w = torch.randn(8, 6, requires_grad=True)
    out = (w * 2.0).sum()
    graph = viz.build_graph(out, names={"w": w})
    kinds = sorted(n.kind for n in graph.tensors)
    assert kinds == ["constant", "leaf", "value", "value"]
    (box,) = [n for n in graph.nodes if n.obj is w]
    a = w.detach().numpy().astype(np.float64)
    assert f"data mean {a.mean():.4g}, min {a.min():.4g}, max {a.max():.4g}" in box.label
    assert "grad mean 2, min 2, max 2" in box.label


def test_a_deep_graph_needs_no_recursion():
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    assert len(viz.build_graph(y, show_data=False).ops) == 3000


def test_draw_graph_writes_a_png_and_an_svg(tmp_path):
    x, y, z, xy, f = xyz(torch)
    fig = viz.draw_graph(f, tmp_path / "g.png", names=dict(x=x, y=y, z=z, f=f))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("MatMulBackward0") == 2 and any(t.startswith("y  (5, 3)") for t in texts)
    width, height = png_size(tmp_path / "g.png")
    assert 300 < width < 5000 and 100 < height < 3000
    viz.draw_graph(f, tmp_path / "g.svg")
    assert ET.parse(tmp_path / "g.svg").getroot().tag.endswith("svg")


def test_to_dot_lists_every_box_and_arrow():
    *_, f = xyz(torch)
    dot = viz.to_dot(f)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("->") == 6 and dot.count("MatMulBackward0") == 2
    assert dot.count("shape=record") == 5


@pytest.mark.parametrize("model, names", [("linreg", ["linear.weight", "LinearBackward0"]),
                                          ("logreg", ["linear.bias", "SigmoidBackward0"]),
                                          ("mlp", ["0.weight", "2.bias", "LogSoftmaxBackward0", "NLLLossBackward0"])])
def test_the_graph_command_draws_any_tutorial_model(model, names, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--model", model, "--out", "g.png"]) == 0
    width, height = png_size(tmp_path / "g.png")
    assert width > 300 and height > 50
    assert main(["graph", "--model", model, "--out", "g.dot"]) == 0
    dot = (tmp_path / "g.dot").read_text()
    ops = dot.count("shape=box")
    assert ops > 2 and f", {ops} ops" in capsys.readouterr().out
    for name in names:
        assert name in dot, name
    assert "grad " in dot and "data " in dot


def test_the_graph_command_refuses_an_unknown_format(tmp_path, capsys):
    assert main(["graph", "--model", "linreg", "--out", str(tmp_path / "g.txt")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown format; use a name ending in .dot, .png, .svg, .pdf" in err[0]


def test_graph_and_node_types():
    *_, f = xyz(torch)
    graph = viz.build_graph(f)
    assert isinstance(graph, viz.Graph) and all(isinstance(n, viz.Node) for n in graph.nodes)
    assert {n.kind for n in graph.nodes} == {"leaf", "value", "op"}
