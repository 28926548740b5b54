"""The ``weights=`` argument every builder takes: only None (random init) is offered."""


def refuse_weights(builder: str, weights, kwargs: dict) -> None:
    """Raise for any ``weights`` but None, or the legacy ``pretrained=True`` (removed from ``kwargs``):
    the engine never downloads pretrained weights."""
    asked = f"weights={weights!r}" if weights is not None else "pretrained=True" if kwargs.pop("pretrained", False) \
        else None
    if asked is not None:
        raise NotImplementedError(
            f"{builder}({asked}): tinygrad_edu does not download pretrained weights; build "
            f"{builder}(weights=None) and load_state_dict() a state_dict converted from torchvision's")
