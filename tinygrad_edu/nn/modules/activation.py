"""Activation layers: each wraps the function of the same name (a tensor method or ``nn.functional``)."""
from .. import functional as F
from .module import Module


class _InplaceActivation(Module):
    """An activation with PyTorch's ``inplace`` flag: kept for the repr; the result is the same
    either way, since a layer's output is what the next layer reads."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def _inplace_repr(self) -> str:
        return ", inplace=True" if self.inplace else ""

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceActivation):
    """y = max(x, 0)."""

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


class LeakyReLU(_InplaceActivation):
    """y = x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + self._inplace_repr()


class ELU(_InplaceActivation):
    """y = x if x > 0 else alpha * (e^x - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + self._inplace_repr()


class GELU(Module):
    """y = x * Phi(x), Phi the standard normal CDF (``approximate="tanh"``: the tanh formula)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_InplaceActivation):
    """y = x * sigmoid(x)."""

    def forward(self, x):
        return F.silu(x)


class Softplus(Module):
    """y = log(1 + e^(beta x)) / beta, and y = x where beta * x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(_InplaceActivation):
    """y = x clamped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        if not max_val > min_val:  # PyTorch asserts it
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + self._inplace_repr()
