"""The engine's answers to stage 4."""
from tinygrad_edu.ops.binary import Mul  # noqa: F401
from tinygrad_edu.ops.linalg import MatMul  # noqa: F401
