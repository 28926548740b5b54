"""Samplers: which sample indices a DataLoader visits, and in what order."""
from __future__ import annotations

from typing import Iterator, Sized

from ...creation import randperm
from ...random import Generator


class Sampler:
    """Yields dataset indices; ``len()`` says how many."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1, every epoch the same."""

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation of the indices each time it is iterated (each epoch).

    The permutation comes from ``generator`` (default: the global generator that
    ``tinygrad_edu.manual_seed`` seeds), so a generator seeded the same way gives the same
    order, epoch after epoch.
    """

    def __init__(self, data_source: Sized, generator: Generator | None = None):
        self.data_source, self.generator = data_source, generator

    def __iter__(self) -> Iterator[int]:
        return iter(randperm(len(self.data_source), generator=self.generator).tolist())

    def __len__(self) -> int:
        return len(self.data_source)
