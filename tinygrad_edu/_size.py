"""``Size``: a tensor's shape, a tuple that prints like ``torch.Size``."""
import numpy as np


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``torch.Size``."""

    def __repr__(self) -> str:
        return f"tinygrad_edu.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))
