"""docs/: the tour covers every tutorial section, its line links point at the code they name,
and the walkthrough's numbers, order and picture are what the engine computes."""
import importlib.util
import re
import struct
from pathlib import Path

import numpy as np

import tinygrad_edu as torch
from tinygrad_edu import autograd, viz

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# The tutorial's sections, by their own titles (Pytorch框架详解之一, 2022-12-18)
SECTIONS = ["numpy基础操作", "OpenCV-Python基础操作", "Pytorch基础操作", "自动梯度", "线性回归", "逻辑回归",
            "人工神经网络基本概念", "Pytorch中的基础数据集", "手写数字识别人工神经网络", "模型保存与预测调用",
            "卷积的基本概念与术语", "卷积神经网络基本原理与参数", "卷积神经网络构建、训练与预测使用",
            "ONNX格式模型导出与推理", "Pytorch中的数据与数据集类", "Pytorch训练可视化"]


def load_links():
    spec = importlib.util.spec_from_file_location("doc_links", DOCS / "links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tour_has_a_section_per_tutorial_section_with_links():
    tour = (DOCS / "tour.md").read_text()
    headings = re.findall(r"^## (.+?) \(", tour, re.M)
    assert headings == SECTIONS
    for block in re.split(r"^## ", tour, flags=re.M)[1:]:
        assert re.search(r"\]\(\.\./tinygrad_edu/[\w/]+\.py#L\d+\)", block), block.splitlines()[0]


def test_every_line_link_points_at_its_definition(capsys):
    links = load_links()
    assert links.main(["--check"]) == 0, capsys.readouterr().out + "\nrun: python docs/links.py"
    total = sum(len(links.LINK.findall(p.read_text())) for p in DOCS.glob("*.md"))
    assert total >= 60


def test_the_link_checker_catches_a_stale_line():
    links = load_links()
    problems = []
    links.fix("[`MatMul`](../tinygrad_edu/ops/linalg.py#L1) [`nowhere`](../tinygrad_edu/ops/linalg.py#L3)",
              problems, "x.md")
    assert len(problems) == 2 and "the link says 1" in problems[0] and "not found" in problems[1]


def xyz():
    torch.manual_seed(0)
    x = torch.randn(1, 5, requires_grad=True)
    y = torch.randn(5, 3, requires_grad=True)
    z = torch.randn(3, 1, requires_grad=True)
    xy = torch.matmul(x, y)
    return x, y, z, xy, torch.matmul(xy, z)


def test_the_walkthrough_numbers_are_the_engines():
    text = (DOCS / "walkthrough.md").read_text()
    flat = re.sub(r"[\[\]\s]+", " ", text)  # the arrays as one line of numbers
    x, y, z, xy, f = xyz()
    names = {id(x): "x", id(y): "y", id(z): "z", id(xy.grad_fn): "xy", id(f.grad_fn): "f"}
    order = [names[id(node)] for node in autograd._topological_order(f.grad_fn)]
    assert len(order) == 5 and ", ".join(order) in text
    grads = viz.node_gradients(f)
    f.backward()
    for what, array in [("x", x.detach().numpy()), ("xy", xy.detach().numpy()), ("z", z.detach().numpy()),
                        ("d f / d xy", grads[id(xy)]), ("x.grad", x.grad.numpy()), ("z.grad", z.grad.numpy()),
                        ("y.grad's first row", y.grad.numpy()[0])]:
        values = [f"{v:.4f}" for v in np.ravel(array)]
        assert re.search(r" *,? *".join(map(re.escape, values)), flat), f"{what}: {values} not in the walkthrough"
    assert f"[[{float(f.detach().numpy().ravel()[0]):.3f}]]" in text  # f = [[-1.646]]


def test_the_walkthrough_picture_is_a_small_png_linked_from_the_page():
    picture = DOCS / "img" / "xyz_graph.png"
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 200_000
    width, height = struct.unpack(">II", data[16:24])
    assert width > 800 and height > 200
    assert "](img/xyz_graph.png)" in (DOCS / "walkthrough.md").read_text()


def test_the_readme_opens_with_the_engine_then_the_tutorial_the_commands_and_results():
    readme = (ROOT / "README.md").read_text()
    headings = re.findall(r"^## (.+)$", readme, re.M)
    assert headings[:3] == ["The tutorial", "Two commands", "What it does"]
    first_screen = readme[:readme.index("## The tutorial")]
    assert "How it works" in first_screen and len(first_screen.splitlines()) <= 30
    assert "Pytorch框架详解之一" in readme and "2022-12-18" in readme
    for target in ("docs/tour.md", "docs/walkthrough.md", "docs/benchmarks.md", "exercises/README.md",
                   "docs/img/xyz_graph.png"):
        assert f"]({target})" in readme, target
        assert (ROOT / target).is_file(), target
    # thread tuning and benchmark detail live in the benchmark docs
    assert "TINYGRAD_EDU_BLAS_THREADS" not in readme
    assert "TINYGRAD_EDU_BLAS_THREADS" in (DOCS / "benchmarks.md").read_text()
