"""Image helpers, as in ``torchvision.utils``."""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor


def make_grid(tensor: Tensor | list[Tensor], nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a batch of images ``(B, C, H, W)`` (or a list of ``(C, H, W)``) into one image.

    The result is ``(C', rows * (H + padding) + padding, cols * (W + padding) + padding)``
    with ``cols = min(nrow, B)``, images placed row by row, gaps filled with ``pad_value``.
    Single-channel images are repeated to 3 channels (C' = 3), ready to show as RGB; a
    single image comes back without padding. ``normalize=True`` maps ``value_range`` (default:
    the min and max of the batch, or of each image with ``scale_each``) onto [0, 1], clamping.
    The output is identical to torchvision's.
    """
    if isinstance(tensor, list):
        if not all(isinstance(t, Tensor) for t in tensor):
            bad = next(type(t) for t in tensor if not isinstance(t, Tensor))
            raise TypeError(f"tensor or list of tensors expected, got a list containing {bad}")
        x = np.stack([t.detach().numpy() for t in tensor])
    elif isinstance(tensor, Tensor):
        x = tensor.detach().numpy()
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")

    if x.ndim == 2:  # one image (H, W)
        x = x[None]
    if x.ndim == 3:  # one image (C, H, W)
        x = (np.concatenate([x] * 3) if x.shape[0] == 1 else x)[None]
    if x.shape[1] == 1:
        x = np.concatenate([x] * 3, axis=1)

    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        x = np.stack([_rescale(img, value_range) for img in x]) if scale_each else _rescale(x, value_range)

    if x.shape[0] == 1:
        return Tensor._make(x[0].copy())
    n, channels, h, w = x.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    cell_h, cell_w = h + padding, w + padding
    grid = np.full((channels, rows * cell_h + padding, cols * cell_w + padding), pad_value, dtype=x.dtype)
    for k in range(n):
        top, left = (k // cols) * cell_h + padding, (k % cols) * cell_w + padding
        grid[:, top:top + h, left:left + w] = x[k]
    return Tensor._make(grid)


def _rescale(x: np.ndarray, value_range: tuple[float, float] | None) -> np.ndarray:
    """Clamp ``x`` to [low, high] and map it onto [0, 1] (low/high default to x's min/max)."""
    low, high = value_range if value_range is not None else (float(x.min()), float(x.max()))
    return (np.clip(x, low, high) - low) / max(high - low, 1e-5)
