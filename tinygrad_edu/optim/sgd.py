"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer


class SGD(Optimizer):
    """For each parameter p with gradient g (PyTorch's documented algorithm):

        g = g + weight_decay * p
        buf = g                                   (first step)
        buf = momentum * buf + (1 - dampening) * g   (later steps)
        g = g + momentum * buf  if nesterov  else  buf
        p = p - lr * g
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"Invalid hyper-parameter: lr={lr}, momentum={momentum}, weight_decay={weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group, p in self._params_with_grad():
            g = -p.grad.array if group["maximize"] else p.grad.array
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.array
            if group["momentum"]:
                state = self.state[p]  # touched only here: plain SGD keeps no state, as in torch
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = Tensor._make(np.array(g, copy=True))
                else:
                    buf.array *= group["momentum"]
                    buf.array += (1 - group["dampening"]) * g
                g = g + group["momentum"] * buf.array if group["nesterov"] else buf.array
            p.array -= group["lr"] * g
        return loss
