"""The engine's answer to stage 1: a 0-dim float64 Tensor that requires grad is a Value."""
import tinygrad_edu


def Value(data: float) -> tinygrad_edu.Tensor:
    return tinygrad_edu.tensor(float(data), dtype=tinygrad_edu.float64, requires_grad=True)
