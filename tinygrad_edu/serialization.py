"""``save`` and ``load``: checkpoints without pickle, so loading a file can never run code.

``torch.save`` pickles, and unpickling a file can run any code its author chose. This engine
writes a plain format instead, and reads nothing else.

The format (version 1)
----------------------
A zip archive (members stored uncompressed) holding:

* ``manifest.json``: ``{"format": "tinygrad_edu.checkpoint", "version": 1, "data": NODE}``,
* ``arrays/<n>.npy``: one ``.npy`` file per tensor or numpy array, written by ``np.save``
  with ``allow_pickle=False`` (so never an object array).

A NODE describes one saved object:

* ``str``, ``int``, ``bool``, ``None`` and finite ``float`` are stored as themselves (JSON
  keeps 1 and 1.0 apart, and Python writes floats with every digit they need);
* ``{"type": "float", "bits": "7ff8000000000000"}``: a NaN or infinity, as its 8 IEEE bytes;
* ``{"type": "list" | "tuple", "items": [NODE, ...]}``;
* ``{"type": "dict" | "OrderedDict", "items": [[KEY, NODE], ...]}``, in the dict's order;
  a KEY is a str, int, bool or None (optimizer state dicts use int keys);
* ``{"type": "tensor" | "parameter", "file": "arrays/0.npy", "dtype": "float32",
  "shape": [10, 784], "requires_grad": false}`` ("parameter" for an ``nn.Parameter``);
* ``{"type": "ndarray" | "numpy_scalar", "file": ..., "dtype": "float64", "shape": [...]}``,
  the dtype as ``str(array.dtype)``.

A tensor object that appears twice (tied weights) is stored once and loads as one object.
Tensors load as leaves on the CPU, with their ``requires_grad`` flag but without ``.grad``
(a saved loss loads as a leaf that requires grad, as in PyTorch).

Reading checks everything: the format name and version, each node's type and fields, and
that each array's dtype and shape match its node; arrays are read with numpy's ``.npy``
reader alone, with pickles refused. Any mismatch is a RuntimeError naming the file.
"""
from __future__ import annotations

import io
import json
import math
import os
import secrets
import struct
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, BinaryIO, Union

import numpy as np

from . import dtypes
from ._device import device
from .tensor import Tensor

FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1
MANIFEST = "manifest.json"

FileLike = Union[str, os.PathLike, BinaryIO]

_ZIP_MAGIC = b"PK\x03\x04"
_DTYPES = {d.name: d for d in dtypes.ALL}
_CONTAINERS = {list: "list", tuple: "tuple", dict: "dict", OrderedDict: "OrderedDict"}
_KEY_TYPES = (str, int, bool, type(None))


class _Unreadable(Exception):
    """Why a file can't be loaded; ``load`` turns it into a RuntimeError naming the file."""


# ---------------------------------------------------------------------------------- save


def save(obj: Any, f: FileLike) -> None:
    """Write ``obj`` (nested dicts, lists, tuples, tensors, numpy arrays, numbers, strings)
    to ``f``, a path or a binary file object, e.g. ``save(model.state_dict(), PATH)``.

    Saving to a path is atomic: the checkpoint goes to a temporary file in the same
    directory, which replaces ``f`` only once it is complete and on disk. A failed save
    leaves the previous file as it was (a process killed mid-save can leave a
    ``.NAME.*.tmp`` file behind, never a damaged checkpoint).

    Raises TypeError for objects that would need pickle, such as a whole ``nn.Module``.
    """
    if not isinstance(f, (str, os.PathLike)):
        _write_archive(obj, f)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"can't save to {path}: directory {directory} does not exist")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 gives the file the user's usual permissions (umask applies)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            _write_archive(obj, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable; Windows can't open a directory, and needs no fsync."""
    if os.name == "posix":
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_archive(obj: Any, out: BinaryIO) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        data = _Encoder(zf).encode(obj, "obj")
        manifest = {"format": FORMAT, "version": VERSION, "data": data}
        zf.writestr(MANIFEST, json.dumps(manifest, allow_nan=False))


class _Encoder:
    """Turns an object into a manifest node, writing its arrays into the zip as it goes."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.written: dict[int, dict] = {}  # id(tensor or array) -> its node, to store it once
        self.enclosing: set[int] = set()  # containers being encoded, to catch one inside itself

    def encode(self, obj: Any, where: str) -> Any:
        """The node for ``obj``; ``where`` names it for errors, e.g. ``obj['state'][0]``."""
        if obj is None or type(obj) in (str, int, bool):
            return obj
        if type(obj) is float:
            if math.isfinite(obj):
                return obj
            return {"type": "float", "bits": struct.pack(">d", obj).hex()}
        if isinstance(obj, Tensor):
            return self._array(obj, obj.array, _tensor_kind(obj, where), where, requires_grad=obj.requires_grad)
        if type(obj) is np.ndarray:
            return self._array(obj, obj, "ndarray", where)
        if isinstance(obj, np.generic):
            return self._array(obj, np.asarray(obj), "numpy_scalar", where)
        if type(obj) in _CONTAINERS:
            if id(obj) in self.enclosing:
                raise ValueError(f"can't save {where}: it contains itself")
            self.enclosing.add(id(obj))
            node = {"type": _CONTAINERS[type(obj)], "items": self._items(obj, where)}
            self.enclosing.discard(id(obj))
            return node
        raise _unsupported(obj, where)

    def _items(self, obj, where: str) -> list:
        if not isinstance(obj, dict):
            return [self.encode(x, f"{where}[{i}]") for i, x in enumerate(obj)]
        items = []
        for key, value in obj.items():
            if type(key) not in _KEY_TYPES:
                raise TypeError(f"can't save {where}: dict keys must be str, int, bool or None, "
                                f"not {type(key).__name__} ({key!r})")
            items.append([key, self.encode(value, f"{where}[{key!r}]")])
        return items

    def _array(self, obj, array: np.ndarray, kind: str, where: str, **extra) -> dict:
        if id(obj) in self.written:
            return self.written[id(obj)]
        if array.dtype.hasobject:
            raise TypeError(f"can't save {where}: a numpy array of Python objects needs pickle, "
                            "which tinygrad_edu refuses by design")
        node = {"type": kind, "file": f"arrays/{len(self.written)}.npy", "dtype": str(array.dtype),
                "shape": list(array.shape), **extra}
        with self.zf.open(node["file"], "w", force_zip64=True) as member:
            np.save(member, array, allow_pickle=False)
        self.written[id(obj)] = node
        return node


