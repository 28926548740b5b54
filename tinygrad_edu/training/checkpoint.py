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
Reading one checks all of it first (:func:`validate`), so a damaged or hand-made file is refused
in one line naming what is wrong, before any of it is used (and before a resume could overwrite it).
"""
from __future__ import annotations

import math
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
    """The training checkpoint at ``path``, its whole structure checked (:func:`validate`); a
    UserError if there is none, it isn't one, or any part of it is wrong."""
    checkpoint = _load(path)
    if not _is_training_checkpoint(checkpoint):
        raise UserError(f"{path} is not a checkpoint written by 'tinygrad-edu train' "
                        f"(it holds {_describe(checkpoint)})")
    validate(path, checkpoint)
    return checkpoint


def read_weights(path: str) -> tuple[str, dict[str, np.ndarray], str]:
    """``(model name, weights, dtype)`` from a training checkpoint, or from a bare
    ``state_dict`` of the MLP or CNN saved with ``tinygrad_edu.save`` (as the tutorial does)."""
    content = _load(path)
    if _is_training_checkpoint(content):
        validate(path, content)
        return content["model"], content["model_state_dict"], content["settings"]["dtype"]
    name = next((recipe.name for recipe in RECIPES.values() if recipe.classifier and isinstance(content, dict)
                 and content and set(content) == set(_shapes(recipe.name))), None)
    if name is None:
        raise UserError(f"{path} is neither a 'tinygrad-edu train' checkpoint nor a state_dict of the mlp or cnn "
                        f"(it holds {_describe(content)})")
    weights = {key: to_numpy(value) if hasattr(value, "detach") else np.asarray(value)
               for key, value in content.items()}
    dtype = str(next(iter(weights.values())).dtype)
    _check_weights(path, name, weights, dtype)
    return name, weights, dtype


# What each entry of a checkpoint must be: (test, what the message says it should be). The
# settings' ranges are the flags' (``cli.py``); their names are ``loop.Settings``' fields.
def _whole(low: int, high: float = math.inf, none: bool = False):
    return (lambda v: (v is None and none) or (isinstance(v, int) and not isinstance(v, bool) and low <= v < high),
            f"a whole number from {low}" + (f" to {high - 1}" if high < math.inf else "")
            + (" or None" if none else ""))


def _number(low: float = -math.inf, none: bool = False):
    return (lambda v: (v is None and none) or (isinstance(v, (int, float)) and not isinstance(v, bool)
                                               and math.isfinite(v) and v >= low),
            "a finite number" + (f" >= {low:g}" if low > -math.inf else "") + (" or None" if none else ""))


def _one_of(*choices):
    return (lambda v: isinstance(v, str) and v in choices, " or ".join(repr(c) for c in choices))


def _list_of(test):
    check, what = test
    return (lambda v: isinstance(v, list) and all(check(x) for x in v), f"a list, each item {what}")


_POSITIVE = (lambda v: _number()[0](v) and v > 0, "a finite number > 0")
_TEXT = (lambda v: isinstance(v, str), "text")
_DICT = (lambda v: isinstance(v, dict), "a dict")
SETTINGS = {"backend": _one_of("edu", "torch"), "optimizer": _one_of("sgd", "adam"), "lr": _POSITIVE,
            "batch_size": _whole(1, none=True), "seed": _whole(0, 2**64), "dtype": _one_of("float32", "float64"),
            "limit_train": _whole(1, none=True), "epochs": _whole(1)}
PROGRESS = {"epoch": _whole(0), "step": _whole(0), "seconds": _number(0), "step_losses": _list_of(_number()),
            "train_loss": _list_of(_number()), "test_accuracy": _list_of(_number(0, none=True)),
            "epoch_seconds": _list_of(_number(0))}
DATA = {"kind": _TEXT, "train_samples": _whole(1), "test_samples": _whole(0)}
CHECKPOINT = {"format": _TEXT, "epoch": _whole(0), "step": _whole(0), "loss": _number(none=True),
              "model_state_dict": _DICT, "optimizer_state_dict": _DICT, "model": _one_of(*RECIPES),
              "backend": _one_of("edu", "torch"), "settings": _DICT, "data_source": _TEXT, "data": _DICT,
              "progress": _DICT}


def validate(path: str, checkpoint: dict) -> None:
    """Every part of a training checkpoint, before any is used: its keys, each value's type and
    range, that they agree (epoch and step with the progress and settings), the weights fit the
    model and the optimizer state fits the weights. A UserError names the path and the first
    thing that is wrong."""
    _check_entries(path, checkpoint, CHECKPOINT, "")
    settings, progress = checkpoint["settings"], checkpoint["progress"]
    _check_entries(path, settings, SETTINGS, "settings.")
    _check_entries(path, progress, PROGRESS, "progress.")
    _check_entries(path, checkpoint["data"], DATA, "data.")
    epoch, step, epochs = checkpoint["epoch"], checkpoint["step"], settings["epochs"]
    samples = checkpoint["data"]["train_samples"]
    steps_per_epoch = math.ceil(samples / min(settings["batch_size"] or samples, samples))
    for what, wrong in [
        (f"epoch {epoch} and step {step}, but its progress says epoch {progress['epoch']} and step {progress['step']}",
         (progress["epoch"], progress["step"]) != (epoch, step)),
        (f"backend {checkpoint['backend']!r}, but its settings say {settings['backend']!r}",
         checkpoint["backend"] != settings["backend"]),
        (f"epoch {epoch} of {epochs}", epoch > epochs or (epoch == epochs and step > 0)),
        (f"{epoch} epochs done, but its progress holds {len(progress['train_loss'])} train_loss, "
         f"{len(progress['test_accuracy'])} test_accuracy and {len(progress['epoch_seconds'])} epoch_seconds entries",
         not epoch == len(progress["train_loss"]) == len(progress["test_accuracy"]) == len(progress["epoch_seconds"])),
        (f"step {step} of an epoch of {steps_per_epoch} steps", step > steps_per_epoch),
        (f"{epoch} epochs of {steps_per_epoch} steps and {step} steps done, but {len(progress['step_losses'])} "
         "step losses", len(progress["step_losses"]) != epoch * steps_per_epoch + step),
    ]:
        if wrong:
            raise UserError(f"{path}: the checkpoint is inconsistent: it says {what}")
    _check_weights(path, checkpoint["model"], checkpoint["model_state_dict"], settings["dtype"])
    _check_optimizer_state(path, checkpoint["model"], checkpoint["optimizer_state_dict"], settings["optimizer"])


