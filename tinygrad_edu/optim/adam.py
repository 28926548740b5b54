"""Adam: adaptive moment estimation (Kingma & Ba, 2015), as PyTorch implements it."""
from __future__ import annotations

from .. import kernels
from .optimizer import Optimizer, step_count, zeros_like


class Adam(Optimizer):
    """For each parameter p with gradient g, at step t (PyTorch's documented algorithm):

        p = p * (1 - lr * weight_decay)          (decoupled_weight_decay, i.e. AdamW)
        g = g + weight_decay * p                 (otherwise)
        m = m + (1 - beta1) * (g - m)            (the running mean of g)
        v = beta2 * v + (1 - beta2) * g * g      (the running mean of g^2)
        v_max = max(v_max, v)                    (amsgrad only; then v_max replaces v below)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The arithmetic is ``kernels.adam_update``: a fused numba loop with a numpy twin. Unlike
    PyTorch, moments below the smallest normal float are flushed to 0 (see ``kernels/adam.py``).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        if lr < 0 or eps < 0 or weight_decay < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Invalid hyper-parameter: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _new_state(self, group, p):
        state = dict(step=step_count(), exp_avg=zeros_like(p), exp_avg_sq=zeros_like(p))
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)
        return state

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group, p in self._params_with_grad():
            beta1, beta2 = group["betas"]
            state = self._state(group, p)
            state["step"].array += 1
            weight_decay = group["weight_decay"]
            if group["decoupled_weight_decay"] and weight_decay:
                p.array *= 1 - group["lr"] * weight_decay
                weight_decay = 0.0
            v_max = state["max_exp_avg_sq"].array if group["amsgrad"] else None
            kernels.adam_update(p.array, p.grad.array, state["exp_avg"].array, state["exp_avg_sq"].array, v_max,
                                group["lr"], beta1, beta2, group["eps"], weight_decay,
                                float(state["step"].array), group["maximize"])
        return loss
