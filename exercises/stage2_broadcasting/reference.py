"""The engine's answers to stage 2."""
from tinygrad_edu._convert import broadcast_shape  # noqa: F401
from tinygrad_edu.autograd import sum_to_shape  # noqa: F401
