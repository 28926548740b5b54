"""CIFAR's python batches: pickles, read without ever running code from the file.

A pickle is a small program: its ``GLOBAL`` opcodes name any importable callable and its
``REDUCE`` opcodes call it, so ``pickle.load`` on a stranger's file can run
``os.system``. :func:`load_batch` unpickles with a restricted unpickler that resolves only
the few globals a CIFAR batch needs to rebuild its numpy array, and refuses every other
global before it is imported, naming the file and the global. The file must also be a
regular file under :data:`MAX_BATCH_BYTES`, and the result a dict.
"""
from __future__ import annotations

import codecs
import os
import pickle

import numpy as np

from .io import open_regular_file

MAX_BATCH_BYTES = 1 << 28  # a CIFAR-10 batch is 31 MB, CIFAR-100's training file 155 MB


def _allowed_globals() -> dict[tuple[str, str], object]:
    """The globals a CIFAR batch may name: numpy's array reconstruction (``_reconstruct``, and
    ``_frombuffer`` for pickle protocol 5; under numpy 1.x's module names, ``numpy.core``, and
    2.x's, ``numpy._core``), and what a protocol-2 pickle written by Python 3 uses to rebuild
    bytes: ``_codecs.encode`` for latin-1 only, and ``bytes()`` with no argument for empty ones.
    None of them can run code, touch files or allocate more than the file holds."""
    array = np.zeros(0)
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype, ("_codecs", "encode"): _latin1_encode,
               ("__builtin__", "bytes"): _empty_bytes, ("builtins", "bytes"): _empty_bytes}
    for core in ("numpy.core", "numpy._core"):
        allowed[(f"{core}.multiarray", "_reconstruct")] = array.__reduce_ex__(2)[0]
        allowed[(f"{core}.numeric", "_frombuffer")] = array.__reduce_ex__(5)[0]
    return allowed


def _latin1_encode(text: str, encoding: str) -> bytes:
    if encoding not in ("latin1", "latin-1"):
        raise _RefusedGlobal(f"refused _codecs.encode with encoding {encoding!r}: only latin1 rebuilds bytes")
    return codecs.encode(text, "latin1")


def _empty_bytes(*args) -> bytes:
    if args:  # bytes(n) would allocate n bytes that the file never held
        raise _RefusedGlobal(f"refused bytes{args!r}: only bytes() rebuilds empty bytes")
    return b""


class _RefusedGlobal(pickle.UnpicklingError):
    pass


class _BatchUnpickler(pickle.Unpickler):
    def __init__(self, file, path: str):
        super().__init__(file, encoding="latin1")  # as torchvision: Python 2's str becomes str
        self.path, self.allowed = path, _allowed_globals()

    def find_class(self, module: str, name: str):
        if (module, name) not in self.allowed:
            raise _RefusedGlobal(f"refused to unpickle the global {module}.{name}: a CIFAR batch holds "
                                         "only numpy arrays, lists, strings and numbers (this file could run code)")
        return self.allowed[(module, name)]


def load_batch(path: str | os.PathLike) -> dict[str, object]:
    """The dict pickled in a CIFAR batch file, with ``str`` keys (``bytes`` keys are decoded).

    Errors are one-line ValueErrors naming the file: not a regular file, too big, a global
    other than numpy's array reconstruction, not a pickle, not a dict.
    """
    path = os.fspath(path)
    with open_regular_file(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_BATCH_BYTES:
            raise ValueError(f"{path}: the file has {size:,} bytes, more than a CIFAR batch's bound "
                             f"MAX_BATCH_BYTES = {MAX_BATCH_BYTES:,}")
        try:
            entry = _BatchUnpickler(f, path).load()
        except _RefusedGlobal as e:
            raise ValueError(f"{path}: {e}") from None
        except Exception as e:  # a damaged pickle can raise almost anything: say so in one line
            raise ValueError(f"{path}: not a readable CIFAR batch ({type(e).__name__}: {e})") from None
    if not isinstance(entry, dict):
        raise ValueError(f"{path}: holds a pickled {type(entry).__name__}; a CIFAR batch is a dict")
    return {key.decode("latin1") if isinstance(key, bytes) else key: value for key, value in entry.items()}
