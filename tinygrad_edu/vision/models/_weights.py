"""The ``weights=`` argument every builder takes: only None (random init) is offered."""


def refuse_weights(builder: str, weights) -> None:
    """Raise for any ``weights`` but None: the engine never downloads pretrained weights."""
    if weights is not None:
        raise NotImplementedError(
            f"{builder}(weights={weights!r}): tinygrad_edu does not download pretrained weights; build "
            f"{builder}(weights=None) and load_state_dict() a state_dict converted from torchvision's")
