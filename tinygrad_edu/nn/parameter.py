"""``nn.Parameter``: a tensor that a Module registers as one of its learnable weights."""
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that ``Module.parameters()`` finds.

    ``Parameter(t)`` shares memory with ``t``.
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        array = data.array if isinstance(data, Tensor) else Tensor(data if data is not None else []).array
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
