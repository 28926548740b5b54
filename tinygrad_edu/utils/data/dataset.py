"""Datasets: things you can index to get one sample, and ask for their length (map-style),
or iterate over (iterable-style), as in ``torch.utils.data``.

A map-style dataset may also define ``__getbatch__(indices)``, returning the batch that
``default_collate([self[i] for i in indices])`` would build, but made in one vectorised
step (one numpy fancy-index instead of a Python loop over samples). ``DataLoader`` uses it
when it collates with the default. This hook is tinygrad_edu's own; PyTorch's similar
``__getitems__`` returns a list of samples that still get collated, and is honoured too.
"""
from __future__ import annotations

import bisect
import math
from typing import Iterable, Sequence

import numpy as np

from ...creation import randperm
from ...random import Generator
from ...tensor import Tensor
from .collate import default_collate


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"Subclasses of Dataset should implement __getitem__ "
                                  f"({type(self).__name__} does not)")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """An iterable-style dataset: subclasses define ``__iter__``, yielding one sample at a time."""

    def __iter__(self):
        raise NotImplementedError(f"Subclasses of IterableDataset should implement __iter__ "
                                  f"({type(self).__name__} does not)")


class TensorDataset(Dataset):
    """Sample ``i`` is ``(tensors[0][i], tensors[1][i], ...)``; all tensors share their first dim."""

    def __init__(self, *tensors: Tensor):
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError("Size mismatch between tensors: first dims are "
                             f"{[t.shape[0] for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getbatch__(self, indices: Sequence[int]) -> list:
        """``[x[indices], y[indices], ...]``: each tensor gathered once, not stacked sample by sample."""
        index = Tensor._make(np.asarray(indices, dtype=np.int64))
        return [t[index] for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)

    def __getbatch__(self, indices: Sequence[int]):
        picked = [self.indices[i] for i in indices]
        if hasattr(self.dataset, "__getbatch__"):
            return self.dataset.__getbatch__(picked)
        return default_collate([self.dataset[i] for i in picked])


class ConcatDataset(Dataset):
    """Several datasets one after another: index ``len(a)`` is the first sample of ``b``."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        if any(isinstance(d, IterableDataset) for d in self.datasets):
            raise ValueError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given ``lengths``.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1;
    fractions are floored and the leftover samples handed out one each, round robin, from
    the first subset on (PyTorch's rule). ``generator`` (default: the global one) fixes
    which samples land where.
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = randperm(n, generator=generator).tolist()
    ends = np.cumsum(lengths).tolist()
    return [Subset(dataset, order[end - length:end]) for length, end in zip(lengths, ends)]
