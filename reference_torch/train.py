"""The tutorial's training and evaluation loops, for any PyTorch-like framework.

This module does not import torch; ``evaluate`` lives with the engine's copy of the tutorial
(``tinygrad_edu.tutorial``) and is re-exported here.  A function that needs framework functions
(``from_numpy``, ``no_grad``, ``max``, ``optim.SGD``) takes the framework module as its first
argument, named ``torch`` so the body reads like the tutorial; pass ``torch`` or
``tinygrad_edu``.  ``train_epoch`` only calls methods of what it is given, so it needs none.
"""

from types import ModuleType

import numpy as np

from tinygrad_edu.tutorial import evaluate  # noqa: F401  (the tutorial's evaluation loop, shared with the engine)


def train_epoch(model, loader, loss_fn, optimizer, flatten: bool) -> list[float]:
    """One pass over ``loader``; returns the loss of every step.

    Each step: zero the gradients, forward, loss, backward, update.  With ``flatten`` the
    images (N, 1, 28, 28) become rows (N, 784) for the MLP; the CNN takes them as they are.
    """
    model.train()
    losses = []
    for x, labels in loader:
        if flatten:
            x = x.view(x.shape[0], -1)
        optimizer.zero_grad()
        loss = loss_fn(model(x), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def fit_regression(
    torch: ModuleType, model, x: np.ndarray, y: np.ndarray, loss_fn, lr: float, epochs: int
) -> list[float]:
    """Full-batch SGD on numpy data ``x, y`` (N, 1); returns the loss of every epoch.

    The loss of an epoch is measured before that epoch's update.  The tutorial also marks
    the inputs ``requires_grad_()``; only the parameters need gradients, so we don't.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    inputs = torch.from_numpy(x)
    labels = torch.from_numpy(y)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
