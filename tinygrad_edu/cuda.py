"""``tinygrad_edu.cuda``: the engine has no GPU path, so it answers as PyTorch does without one."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Nothing to seed without a GPU; PyTorch silently accepts the call too."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed without a GPU; PyTorch silently accepts the call too."""
