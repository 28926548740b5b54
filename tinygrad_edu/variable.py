"""``torch.autograd.Variable``: PyTorch's name, before version 0.4, for a tensor that records its history."""


def _tensor() -> type:
    from .tensor import (
        Tensor,  # imported late: tensor.py imports autograd, which re-exports Variable
    )
    return Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, _tensor())


class Variable(metaclass=_VariableMeta):
    """PyTorch's name, before version 0.4, for a tensor that records its history; kept so old programs run.

    ``Variable(t, requires_grad=True)`` is ``t.detach().requires_grad_(requires_grad)``: a new leaf
    sharing ``t``'s memory. Every tensor counts as a Variable (``isinstance(t, Variable)``).
    """

    def __new__(cls, data, requires_grad: bool = False):
        if not isinstance(data, _tensor()):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
