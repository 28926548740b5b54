"""The samples a run trains and tests on, as numpy arrays shared by both backends.

Loading once in numpy and handing the very same arrays to either framework is what makes
``--backend edu`` and ``--backend torch`` see identical samples.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..tutorial import linreg_data, logreg_data
from ..vision.datasets import MNIST, load_mnist

from .errors import UserError
from .recipes import Recipe

DEFAULT_DATA_ROOT = "./data"  # the tutorial's MNIST(root='./data')


@dataclass
class Samples:
    """Training and test arrays and a one-line description of where they came from.

    Digits: ``x`` ``(N, 1, 28, 28)`` normalised to [-1, 1], ``y`` ``(N,)`` int64 labels.
    Regressions: ``x``, ``y`` ``(N, 1)``; the tutorial has no test split, so test = train.
    ``kind`` is "mnist", "builtin", "linreg" or "logreg".
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    kind: str

    def identity(self) -> dict:
        """What a resumed run must find again: the same kind of data and as many samples."""
        return {"kind": self.kind, "train_samples": len(self.x_train), "test_samples": len(self.x_test)}


def load(recipe: Recipe, data_root: str | None, seed: int, dtype: str, limit_train: int | None) -> Samples:
    """The recipe's data as ``dtype``, keeping only the first ``limit_train`` training samples.

    Digits: full MNIST when ``data_root`` (default ``./data``) holds it in torchvision's layout,
    else the built-in digits. A ``data_root`` that was named but doesn't exist, or MNIST files
    that are damaged, are errors rather than a quiet fallback.
    """
    if recipe.classifier:
        samples = _digits(data_root, dtype)
    else:
        x, y = linreg_data() if recipe.name == "linreg" else logreg_data(seed)
        source = ("the tutorial's 6 points" if recipe.name == "linreg"
                  else f"the tutorial's 20 noisy sigmoid points (noise seed {seed})")
        x, y = x.astype(dtype), y.astype(dtype)
        samples = Samples(x, y, x, y, source, recipe.name)
    if limit_train is not None and limit_train < len(samples.x_train):
        samples.x_train, samples.y_train = samples.x_train[:limit_train], samples.y_train[:limit_train]
        samples.source += f"; training on the first {limit_train:,} samples only"
    return samples


def _digits(data_root: str | None, dtype: str) -> Samples:
    root = DEFAULT_DATA_ROOT if data_root is None else data_root
    if data_root is not None and not os.path.isdir(data_root):
        raise UserError(f"--data-root {data_root}: no such folder")
    if MNIST.exists(root, train=True) != MNIST.exists(root, train=False):
        raise UserError(f"{os.path.join(root, 'MNIST', 'raw')} holds only one of MNIST's training and test "
                        "files; put all four there (or remove them to use the built-in digits)")
    try:
        train, test = load_mnist(root, train=True), load_mnist(root, train=False)
    except (ValueError, RuntimeError, OSError) as e:
        raise UserError(f"can't read MNIST from {root}: {e}".replace("\n", " ")) from None
    if train.is_builtin:
        source = (f"built-in digits: the package's 5,000 MNIST digits, {len(train):,} train / {len(test):,} test "
                  f"(no MNIST in {os.path.join(root, 'MNIST', 'raw')})")
    else:
        source = f"MNIST from {train.raw_folder}: {len(train):,} train / {len(test):,} test"
    return Samples(_normalise(train.data, dtype), train.targets, _normalise(test.data, dtype), test.targets, source,
                   "builtin" if train.is_builtin else "mnist")


def _normalise(images: np.ndarray, dtype: str) -> np.ndarray:
    """uint8 ``(N, 28, 28)`` -> ``(N, 1, 28, 28)`` in [-1, 1]: the tutorial's
    ``ToTensor()`` (x / 255) then ``Normalize((0.5,), (0.5,))`` ((x - 0.5) / 0.5)."""
    x = images.astype(dtype)[:, None] / np.array(255, dtype=dtype)
    return (x - np.array(0.5, dtype=dtype)) / np.array(0.5, dtype=dtype)
