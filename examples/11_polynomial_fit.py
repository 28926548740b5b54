"""多项式拟合 (polynomial fit): y = sin(x) on [-pi, pi] fitted by y = a + b x + c x^2 + d x^3.

PyTorch's "Learning PyTorch with Examples", its nn version: the features x, x^2, x^3 go through
nn.Linear(3, 1), MSELoss(reduction='sum') and SGD (lr 1e-6) for 2,000 steps. The targets are
made with numpy's sin and fed in with from_numpy. The same code runs on this engine or on
PyTorch (``--backend``), from the same initial weights, drawn by the engine.

    python examples/11_polynomial_fit.py [--backend edu|torch] [--dtype float32|float64] [--steps 2000]
"""
import argparse
import math
import types

import numpy as np

from tinygrad_edu.training.backends import get_backend


def build(torch):
    """The model, written once for either framework."""
    return torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)  # (N, 1) -> (N,), the shape of y
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["edu", "torch"], default="edu", help="edu: this engine; torch: PyTorch")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args(argv)
    backend = get_backend(args.backend)
    torch = backend.torch
    # both backends start from the weights the engine draws for seed 0
    model = backend.make_model(types.SimpleNamespace(build=build), seed=0, dtype=args.dtype)

    x_np = np.linspace(-math.pi, math.pi, 2000).astype(args.dtype)
    x = torch.from_numpy(x_np)
    y = torch.from_numpy(np.sin(x_np))
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)  # (2000, 3): x, x^2, x^3

    loss_fn = torch.nn.MSELoss(reduction='sum')
    learning_rate = 1e-6
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    losses = []
    for t in range(args.steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        if t % 100 == 99:
            print(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    linear_layer = model[0]
    a, (b, c, d) = linear_layer.bias.item(), linear_layer.weight[0].tolist()
    print(f'Result: y = {a} + {b} x + {c} x^2 + {d} x^3')
    print(f'final loss {losses[-1]!r}')
    return {"losses": losses, "coefficients": [a, b, c, d]}


if __name__ == "__main__":
    main()
