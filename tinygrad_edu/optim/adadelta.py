"""Adadelta: steps sized by the ratio of running RMS of updates and of gradients (Zeiler, 2012)."""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, step_count, zeros_like


class Adadelta(Optimizer):
    """For each parameter p with gradient g (PyTorch's documented algorithm):

        g = -g if maximize;   g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g                       (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta               (acc_delta)
        p = p - lr * delta
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0,
                 *, maximize: bool = False):
        if not lr >= 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not eps >= 0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not weight_decay >= 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _new_state(self, group, p):
        return dict(step=step_count(), square_avg=zeros_like(p), acc_delta=zeros_like(p))

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group, p in self._params_with_grad():
            rho, eps = group["rho"], group["eps"]
            state = self._state(group, p)
            state["step"].array += 1
            g = -p.grad.array if group["maximize"] else p.grad.array
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.array
            square_avg, acc_delta = state["square_avg"].array, state["acc_delta"].array
            square_avg *= rho
            square_avg += (1 - rho) * g * g
            delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            p.array += -group["lr"] * delta
        return loss
