"""Utilities around the engine, laid out like ``torch.utils``: ``utils.data`` loads datasets in batches."""
from . import data