def _check_entries(path: str, content: dict, schema: dict, prefix: str) -> None:
    missing = [prefix + key for key in sorted(set(schema) - set(content))]
    extra = [prefix + str(key) for key in sorted(map(str, set(content) - set(schema)))]
    if missing or extra:
        what = "; ".join(f"{label} {', '.join(keys)}" for label, keys in (("missing", missing), ("unexpected", extra))
                         if keys)
        raise UserError(f"{path}: not a whole 'tinygrad-edu train' checkpoint: {what}")
    for key, (check, expected) in schema.items():
        if not check(content[key]):
            raise UserError(f"{path}: {prefix}{key} is {_describe(content[key])}; expected {expected}")


def _check_weights(path: str, name: str, weights: dict, dtype: str) -> None:
    """The weights fit the model (names and shapes), are floats of ``dtype``, and hold no NaN or infinity."""
    expected = _shapes(name)
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
        if w.dtype != dtype:
            raise UserError(f"{path}: the weights don't fit the {name} model: {key} is {w.dtype}, "
                            f"the checkpoint's dtype is {dtype}")
        if not np.isfinite(w).all():
            raise UserError(f"{path}: {key} holds NaN or infinite values (the run that saved it diverged)")


def _check_optimizer_state(path: str, name: str, saved: dict, optimizer: str) -> None:
    """``optimizer.state_dict()`` as either backend saves it, for this model's parameters: one
    group holding parameters 0..n-1 in order, the optimizer's hyperparameters, and per
    parameter a step count and buffers of the parameter's shape."""
    shapes = list(_shapes(name).values())
    if set(saved) != {"state", "param_groups"} or not isinstance(saved["state"], dict) \
            or not isinstance(saved["param_groups"], list):
        raise UserError(f"{path}: optimizer_state_dict is not an optimizer's state_dict "
                        f"(expected a dict of 'state' and 'param_groups', got {_describe(saved)})")
    groups = saved["param_groups"]
    hyper = {"sgd": "momentum", "adam": "betas"}[optimizer]
    if len(groups) != 1 or not isinstance(groups[0], dict) or not _POSITIVE[0](groups[0].get("lr")) \
            or hyper not in groups[0]:
        raise UserError(f"{path}: optimizer_state_dict's param_groups are not those of one {optimizer} "
                        f"optimizer (expected one group with lr and {hyper})")
    if groups[0].get("params") != list(range(len(shapes))):
        raise UserError(f"{path}: optimizer_state_dict is for other parameters than the {name} model's "
                        f"{len(shapes)} (its params are {_describe(groups[0].get('params'))})")
    for index, state in saved["state"].items():
        if not (isinstance(index, int) and 0 <= index < len(shapes)) or not isinstance(state, dict):
            raise UserError(f"{path}: optimizer_state_dict holds state for parameter {index!r}, but the {name} "
                            f"model has parameters 0 to {len(shapes) - 1}")
        for key, value in state.items():
            shape = () if key == "step" else shapes[index]
            if not (isinstance(value, np.ndarray) and value.shape == shape and value.dtype.kind == "f"
                    and np.isfinite(value).all()) and not (key == "step" and _number(0)[0](value)):
                raise UserError(f"{path}: optimizer_state_dict doesn't fit the {name} model: {key} of parameter "
                                f"{index} is {_describe(value)}, expected finite floats of shape {shape}")


def _shapes(name: str) -> dict[str, tuple]:
    return {key: tuple(t.shape) for key, t in RECIPES[name].build(tinygrad_edu).state_dict().items()}


def _describe(value) -> str:
    """A few words on what ``value`` is, for a message."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{'a tensor' if hasattr(value, 'detach') else 'an array'} of shape {tuple(value.shape)} ({value.dtype})"
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:6]) + (", ..." if len(value) > 6 else "")
        return f"a dict with keys {keys}" if value else "an empty dict"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return repr(value) if isinstance(value, (bool, int, float, type(None))) else f"a {type(value).__name__}"


def _load(path: str):
    if os.path.isdir(path):
        raise UserError(f"{path} is a folder, not a checkpoint file")
    if not os.path.isfile(path):
        raise UserError(f"no checkpoint at {path}")
    try:
        return load(path)
    except (RuntimeError, OSError) as e:
        raise UserError(f"can't read checkpoint: {e}") from None


def _is_training_checkpoint(content) -> bool:
    return isinstance(content, dict) and content.get("format") == FORMAT
