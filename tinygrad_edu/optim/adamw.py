"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as PyTorch implements it."""
from __future__ import annotations

from .adam import Adam


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameter directly instead of joining the gradient,
    so it never enters the moments. For each parameter p with gradient g, at step t:

        p = p * (1 - lr * weight_decay)
        m, v (and v_max) and the update of p: as in ``Adam`` with weight_decay = 0

    The default weight decay is 1e-2 (Adam's is 0), as in torch.optim.AdamW.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        """As Optimizer's; the weight decay stays decoupled even if the saved groups say otherwise
        (an Adam checkpoint), as in torch."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
