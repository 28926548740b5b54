"""Dropout: randomly zero activations (Dropout) or whole channels (Dropout2d) while training;
the identity in eval mode."""
from .. import functional as F
from .module import Module


class Dropout(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        F._check_p(p)
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


class Dropout2d(Dropout):
    """Zero each channel of x (N, C, H, W) or (C, H, W) with probability p, scale the rest by 1/(1-p)."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)
