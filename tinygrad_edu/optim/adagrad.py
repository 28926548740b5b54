"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients (Duchi et al., 2011)."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, step_count


class Adagrad(Optimizer):
    """For each parameter p with gradient g, at step t (PyTorch's documented algorithm):

        g = -g if maximize;   g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                           (sum, starting at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    As in torch, every parameter gets its state (step, sum) when the optimizer is made, so
    ``state_dict()`` lists them all from the start.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False):
        for name, value in (("learning rate", lr), ("lr_decay value", lr_decay), ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value), ("epsilon value", eps)):
            if not value >= 0:
                raise ValueError(f"Invalid {name}: {value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self._state(group, p)

    def _new_state(self, group, p):
        return dict(step=step_count(), sum=Tensor._make(np.full_like(p.array, group["initial_accumulator_value"])))

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group, p in self._params_with_grad():
            state = self._state(group, p)  # a group added later has no state yet
            state["step"].array += 1
            g = -p.grad.array if group["maximize"] else p.grad.array
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.array
            clr = group["lr"] / (1 + (float(state["step"].array) - 1) * group["lr_decay"])
            state_sum = state["sum"].array
            state_sum += g * g
            p.array += (-clr * g) / (np.sqrt(state_sum) + group["eps"])
        return loss
