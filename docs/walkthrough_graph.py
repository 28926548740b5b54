"""Draw docs/img/xyz_graph.png, the picture in docs/walkthrough.md:

    PYTHONPATH=. python docs/walkthrough_graph.py
"""
from pathlib import Path

import tinygrad_edu as torch
from tinygrad_edu.viz import draw_graph

torch.manual_seed(0)
x = torch.randn(1, 5, requires_grad=True)
y = torch.randn(5, 3, requires_grad=True)
z = torch.randn(3, 1, requires_grad=True)
xy = torch.matmul(x, y)
f = torch.matmul(xy, z)
draw_graph(f, Path(__file__).parent / "img" / "xyz_graph.png", names={"x": x, "y": y, "z": z, "xy": xy, "f": f})
