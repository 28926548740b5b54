"""Stage 6: SGD with momentum and Adam. Fill in both step() methods."""
from __future__ import annotations

import numpy as np  # noqa: F401  (np.sqrt, np.zeros_like)

from tinygrad_edu.optim.optimizer import Optimizer


class SGD(Optimizer):
    """buf = g on the first step, buf = momentum * buf + g later (just g without momentum);
    p = p - lr * buf."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def step(self) -> None:
        raise NotImplementedError("SGD.step: for each group, each p with a grad: update p.array in place")


class Adam(Optimizer):
    """m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  at step t:
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps))

    def step(self) -> None:
        raise NotImplementedError("Adam.step: keep m, v and the step count in self.state[p]")
