"""``tinygrad_edu.accelerator``: which accelerator (GPU, MPS...) new code should use. The engine
computes on the CPU only, so it answers as PyTorch does on a machine without one.

    device = torch.accelerator.current_accelerator() or torch.device("cpu")   # the CPU here
"""
from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator's device, or ``None``: there is none."""
    return None


def device_count() -> int:
    return 0
