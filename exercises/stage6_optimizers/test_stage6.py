"""Stage 6, graded against torch.optim: every parameter after every step, float64."""
import numpy as np
import pytest
import torch

import tinygrad_edu

rng = np.random.default_rng(0)
W0, B0 = rng.standard_normal((3, 4)), rng.standard_normal(3)
X, T = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))


def train(engine, make_optimizer, steps=6):
    """A small least-squares fit; the parameters after each step."""
    w = engine.tensor(W0, dtype=engine.float64, requires_grad=True)
    b = engine.tensor(B0, dtype=engine.float64, requires_grad=True)
    frozen = engine.tensor(B0, dtype=engine.float64, requires_grad=True)  # never gets a gradient
    x, t = engine.tensor(X, dtype=engine.float64), engine.tensor(T, dtype=engine.float64)
    optimizer = make_optimizer([w, b, frozen])
    history = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((x @ w.T + b - t) ** 2).mean()
        loss.backward()
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in (w, b, frozen)])
    return history


def compare(ours, theirs):
    for step, (a, e) in enumerate(zip(ours, theirs)):
        for name, pa, pe in zip(("w", "b", "frozen"), a, e):
            np.testing.assert_allclose(pa, pe, rtol=1e-10, atol=1e-12, err_msg=f"{name} after step {step + 1}")


def test_sgd(impl):
    compare(train(tinygrad_edu, lambda p: impl.SGD(p, lr=0.1)), train(torch, lambda p: torch.optim.SGD(p, lr=0.1)))


@pytest.mark.parametrize("momentum", [0.9, 0.5])
def test_sgd_with_momentum(impl, momentum):
    compare(train(tinygrad_edu, lambda p: impl.SGD(p, lr=0.05, momentum=momentum)),
            train(torch, lambda p: torch.optim.SGD(p, lr=0.05, momentum=momentum)))


def test_adam(impl):
    compare(train(tinygrad_edu, lambda p: impl.Adam(p, lr=0.01)), train(torch, lambda p: torch.optim.Adam(p, lr=0.01)))


def test_adam_with_other_betas(impl):
    compare(train(tinygrad_edu, lambda p: impl.Adam(p, lr=0.03, betas=(0.5, 0.9), eps=1e-6), steps=10),
            train(torch, lambda p: torch.optim.Adam(p, lr=0.03, betas=(0.5, 0.9), eps=1e-6), steps=10))
