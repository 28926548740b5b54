"""``tinygrad_edu.backends.mps``: Apple's Metal backend. The engine has no MPS path, so both
answers are False, as in a PyTorch built without MPS."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
