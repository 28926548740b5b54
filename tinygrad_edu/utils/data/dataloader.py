"""DataLoader: a dataset served in (shuffled) batches, as in ``torch.utils.data``."""
from __future__ import annotations

import itertools
from typing import Callable, Iterable, Iterator

from ...random import Generator
from .collate import default_collate
from .dataset import Dataset, IterableDataset
from .sampler import RandomSampler, Sampler, SequentialSampler


class DataLoader:
    """Batches of a dataset: ``for images, labels in DataLoader(ds, batch_size=64, shuffle=True)``.

    Each epoch (each ``for`` loop over the loader) takes the sample order from ``sampler``
    (``shuffle=True`` means a :class:`RandomSampler` drawing from ``generator``, so a
    generator seeded the same way replays the same orders), cuts it into pieces of
    ``batch_size`` (the last one shorter, or dropped with ``drop_last=True``) and turns each
    piece into a batch with ``collate_fn`` (default: :func:`default_collate`). With the
    default collate, a dataset that defines ``__getbatch__(indices)`` builds each batch in
    one vectorised step instead of sample by sample.

    Data is loaded in the calling process. ``num_workers`` is accepted so PyTorch code runs
    unchanged, but no worker processes are started: the batches are exactly the ones the
    workers would have made, only the speed could differ. ``pin_memory`` is accepted and
    ignored (there is no GPU).
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False,
                 sampler: Sampler | Iterable[int] | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False, drop_last: bool = False,
                 generator: Generator | None = None):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if isinstance(dataset, IterableDataset):
            if shuffle:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
        elif sampler is None:
            sampler = RandomSampler(dataset, generator) if shuffle else SequentialSampler(dataset)
        elif shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.generator, self.num_workers = sampler, generator, num_workers
        self.collate_fn = collate_fn or default_collate

    def __len__(self) -> int:
        """Batches per epoch: ``ceil(samples / batch_size)``, or ``floor`` with ``drop_last``."""
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> "_LoaderIterator":
        return _LoaderIterator(self._batches())

    def _batches(self) -> Iterator:
        if self.sampler is None:  # an IterableDataset hands out samples itself
            for samples in _chunks(self.dataset, self.batch_size, self.drop_last):
                yield self.collate_fn(samples)
            return
        for indices in _chunks(self.sampler, self.batch_size, self.drop_last):
            yield self._fetch(indices)

    def _fetch(self, indices: list[int]):
        if self.collate_fn is default_collate and hasattr(self.dataset, "__getbatch__"):
            return self.dataset.__getbatch__(indices)
        if hasattr(self.dataset, "__getitems__"):
            return self.collate_fn(self.dataset.__getitems__(indices))
        return self.collate_fn([self.dataset[i] for i in indices])


class _LoaderIterator:
    """What ``iter(loader)`` returns: ``next(it)`` gives the next batch.

    Older PyTorch also spelled it ``it.next()``, as the tutorial does (``dataiter.next()``),
    so that works too.
    """

    def __init__(self, batches: Iterator):
        self._batches = batches

    def __iter__(self) -> "_LoaderIterator":
        return self

    def __next__(self):
        return next(self._batches)

    next = __next__


def _chunks(items: Iterable, size: int, drop_last: bool) -> Iterator[list]:
    """``items`` in consecutive lists of ``size``; a shorter last list unless ``drop_last``."""
    items = iter(items)
    while chunk := list(itertools.islice(items, size)):
        if len(chunk) < size and drop_last:
            return
        yield chunk