def _tensor_kind(t: Tensor, where: str) -> str:
    from .nn.parameter import Parameter  # imported here because nn builds on this package
    if type(t) is Tensor or type(t) is Parameter:
        return type(t).__name__.lower()
    raise TypeError(f"can't save {where}: {type(t).__name__} is a Tensor subclass save does not know; "
                    "save a plain tensor (t.detach()) instead")


def _unsupported(obj: Any, where: str) -> TypeError:
    name = type(obj).__name__
    if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):
        return TypeError(
            f"can't save {where}, a whole model ({name}): that needs pickle, which tinygrad_edu refuses "
            "by design because loading a pickle can run arbitrary code. Save the weights instead: "
            "torch.save(model.state_dict(), PATH), then later model.load_state_dict(torch.load(PATH))")
    if hasattr(obj, "state_dict"):
        return TypeError(f"can't save {where} ({name}): save its state_dict() instead")
    return TypeError(
        f"can't save {where} of type {name}: save stores dicts, lists, tuples, tensors, numpy arrays, "
        "str, int, float, bool and None; other objects would need pickle, which tinygrad_edu refuses "
        "by design")


# ---------------------------------------------------------------------------------- load


def load(f: FileLike, map_location=None, weights_only: bool = True) -> Any:
    """Read what ``save`` wrote to ``f`` (a path or a binary file object).

    ``map_location``: everything loads on the CPU, so ``None``, ``"cpu"``, ``device("cpu")``,
    a dict whose targets are the CPU (``{"cuda:0": "cpu"}``) and a function are accepted and
    change nothing; naming a CUDA device is a RuntimeError. ``weights_only`` is accepted for
    PyTorch compatibility: loading is always weights-only, ``False`` does not enable pickle.

    Raises RuntimeError, naming the file, for anything that is not an intact checkpoint
    written by ``save``: a pickle, a PyTorch checkpoint, a truncated or tampered file.
    """
    _check_map_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        name = os.fspath(f)
        with open(name, "rb") as stream:
            return _read_file(stream, name)
    name = f.name if isinstance(getattr(f, "name", None), str) else f"<{type(f).__name__}>"
    if not f.seekable():  # zipfile reads the table of contents at the end first
        f = io.BytesIO(f.read())
    return _read_file(f, name)


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location):
        return
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        device(target)  # the CPU is the only device; anything else raises, naming it


def _read_file(stream: BinaryIO, name: str) -> Any:
    try:
        return _read_archive(stream)
    except _Unreadable as e:
        raise RuntimeError(f"{name} {e}") from None
    # everything a damaged zip, .npy header or JSON text can raise while being read
    except (zipfile.BadZipFile, ValueError, EOFError, zlib.error, NotImplementedError,
            RecursionError, OverflowError) as e:
        raise RuntimeError(f"{name} is truncated or corrupt ({type(e).__name__}: {e})") from e


