"""RMSprop: divide the gradient by a running root mean square of recent gradients (Hinton, 2012)."""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, step_count, zeros_like


class RMSprop(Optimizer):
    """For each parameter p with gradient g (PyTorch's documented algorithm):

        g = -g if maximize;   g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g          (square_avg: the running mean of g^2)
        m = m + (1 - alpha) * (g - m)                (centered only; grad_avg: the running mean of g)
        avg = sqrt(v - m * m) + eps  if centered  else  sqrt(v) + eps
        buf = momentum * buf + g / avg;   p = p - lr * buf      (momentum > 0)
        p = p - lr * g / avg                                    (otherwise)

    State per parameter, in torch's order: step, square_avg, momentum_buffer (momentum > 0),
    grad_avg (centered).

    Rounding: torch's CPU kernels fuse the multiply-adds (addcmul, lerp) into one rounding;
    numpy rounds the product first, so the two differ in the last bit. Centered RMSprop's
    v - m * m cancels where the gradient hardly varies (v ~ m^2), which magnifies that bit:
    over 50 steps with a small alpha the weights can part at ~1e-11 relative.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, maximize: bool = False):
        for name, value in (("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                            ("weight_decay value", weight_decay), ("alpha value", alpha)):
            if not value >= 0:
                raise ValueError(f"Invalid {name}: {value}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, maximize=maximize))

    def _new_state(self, group, p):
        state = dict(step=step_count(), square_avg=zeros_like(p))
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)
        return state

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group, p in self._params_with_grad():
            alpha, lr, momentum = group["alpha"], group["lr"], group["momentum"]
            state = self._state(group, p)
            state["step"].array += 1
            g = -p.grad.array if group["maximize"] else p.grad.array
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.array
            square_avg = state["square_avg"].array
            square_avg *= alpha
            square_avg += (1 - alpha) * g * g
            if group["centered"]:
                grad_avg = state["grad_avg"].array
                _lerp_(grad_avg, g, 1 - alpha)
                avg = np.sqrt(square_avg - grad_avg * grad_avg)
            else:
                avg = np.sqrt(square_avg)
            avg += group["eps"]
            if momentum > 0:
                buf = state["momentum_buffer"].array
                buf *= momentum
                buf += g / avg
                p.array += -lr * buf
            else:
                p.array += (-lr * g) / avg
        return loss


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """start = start + weight * (end - start), in place, rounded as torch's lerp_: for weights
    of 1/2 and more it computes end - (end - start) * (1 - weight), which is exact at weight 1."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
