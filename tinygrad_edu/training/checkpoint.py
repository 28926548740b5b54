"""The checkpoint file: the tutorial's dict, plus what it takes to resume exactly.

The tutorial saves ``{'epoch', 'model_state_dict', 'optimizer_state_dict', 'loss'}``. A
checkpoint written by ``tinygrad-edu train`` holds those four and:

* ``step``: steps done in epoch ``epoch`` when it was saved. ``epoch`` counts the epochs
  completed (so it is also the 0-based index of the one in progress): a finished run has
  ``epoch == epochs`` and ``step == 0``;
* ``format``, ``model``, ``backend`` and ``settings`` (optimizer, lr, batch size, seed, dtype,
  limit on training samples, target epochs): what a resumed run must repeat;
* ``data_source`` (one line) and ``data`` (the kind of data and the sample counts, which a
  resumed run must find again);
* ``progress``: the steps done in the current epoch and the seconds spent in it, and the
  history (every step's loss, and per epoch the mean training loss, test accuracy and
  seconds), so the metrics of a resumed run cover the whole run.

There is no random-number state to store: the order samples are visited in during epoch
``e`` is drawn from a generator seeded with ``(seed, e)`` alone (see ``loop.epoch_order``).

Weights and optimizer state are numpy arrays whichever backend trained them, and the file
is always written with ``tinygrad_edu.save`` (safetensors: raw arrays and JSON, never a
pickle). So ``predict`` and either backend read any checkpoint, and loading one can't run code.
"""
from __future__ import annotations

import os

import numpy as np

import tinygrad_edu
from tinygrad_edu.serialization import load, save as save_file
from .backends import to_numpy
from .errors import UserError
from .recipes import RECIPES

FORMAT = "tinygrad-edu train checkpoint, version 1"


def save(path: str, checkpoint: dict) -> None:
    save_file({"format": FORMAT, **checkpoint}, path)


def read(path: str) -> dict:
    """The training checkpoint at ``path``; a UserError if there is none or it isn't one."""
    checkpoint = _load(path)
    if not _is_training_checkpoint(checkpoint):
        raise UserError(f"{path} is not a checkpoint written by 'tinygrad-edu train'")
    return checkpoint


def read_weights(path: str) -> tuple[str, dict[str, np.ndarray], str]:
    """``(model name, weights, dtype)`` from a training checkpoint, or from a bare
    ``state_dict`` of the MLP or CNN saved with ``tinygrad_edu.save`` (as the tutorial does)."""
    content = _load(path)
    if _is_training_checkpoint(content):
        name, weights, dtype = content["model"], content["model_state_dict"], content["settings"]["dtype"]
    else:
        name = next((recipe.name for recipe in RECIPES.values() if recipe.classifier and isinstance(content, dict)
                     and content and set(content) == set(recipe.build(tinygrad_edu).state_dict())), None)
        if name is None:
            raise UserError(f"{path} is neither a 'tinygrad-edu train' checkpoint nor a state_dict of the mlp or cnn")
        weights = {key: to_numpy(value) if hasattr(value, "detach") else np.asarray(value)
                   for key, value in content.items()}
        dtype = str(next(iter(weights.values())).dtype)
    _check_weights(path, name, weights, dtype)
    return name, weights, dtype


def _check_weights(path: str, name: str, weights: dict, dtype: str) -> None:
    """The weights fit the model (names and shapes), are floats, and hold no NaN or infinity."""
    expected = {key: tuple(t.shape) for key, t in RECIPES[name].build(tinygrad_edu).state_dict().items()}
    if dtype not in ("float32", "float64"):
        raise UserError(f"{path}: the weights are {dtype}; the {name} model needs float32 or float64")
    if not isinstance(weights, dict) or set(weights) != set(expected):
        raise UserError(f"{path}: the weights don't fit the {name} model (expected {sorted(expected)})")
    for key, shape in expected.items():
        w = weights[key]
        if not isinstance(w, np.ndarray) or w.shape != shape:
            got = tuple(w.shape) if isinstance(w, np.ndarray) else type(w).__name__
            raise UserError(f"{path}: the weights don't fit the {name} model: {key} has shape {got}, "
                            f"the model's is {shape}")
        if not np.isfinite(w).all():
            raise UserError(f"{path}: {key} holds NaN or infinite values (the run that saved it diverged)")


def _load(path: str):
    if not os.path.isfile(path):
        raise UserError(f"no checkpoint at {path}")
    try:
        return load(path)
    except (RuntimeError, OSError) as e:
        raise UserError(f"can't read checkpoint: {e}") from None


def _is_training_checkpoint(content) -> bool:
    return isinstance(content, dict) and content.get("format") == FORMAT
