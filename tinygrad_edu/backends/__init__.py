"""``tinygrad_edu.backends``: what PyTorch's ``torch.backends`` answers about optional backends.
The engine has none of them (it computes on the CPU with numpy and numba)."""
from . import mps  # noqa: F401
