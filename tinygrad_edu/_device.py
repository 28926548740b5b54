"""``device``: where a tensor lives (``torch.device``); this engine has only the CPU."""


class device:
    """Where a tensor lives. The engine computes on the CPU only."""

    def __init__(self, type: str = "cpu"):
        type = str(type)
        if type.split(":")[0] != "cpu":
            raise RuntimeError(f"tinygrad_edu runs on the CPU only; device '{type}' is not available "
                               "(use the torch backend for CUDA)")
        self.type = "cpu"

    def __eq__(self, other) -> bool:
        return str(other) == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"


CPU = device("cpu")
