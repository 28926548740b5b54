"""``tinygrad_edu.cuda``: the engine has no GPU path, so it answers as PyTorch does without one."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0