def _read_archive(stream: BinaryIO) -> Any:
    start = stream.tell()
    head = stream.read(4)
    stream.seek(start)
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise _Unreadable("is not a tinygrad_edu checkpoint: it is a pickle (from pickle.dump or an "
                          "old torch.save), and tinygrad_edu never unpickles, since loading a pickle "
                          "can run arbitrary code")
    if not head.startswith(_ZIP_MAGIC):
        if _ZIP_MAGIC.startswith(head):  # empty, or cut off inside the first bytes
            raise _Unreadable("is truncated or corrupt (too short to be a checkpoint)")
        raise _Unreadable(f"is not a tinygrad_edu checkpoint (not a zip archive; it starts with {head!r})")
    with zipfile.ZipFile(stream) as zf:
        names = set(zf.namelist())
        if MANIFEST not in names:
            if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
                raise _Unreadable(
                    "is not a tinygrad_edu checkpoint: this looks like a PyTorch checkpoint (torch.save "
                    "stores a pickle, data.pkl, which tinygrad_edu never loads). Load it with torch, "
                    "convert its tensors to numpy (reference_torch.weights.state_dict_to_numpy does this "
                    "for a model), and save them with tinygrad_edu.save")
            raise _Unreadable(f"is not a tinygrad_edu checkpoint (a zip archive without {MANIFEST})")
        manifest = json.loads(zf.read(MANIFEST))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _Unreadable(f"is not a tinygrad_edu checkpoint ({MANIFEST} does not name the format "
                              f"{FORMAT!r})")
        version = manifest.get("version")
        if type(version) is not int or version < 1:
            raise _Unreadable(f"is truncated or corrupt (format version {version!r})")
        if version > VERSION:
            raise _Unreadable(f"was written by a newer tinygrad_edu (format version {version}; this one "
                              f"reads up to version {VERSION})")
        if "data" not in manifest:
            raise _Unreadable(f"is truncated or corrupt ({MANIFEST} has no 'data')")
        return _Decoder(zf, names).decode(manifest["data"])


class _Decoder:
    """Rebuilds the object a manifest node describes, checking each node as it goes."""

    def __init__(self, zf: zipfile.ZipFile, names: set[str]):
        self.zf, self.names = zf, names
        self.loaded: dict[tuple, Any] = {}  # (type, file) -> object, so a shared tensor stays shared

    def decode(self, node: Any) -> Any:
        if node is None or type(node) in (str, int, bool, float):
            return node
        kind = _field(node, "type", str)
        if kind == "float":
            bits = bytes.fromhex(_field(node, "bits", str))
            if len(bits) != 8:
                raise _Unreadable("is truncated or corrupt (a float node needs 8 bytes)")
            return struct.unpack(">d", bits)[0]
        if kind in ("list", "tuple"):
            items = [self.decode(x) for x in _field(node, "items", list)]
            return items if kind == "list" else tuple(items)
        if kind in ("dict", "OrderedDict"):
            out = {} if kind == "dict" else OrderedDict()
            for pair in _field(node, "items", list):
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in _KEY_TYPES:
                    raise _Unreadable(f"is truncated or corrupt (bad {kind} item {pair!r:.60})")
                out[pair[0]] = self.decode(pair[1])
            return out
        if kind in ("tensor", "parameter", "ndarray", "numpy_scalar"):
            key = (kind, _field(node, "file", str))
            if key not in self.loaded:
                self.loaded[key] = self._array(kind, node)
            return self.loaded[key]
        raise _Unreadable(f"is truncated or corrupt (unknown node type {kind!r})")

    def _array(self, kind: str, node: dict) -> Any:
        file = node["file"]
        if file not in self.names:
            raise _Unreadable(f"is truncated or corrupt ({file} is missing)")
        with self.zf.open(file) as member:
            # numpy's .npy reader alone: no .npz or pickle fallback as in np.load
            array = np.lib.format.read_array(member, allow_pickle=False)
        dtype_name, shape = _field(node, "dtype", str), _field(node, "shape", list)
        if str(array.dtype) != dtype_name or list(array.shape) != shape:
            raise _Unreadable(f"is truncated or corrupt ({file} holds {array.dtype} {list(array.shape)}, "
                              f"the manifest says {dtype_name} {shape})")
        if kind == "ndarray":
            return array
        if kind == "numpy_scalar":
            return array[()]
        if dtype_name not in _DTYPES:
            raise _Unreadable(f"is truncated or corrupt ({file}: a tensor can't hold {dtype_name})")
        requires_grad = _field(node, "requires_grad", bool)
        if requires_grad and not _DTYPES[dtype_name].is_floating_point:
            raise _Unreadable(f"is truncated or corrupt ({file}: a {dtype_name} tensor can't require grad)")
        if kind == "parameter":
            from .nn.parameter import Parameter
            return Parameter(array, requires_grad=requires_grad)
        return Tensor(array, requires_grad=requires_grad)


def _field(node: Any, key: str, kind: type) -> Any:
    """``node[key]``, which must be of type ``kind``."""
    value = node.get(key) if isinstance(node, dict) else None
    if type(value) is not kind:
        raise _Unreadable(f"is truncated or corrupt (expected a node with a {kind.__name__} {key!r}, "
                          f"got {json.dumps(node)[:80]})")
    return value
