"""Datasets and the DataLoader that batches them, laid out like ``torch.utils.data``.

``dataset.py`` holds what a sample is (``Dataset``, ``TensorDataset``, ``Subset``...),
``sampler.py`` the order samples are visited in, ``collate.py`` how samples become a batch,
and ``dataloader.py`` the loop that ties the three together.
"""
from .collate import default_collate
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import RandomSampler, Sampler, SequentialSampler

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "Subset", "TensorDataset", "default_collate", "random_split"]
