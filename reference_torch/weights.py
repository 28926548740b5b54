"""Move a torch model's parameters (and optimizer state) to plain numpy and back.

numpy is the common currency between the backends: export a trained torch model with
``state_dict_to_numpy``, hand the arrays to the engine, or load the engine's arrays here
with ``load_numpy_state_dict``.  Keys are PyTorch's state-dict names, e.g.
``cnn_layers.0.weight`` or ``fc_layers.4.bias``.
"""

import copy

import numpy as np
import torch


def state_dict_to_numpy(model: torch.nn.Module) -> dict[str, np.ndarray]:
    """Copy every entry of ``model.state_dict()`` into a numpy array of the same shape.

    The arrays are copies: training the model afterwards does not change them.
    """
    return {name: _to_numpy(value) for name, value in model.state_dict().items()}


def load_numpy_state_dict(model: torch.nn.Module, arrays: dict[str, np.ndarray]) -> None:
    """Load numpy ``arrays`` into ``model`` in place; values are cast to the model's dtypes.

    Raises KeyError if the key sets differ and ValueError on a shape mismatch, naming the
    key and both shapes.
    """
    expected = model.state_dict()
    missing = sorted(expected.keys() - arrays.keys())
    unexpected = sorted(arrays.keys() - expected.keys())
    if missing or unexpected:
        raise KeyError(
            f"state dict keys differ from {type(model).__name__}'s: "
            f"missing {missing}, unexpected {unexpected}"
        )
    for name, target in expected.items():
        got = np.shape(arrays[name])
        if got != tuple(target.shape):
            raise ValueError(
                f"size mismatch for {name}: array has shape {got}, "
                f"the parameter in the model has shape {tuple(target.shape)}"
            )
    model.load_state_dict({name: torch.tensor(np.asarray(a)) for name, a in arrays.items()})


def optimizer_state_to_numpy(optimizer: torch.optim.Optimizer) -> dict:
    """``optimizer.state_dict()`` with every tensor (Adam's ``step``, ``exp_avg``,
    ``exp_avg_sq``; SGD's ``momentum_buffer``) copied to numpy; hyperparameters unchanged.
    """
    state_dict = optimizer.state_dict()
    return {
        "state": {
            index: {key: _to_numpy(value) for key, value in per_param.items()}
            for index, per_param in state_dict["state"].items()
        },
        "param_groups": copy.deepcopy(state_dict["param_groups"]),
    }


def load_numpy_optimizer_state(optimizer: torch.optim.Optimizer, state: dict) -> None:
    """Inverse of ``optimizer_state_to_numpy``: load its result into ``optimizer``."""
    optimizer.load_state_dict(
        {
            "state": {
                index: {key: _to_torch(value) for key, value in per_param.items()}
                for index, per_param in state["state"].items()
            },
            "param_groups": copy.deepcopy(state["param_groups"]),
        }
    )


def _to_numpy(value):
    """A tensor becomes a numpy copy; anything else (None, a number) passes through."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy()
    return value


def _to_torch(value):
    """A numpy array becomes a tensor that owns a copy, since optimizers update state in
    place (Adam's ``step += 1``) and must not write into the caller's array."""
    if isinstance(value, np.ndarray):
        return torch.tensor(value)
    return value
