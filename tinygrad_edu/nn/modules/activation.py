"""Activation layers: each wraps the tensor op of the same name."""
from .module import Module


class ReLU(Module):
    """y = max(x, 0)."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x):
        return x.relu()


class Sigmoid(Module):
    """y = 1 / (1 + e^-x)."""

    def forward(self, x):
        return x.sigmoid()


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x):
        return x.tanh()


class Softmax(Module):
    """y = e^x / sum(e^x) along ``dim``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """y = x - log(sum(e^x)) along ``dim``: log-probabilities, for NLLLoss."""

    def forward(self, x):
        return x.log_softmax(self.dim)
