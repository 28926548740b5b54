"""Collating: turning a list of samples into one batch, as PyTorch's ``default_collate`` does."""
from __future__ import annotations

import collections.abc

import numpy as np

from ... import dtypes
from ...creation import tensor
from ...functions import stack
from ...tensor import Tensor

_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def default_collate(batch: list):
    """Stack a list of samples into a batch that keeps the samples' structure.

    * tensors -> one tensor with a new first dim ``(N, *sample_shape)``
    * numpy arrays -> tensors, stacked the same way; numpy scalars -> a tensor of their dtype
    * Python floats -> a float64 tensor; ints -> int64; bools -> bool (PyTorch's dtypes)
    * strings -> left as they are
    * dicts -> a dict of batches, key by key (``{'image': (N, C, H, W), 'landmarks': (N, 5, 2)}``)
    * tuples and lists -> a list of batches, position by position; namedtuples keep their type
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSU":
            raise TypeError(_ERROR.format(elem.dtype))
        return _stack([Tensor._make(b) for b in batch])
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, np.generic):
        return Tensor._make(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(column) for column in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(column) for column in zip(*batch)]
    raise TypeError(_ERROR.format(type(elem)))


def _stack(tensors: list[Tensor]) -> Tensor:
    """``stack(tensors)``; without autograd (the usual case for data) one ``np.stack`` does it.

    Going through ``stack`` costs a recorded op per sample, which would dominate a small
    model's training step, so it is kept for tensors that want gradients.
    """
    if any(t.requires_grad for t in tensors) or any(t.shape != tensors[0].shape for t in tensors):
        return stack(tensors)  # differentiable, and raises PyTorch's error for unequal shapes
    return Tensor._make(np.stack([t.array for t in tensors]))
