"""``save`` and ``load``: checkpoints as safetensors files, so loading one can never run code,
and takes memory and time in proportion to the file's real size.

``torch.save`` pickles, and unpickling a file can run any code its author chose. This engine
writes safetensors instead (https://github.com/huggingface/safetensors), and reads nothing
that could run code.

The format (version 2): a safetensors file
------------------------------------------
* 8 bytes: ``N``, the length of the header, a little-endian unsigned 64-bit integer;
* ``N`` bytes: the header, JSON: ``{NAME: {"dtype": "F32", "shape": [10, 784],
  "data_offsets": [BEGIN, END]}, ..., "__metadata__": {STR: STR}}``, padded with spaces;
* the data: each tensor's bytes, little-endian and C-ordered, at ``[BEGIN, END)`` from the
  end of the header; the tensors tile the data exactly (no gaps, no overlaps).

A tensor is named by its place in the saved object, keys joined by dots, so a saved
``state_dict`` holds ``fc.weight`` and PyTorch reads it with one call::

    model.load_state_dict(safetensors.torch.load_file(PATH))

and a file from ``safetensors.torch.save_file(model.state_dict(), PATH)`` loads here as a
dict of tensors. A tensor object that appears twice (tied weights) is stored once, under
its first name; it loads as one object here (in PyTorch: ``load_state_dict(..., strict=False)``).

The structure around the tensors lives in ``__metadata__``: ``"format":
"tinygrad_edu.checkpoint"``, ``"version": "2"`` and ``"data"``, a JSON NODE describing the
saved object:

* ``str``, ``int``, ``bool``, ``None`` and finite ``float`` are stored as themselves (JSON
  keeps 1 and 1.0 apart, and Python writes floats with every digit they need);
* ``{"type": "float", "bits": "7ff8000000000000"}``: a NaN or infinity, as its 8 IEEE bytes;
* ``{"type": "list" | "tuple", "items": [NODE, ...]}``;
* ``{"type": "dict" | "OrderedDict", "items": [[KEY, NODE], ...]}``, in the dict's order;
  a KEY is a str, int, bool or None (optimizer state dicts use int keys);
* ``{"type": "tensor" | "parameter", "tensor": "fc.weight", "dtype": "float32", "shape":
  [10, 784], "requires_grad": false}`` ("parameter" for an ``nn.Parameter``);
* ``{"type": "ndarray" | "numpy_scalar", "tensor": ..., "dtype": "float64", "shape": [...]}``,
  the dtype as ``str(array.dtype)``. A big-endian array is stored little-endian, and one of
  a dtype safetensors has no name for (complex128, datetime64, strings) as its little-endian
  bytes, a ``U8`` tensor. Record (structured) arrays are not stored.

Tensors load as leaves on the CPU, with their ``requires_grad`` flag but without ``.grad``
(a saved loss loads as a leaf that requires grad, as in PyTorch).

The old format (version 1), still read
--------------------------------------
A zip archive of ``manifest.json`` (``{"format": ..., "version": 1, "data": NODE}``, the same
nodes with ``"file": "arrays/0.npy"`` in place of ``"tensor"``) and one ``.npy`` file per array.

Hostile files
-------------
``load`` opens regular files only (a FIFO, a device or a directory is refused at once, never
read), and checks every size before it allocates: the header against ``MAX_HEADER_BYTES`` and
``MAX_HEADER_TOKENS`` (JSON becomes Python objects some 20 times its size), every tensor's
shape x itemsize against its offsets and the offsets against the file's real size. In an old
zip, only stored (uncompressed) members are read, as ``save`` wrote them: a compressed member
could be a decompression bomb. Anything else is a one-line RuntimeError naming the file.
"""
from __future__ import annotations

import errno
import io
import json
import math
import os
import re
import secrets
import stat
import struct
import zipfile
from collections import OrderedDict
from typing import Any, BinaryIO, Callable, Union

import numpy as np

from . import dtypes
from ._device import device
from .tensor import Tensor

FORMAT = "tinygrad_edu.checkpoint"
VERSION = 2
MANIFEST = "manifest.json"  # the old format's table of contents
MAX_HEADER_BYTES = 16 << 20
MAX_HEADER_TOKENS = 1 << 19  # '[', '{', ',' and ':' in a header: up to ~80 bytes of Python objects each
MAX_ZIP_MEMBERS = 1 << 16  # in an old checkpoint: one per array

FileLike = Union[str, os.PathLike, BinaryIO]

_ZIP_MAGIC = b"PK\x03\x04"
_DTYPES = {d.name: d for d in dtypes.ALL}
_ENGINE_NUMPY_DTYPES = {np.dtype(d.np) for d in dtypes.ALL}
_CONTAINERS = {list: "list", tuple: "tuple", dict: "dict", OrderedDict: "OrderedDict"}
_KEY_TYPES = (str, int, bool, type(None))
_ARRAY_KINDS = ("tensor", "parameter", "ndarray", "numpy_scalar")
# safetensors' dtype names, for the little-endian numpy dtypes that have one
_ST_DTYPES = {"BOOL": np.dtype(bool), "U8": np.dtype("u1"), "I8": np.dtype("i1"), "I16": np.dtype("<i2"),
              "U16": np.dtype("<u2"), "F16": np.dtype("<f2"), "I32": np.dtype("<i4"), "U32": np.dtype("<u4"),
              "F32": np.dtype("<f4"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"), "F64": np.dtype("<f8"),
              "C64": np.dtype("<c8")}
_ST_NAMES = {d: name for name, d in _ST_DTYPES.items()}
_ST_ITEMSIZES = {"BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E4M3FNUZ": 1, "F8_E5M2FNUZ": 1,  # numpy has none
                 **{name: d.itemsize for name, d in _ST_DTYPES.items()}}
_SAVABLE_KINDS = "biufcmMSU"  # numpy dtype kinds save stores: no objects, no structured records


class _Unreadable(Exception):
    """Why a file can't be loaded; ``load`` turns it into a RuntimeError naming the file."""


# ---------------------------------------------------------------------------------- save


def save(obj: Any, f: FileLike) -> None:
    """Write ``obj`` (nested dicts, lists, tuples, tensors, numpy arrays, numbers, strings)
    to ``f``, a path or a binary file object, e.g. ``save(model.state_dict(), PATH)``.

    Saving to a path is atomic: the checkpoint goes to a temporary file ``.NAME.*.tmp`` in
    the same directory, which replaces ``f`` only once it is complete and on disk, so a
    failed or killed save leaves the previous file as it was. Temporary files of a save to
    the same path that died are removed by the next save. An existing file keeps its
    permissions (a read-only one is refused, as by ``open``), and a symlink keeps pointing
    where it did: its target is replaced.

    Raises TypeError for objects that would need pickle, such as a whole ``nn.Module``.
    """
    header, arrays = _encode(obj)
    if not isinstance(f, (str, os.PathLike)):
        _write(f, header, arrays)
        return
    path = os.path.realpath(os.fspath(f))  # through a symlink, to the file it names
    directory, base = os.path.split(path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"can't save to {os.fspath(f)}: directory {directory} does not exist")
    if os.path.exists(path) and not os.access(path, os.W_OK):  # as open(path, "wb") would refuse
        raise PermissionError(errno.EACCES, f"{os.strerror(errno.EACCES)} (the file is read-only)", os.fspath(f))
    fd, tmp = _create_temp(directory, base)
    with os.fdopen(fd, "wb") as out:  # open, so locked, until it has replaced the target
        try:
            _remove_stale_temps(directory, base, keep=tmp)
            _keep_mode_and_owner(fd, path)
            _write(out, header, arrays)
            out.flush()
            os.fsync(fd)
            if os.name == "nt":
                out.close()  # Windows can't rename an open file (nor delete one, so needs no lock)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
    _fsync_directory(directory)


def _keep_mode_and_owner(fd: int, path: str) -> None:
    """Give the temporary file the permissions (and, where allowed, owner) of the file it
    replaces; a new file keeps the user's usual permissions (umask applies)."""
    try:
        target = os.stat(path)
    except FileNotFoundError:
        return
    if hasattr(os, "fchmod"):  # not on Windows
        os.fchmod(fd, stat.S_IMODE(target.st_mode))
    if hasattr(os, "fchown") and (target.st_uid, target.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, target.st_uid, target.st_gid)
        except PermissionError:  # only root may give a file away
            pass


def _create_temp(directory: str, base: str) -> tuple[int, str]:
    """A new temporary file, locked for as long as it is open so that no other save takes it
    for a dead one's (a killed process's locks are released by the system)."""
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        # os.open with 0o666 gives the file the user's usual permissions (umask applies)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        if not _try_lock(fd):
            os.close(fd)
            continue
        if os.fstat(fd).st_nlink:  # not removed by another save between creating and locking
            return fd, tmp
        os.close(fd)


def _remove_stale_temps(directory: str, base: str, keep: str) -> None:
    """Remove ``.BASE.*.tmp`` files that no running save holds (left by a killed one)."""
    pattern = re.compile(rf"\.{re.escape(base)}\.[0-9a-f]{{8}}\.tmp")  # the names _create_temp gives
    for entry in os.scandir(directory):
        if not pattern.fullmatch(entry.name) or entry.path == keep:
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue  # gone already, or not ours to open
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode) and _try_lock(fd):
                os.remove(entry.path)
        except OSError:
            pass
        finally:
            os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: an open file can't be removed, so no lock is needed
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable; Windows can't open a directory, and needs no fsync."""
    if os.name == "posix":
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _encode(obj: Any) -> tuple[bytes, list[np.ndarray]]:
    """The safetensors header for ``obj`` and the arrays to write after it, in order."""
    encoder = _Encoder()
    data = encoder.encode(obj, "obj", "")
    metadata = {"format": FORMAT, "version": str(VERSION), "data": json.dumps(data, allow_nan=False)}
    entries, offset = {}, 0
    for name, array in encoder.arrays:
        little = array.dtype.newbyteorder("<")
        dtype, shape = (_ST_NAMES[little], list(array.shape)) if little in _ST_NAMES else ("U8", [array.nbytes])
        entries[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    header = json.dumps({"__metadata__": metadata, **entries}, separators=(",", ":")).encode()
    return header + b" " * (-len(header) % 8), [a for _, a in encoder.arrays]  # 8-byte aligned data


def _write(out: BinaryIO, header: bytes, arrays: list[np.ndarray]) -> None:
    """The file: header length, header, then each array's bytes, little-endian and C-ordered
    (a dtype safetensors has no name for is stored as its bytes, a U8 tensor)."""
    out.write(struct.pack("<Q", len(header)))
    out.write(header)
    for array in arrays:  # converted one at a time, so a save holds at most one copy
        stored = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")
        if stored.dtype == np.bool_:  # one byte, 0 or 1, whatever bits a numpy bool was built from
            stored = stored.view(np.uint8) != 0
        out.write(stored.reshape(-1).view(np.uint8).data)


class _Encoder:
    """Turns an object into a metadata node, collecting its arrays as safetensors tensors."""

    def __init__(self):
        self.arrays: list[tuple[str, np.ndarray]] = []  # (tensor name, array), in the file's order
        self.written: dict[int, dict] = {}  # id(tensor or array) -> its node, to store it once
        self.names: set[str] = {"__metadata__"}
        self.enclosing: set[int] = set()  # containers being encoded, to catch one inside itself

    def encode(self, obj: Any, where: str, name: str) -> Any:
        """The node for ``obj``; ``where`` names it for errors, e.g. ``obj['state'][0]``, and
        ``name`` is its tensor name, e.g. ``state.0``."""
        if obj is None or type(obj) in (str, int, bool):
            return obj
        if type(obj) is float:
            if math.isfinite(obj):
                return obj
            return {"type": "float", "bits": struct.pack(">d", obj).hex()}
        if isinstance(obj, Tensor):
            return self._array(obj, obj.array, _tensor_kind(obj, where), where, name,
                               requires_grad=obj.requires_grad)
        if type(obj) is np.ndarray:
            return self._array(obj, obj, "ndarray", where, name)
        if isinstance(obj, np.generic):
            return self._array(obj, np.asarray(obj), "numpy_scalar", where, name)
        if type(obj) in _CONTAINERS:
            if id(obj) in self.enclosing:
                raise ValueError(f"can't save {where}: it contains itself")
            self.enclosing.add(id(obj))
            node = {"type": _CONTAINERS[type(obj)], "items": self._items(obj, where, name)}
            self.enclosing.discard(id(obj))
            return node
        raise _unsupported(obj, where)

    def _items(self, obj, where: str, name: str) -> list:
        prefix = f"{name}." if name else ""
        if not isinstance(obj, dict):
            return [self.encode(x, f"{where}[{i}]", f"{prefix}{i}") for i, x in enumerate(obj)]
        items = []
        for key, value in obj.items():
            if type(key) not in _KEY_TYPES:
                raise TypeError(f"can't save {where}: dict keys must be str, int, bool or None, "
                                f"not {type(key).__name__} ({key!r})")
            items.append([key, self.encode(value, f"{where}[{key!r}]", f"{prefix}{key}")])
        return items

    def _array(self, obj, array: np.ndarray, kind: str, where: str, name: str, **extra) -> dict:
        if id(obj) in self.written:
            return self.written[id(obj)]
        if array.dtype.hasobject:
            raise TypeError(f"can't save {where}: a numpy array of Python objects needs pickle, which "
                            "tinygrad_edu refuses by design")
        if array.dtype.kind not in _SAVABLE_KINDS or array.dtype.fields or array.dtype.subdtype:
            raise TypeError(f"can't save {where}: a numpy array of dtype {array.dtype} (records or raw "
                            "bytes); save each field as an array of its own")
        unique = name or "obj"
        while unique in self.names:
            unique = f"{name or 'obj'}#{len(self.names)}"
        self.names.add(unique)
        node = {"type": kind, "tensor": unique, "dtype": str(array.dtype), "shape": list(array.shape), **extra}
        self.arrays.append((unique, array))
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
    """Read what ``save`` wrote to ``f`` (a path or a binary file object), or any
    safetensors file (as a dict of tensors).

    ``map_location``: everything loads on the CPU, so ``None``, ``"cpu"``, ``device("cpu")``,
    a dict whose targets are the CPU (``{"cuda:0": "cpu"}``) and a function are accepted and
    change nothing; naming a CUDA device is a RuntimeError. ``weights_only`` is accepted for
    PyTorch compatibility: loading is always weights-only, ``False`` does not enable pickle.

    Raises RuntimeError, naming the file, for anything that is not an intact checkpoint:
    a pickle, a PyTorch checkpoint, a FIFO or device, a truncated or tampered file.
    """
    _check_map_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        name = os.fspath(f)
        with _open_regular_file(name) as stream:
            return _read_file(stream, os.fstat(stream.fileno()).st_size, name)
    name = f.name if isinstance(getattr(f, "name", None), str) else f"<{type(f).__name__}>"
    if not f.seekable():  # a pipe-like stream: its size is what it holds
        f = io.BytesIO(f.read())
    start = f.tell()
    size = f.seek(0, io.SEEK_END) - start
    f.seek(start)
    return _read_file(f, size, name)


def _open_regular_file(name: str) -> BinaryIO:
    """``name`` opened for reading; anything but a regular file is refused before it is read."""
    _check_regular(os.stat(name).st_mode, name)  # before opening: opening a device can act on it
    # O_NONBLOCK: should a FIFO take the file's place meanwhile, opening it must not wait for a
    # writer; it changes nothing for a regular file
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                 | getattr(os, "O_BINARY", 0))
    try:
        _check_regular(os.fstat(fd).st_mode, name)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _check_regular(mode: int, name: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
            else "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
    raise RuntimeError(f"{name} is not a regular file (it is {kind}); load reads checkpoints from regular files only")


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location):
        return
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        device(target)  # the CPU is the only device; anything else raises, naming it


def _read_file(stream: BinaryIO, size: int, name: str) -> Any:
    try:
        return _read(stream, size)
    except _Unreadable as e:
        raise RuntimeError(f"{name} {e}") from None
    # everything a damaged zip, .npy header or JSON text can raise while being read
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, RecursionError, OverflowError,
            struct.error) as e:
        raise RuntimeError(f"{name} is truncated or corrupt ({type(e).__name__}: {e})") from None


def _read(stream: BinaryIO, size: int) -> Any:
    start = stream.tell()
    head = stream.read(9)
    stream.seek(start)
    # safetensors: a header length under 4 GiB, then "{"; a zip's 9th byte is its compression
    # method, and no pickle has four zero bytes before a "{" there
    if head[4:9] == b"\0\0\0\0{":
        return _read_safetensors(stream, start, size)
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise _Unreadable("is not a tinygrad_edu checkpoint: it is a pickle (from pickle.dump or an "
                          "old torch.save), and tinygrad_edu never unpickles, since loading a pickle "
                          "can run arbitrary code")
    if head.startswith(_ZIP_MAGIC):
        return _read_zip(stream, size)
    if len(head) < 9:  # empty, or cut off inside the first bytes
        raise _Unreadable(f"is truncated or corrupt (too short to be a checkpoint: {size} bytes)")
    raise _Unreadable(f"is not a tinygrad_edu checkpoint (neither safetensors nor a zip archive; it starts "
                      f"with {head!r})")


# ------------------------------------------------------------------- safetensors (version 2)


def _read_safetensors(stream: BinaryIO, start: int, size: int) -> Any:
    (length,) = struct.unpack("<Q", stream.read(8))
    if length > size - 8:
        raise _Unreadable(f"is truncated or corrupt (its header of {length} bytes runs past the end of "
                          f"the file, {size} bytes)")
    header = _parse_json(_read_exact(stream, _check_json_size(length, "header")), "header")
    if not isinstance(header, dict):
        raise _Unreadable("is truncated or corrupt (its header is not a JSON object)")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(type(v) is str for v in metadata.values())):
        raise _Unreadable("is truncated or corrupt (__metadata__ is not a map of strings)")
    tensors = _check_offsets(header, size - 8 - length)
    base = start + 8 + length

    def read(name: str) -> np.ndarray:
        if name not in tensors:
            raise _Unreadable(f"is truncated or corrupt (tensor {name!r} is missing)")
        dtype, shape, (begin, end) = tensors[name]
        if dtype not in _ST_DTYPES:
            raise _Unreadable(f"holds tensor {name!r} of dtype {dtype}, which tinygrad_edu has no dtype for")
        array = np.empty(shape, _ST_DTYPES[dtype])
        stream.seek(base + begin)
        _read_exact(stream, end - begin, into=array.reshape(-1).view(np.uint8))
        if dtype == "BOOL" and array.view(np.uint8).max(initial=0) > 1:
            raise _Unreadable(f"is truncated or corrupt (bool tensor {name!r} holds bytes other than 0 and 1)")
        return array

    if metadata is None or metadata.get("format") != FORMAT:  # a plain safetensors file: a dict of tensors
        for name, (dtype, _, _) in tensors.items():
            if _ST_DTYPES.get(dtype) not in _ENGINE_NUMPY_DTYPES:
                raise _Unreadable(f"holds tensor {name!r} of dtype {dtype}, which tinygrad_edu has no dtype for")
        return {name: Tensor(read(name)) for name in tensors}
    version = metadata.get("version")
    if version != str(VERSION):
        if version is not None and version.isdigit() and int(version) > VERSION:
            raise _Unreadable(f"was written by a newer tinygrad_edu (format version {version}; this one "
                              f"reads up to version {VERSION})")
        raise _Unreadable(f"is truncated or corrupt (format version {version!r} in its __metadata__)")
    if "data" not in metadata:
        raise _Unreadable("is truncated or corrupt (its __metadata__ has no 'data')")
    return _Decoder("tensor", lambda node: read(_field(node, "tensor", str))).decode(
        _parse_json(metadata["data"], "metadata"))


def _check_offsets(header: dict, data_size: int) -> dict[str, tuple[str, tuple, tuple[int, int]]]:
    """``{name: (safetensors dtype, shape, (begin, end))}``: every size checked against the data's real
    size, the tensors tiling it exactly, before anything is allocated."""
    tensors = {}
    for name, info in header.items():
        ok = (isinstance(info, dict) and info.get("dtype") in _ST_ITEMSIZES and type(info.get("shape")) is list
              and all(type(n) is int and n >= 0 for n in info["shape"])
              and type(info.get("data_offsets")) is list and len(info["data_offsets"]) == 2
              and all(type(n) is int for n in info["data_offsets"]))
        if not ok:
            raise _Unreadable(f"is truncated or corrupt (bad header entry for tensor {name!r}: "
                              f"{json.dumps(info)[:80]})")
        dtype, (begin, end) = info["dtype"], info["data_offsets"]
        nbytes = math.prod(info["shape"]) * _ST_ITEMSIZES[dtype]
        if end - begin != nbytes:
            raise _Unreadable(f"is truncated or corrupt (tensor {name!r} of shape {info['shape']} and dtype "
                              f"{info['dtype']} needs {nbytes} bytes, its offsets [{begin}, {end}] hold {end - begin})")
        tensors[name] = (dtype, tuple(info["shape"]), (begin, end))
    position = 0
    for name, (_, _, (begin, end)) in sorted(tensors.items(), key=lambda item: item[1][2]):
        if begin != position:
            raise _Unreadable(f"is truncated or corrupt (tensor {name!r} at offsets [{begin}, {end}] should "
                              f"start at {position}: tensors tile the data without gaps or overlaps)")
        position = end
    if position != data_size:
        raise _Unreadable(f"is truncated or corrupt (its tensors need {position} bytes of data, the file "
                          f"holds {data_size})")
    return tensors


# ---------------------------------------------------------------------- zip (version 1)


def _read_zip(stream: BinaryIO, size: int) -> Any:
    # the table of contents' size, before zipfile reads it: each entry becomes a ~500-byte object
    end_record = zipfile._EndRecData(stream)
    if end_record:
        count, table = end_record[zipfile._ECD_ENTRIES_TOTAL], end_record[zipfile._ECD_SIZE]
        if count > MAX_ZIP_MEMBERS or table > MAX_HEADER_BYTES:
            raise _Unreadable(f"is not a tinygrad_edu checkpoint (a zip table of contents of {count} members "
                              f"in {table} bytes, over the limits of {MAX_ZIP_MEMBERS} members and "
                              f"{MAX_HEADER_BYTES} bytes)")
    with zipfile.ZipFile(stream) as zf:
        members = {info.filename: info for info in zf.infolist()}
        for info in members.values():
            _check_member(info, size)
        if MANIFEST not in members:
            if any(n == "data.pkl" or n.endswith("/data.pkl") for n in members):
                raise _Unreadable(
                    "is not a tinygrad_edu checkpoint: this looks like a PyTorch checkpoint (torch.save "
                    "stores a pickle, data.pkl, which tinygrad_edu never loads). Load it with torch, "
                    "convert its tensors to numpy (reference_torch.weights.state_dict_to_numpy does this "
                    "for a model), and save them with tinygrad_edu.save")
            raise _Unreadable(f"is not a tinygrad_edu checkpoint (a zip archive without {MANIFEST})")
        with zf.open(MANIFEST) as member:
            manifest = _parse_json(_read_exact(member, _check_json_size(members[MANIFEST].file_size, MANIFEST)),
                                   MANIFEST)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _Unreadable(f"is not a tinygrad_edu checkpoint ({MANIFEST} does not name the format "
                              f"{FORMAT!r})")
        version = manifest.get("version")
        if type(version) is not int or version != 1:
            if type(version) is int and version > VERSION:
                raise _Unreadable(f"was written by a newer tinygrad_edu (format version {version}; this one "
                                  f"reads up to version {VERSION})")
            raise _Unreadable(f"is truncated or corrupt (format version {version!r} in {MANIFEST})")
        if "data" not in manifest:
            raise _Unreadable(f"is truncated or corrupt ({MANIFEST} has no 'data')")

        def read(node: dict) -> np.ndarray:
            file = _field(node, "file", str)
            if file not in members:
                raise _Unreadable(f"is truncated or corrupt ({file} is missing)")
            with zf.open(file) as member:
                return _read_npy(member, members[file].file_size, file)

        return _Decoder("file", read).decode(manifest["data"])


def _check_member(info: zipfile.ZipInfo, size: int) -> None:
    """Refuse, before reading it, a member ``save`` could not have written."""
    if info.flag_bits & 0x1:
        raise _Unreadable(f"is encrypted (zip member {info.filename}); tinygrad_edu checkpoints never are")
    if info.compress_type != zipfile.ZIP_STORED:
        method = {zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}.get(
            info.compress_type, f"method {info.compress_type}")
        raise _Unreadable(f"is not a tinygrad_edu checkpoint (zip member {info.filename} is compressed with "
                          f"{method}; save stores members uncompressed, and a compressed one could inflate "
                          "without bound)")
    if (info.file_size != info.compress_size or info.header_offset < 0
            or info.header_offset + info.file_size > size):
        raise _Unreadable(f"is truncated or corrupt (zip member {info.filename} declares {info.file_size} "
                          f"bytes at offset {info.header_offset}, the archive holds {size})")


def _read_npy(member: BinaryIO, member_size: int, file: str) -> np.ndarray:
    """A ``.npy`` file: its header parsed and its shape x itemsize checked against the member's
    size before the array is allocated; numpy's reader alone, with pickles refused."""
    version = np.lib.format.read_magic(member)
    if version not in ((1, 0), (2, 0)):
        raise _Unreadable(f"is truncated or corrupt ({file}: .npy format version {version})")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(member)
    if dtype.hasobject:
        raise _Unreadable(f"is not a tinygrad_edu checkpoint ({file} holds Python objects, which would "
                          "need pickle; tinygrad_edu never unpickles)")
    nbytes, available = math.prod(shape) * dtype.itemsize, member_size - member.tell()
    if nbytes != available:
        raise _Unreadable(f"is truncated or corrupt ({file} declares shape {list(shape)} of {dtype}, "
                          f"{nbytes} bytes, and holds {available})")
    array = np.empty(shape[::-1] if fortran_order else shape, dtype)
    if nbytes:
        _read_exact(member, nbytes, into=array.reshape(-1).view(np.uint8))
    return array.T if fortran_order else array


# ------------------------------------------------------------------------ shared by both


def _read_exact(stream: BinaryIO, n: int, into: np.ndarray | None = None) -> bytearray | None:
    """Exactly ``n`` bytes from ``stream`` (into ``into``, if given); fewer is a truncated file."""
    out = bytearray(n) if into is None else None
    buffer = memoryview(out if into is None else into).cast("B")
    done = 0
    while done < n:
        got = stream.readinto(buffer[done:])
        if not got:
            raise _Unreadable(f"is truncated or corrupt (it ends {n - done} bytes early)")
        done += got
    return out


def _check_json_size(n: int, what: str) -> int:
    if n > MAX_HEADER_BYTES:
        raise _Unreadable(f"is not a tinygrad_edu checkpoint (its {what} of {n} bytes is over the limit of "
                          f"{MAX_HEADER_BYTES} bytes, serialization.MAX_HEADER_BYTES)")
    return n


def _parse_json(text: bytearray | str, what: str) -> Any:
    """JSON text of bounded size: its Python objects take up to some 20 times its bytes."""
    _check_json_size(len(text), what)
    tokens = sum(text.count(c if isinstance(text, str) else c.encode()) for c in "[{,:")
    if tokens > MAX_HEADER_TOKENS:
        raise _Unreadable(f"is not a tinygrad_edu checkpoint (its {what} holds {tokens} JSON values, over "
                          f"the limit of {MAX_HEADER_TOKENS}, serialization.MAX_HEADER_TOKENS)")
    return json.loads(text)


class _Decoder:
    """Rebuilds the object a node describes, checking each node as it goes. ``read(node)``
    gives the raw array of an array node, which ``where`` names (``"tensor"`` or ``"file"``)."""

    def __init__(self, where: str, read: Callable[[dict], np.ndarray]):
        self.where, self.read = where, read
        self.loaded: dict[str, tuple[dict, Any]] = {}  # tensor -> (node, object): a shared tensor stays shared

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
        if kind in _ARRAY_KINDS:
            name = _field(node, self.where, str)
            if name not in self.loaded:
                self.loaded[name] = node, self._array(kind, node)
            if self.loaded[name][0] != node:  # save writes one node per object: read each array once
                raise _Unreadable(f"is truncated or corrupt ({name} is read as two different objects)")
            return self.loaded[name][1]
        raise _Unreadable(f"is truncated or corrupt (unknown node type {kind!r})")

    def _array(self, kind: str, node: dict) -> Any:
        label, dtype_name, shape = node[self.where], _field(node, "dtype", str), _field(node, "shape", list)
        dtype = _numpy_dtype(dtype_name, label)
        array = self.read(node)
        if array.dtype != dtype and array.dtype == np.uint8 and array.ndim == 1:  # stored as its bytes
            little = dtype.newbyteorder("<")
            if all(type(n) is int and n >= 0 for n in shape) and math.prod(shape) * dtype.itemsize == array.size:
                array = array.view(little).reshape(shape) if dtype.itemsize else np.empty(shape, little)
        if array.dtype != dtype and array.dtype == dtype.newbyteorder("<"):
            array = array.astype(dtype)  # a big-endian array, stored little-endian
        if array.dtype != dtype or list(array.shape) != shape:
            raise _Unreadable(f"is truncated or corrupt ({label} holds {array.dtype} {list(array.shape)}, "
                              f"the metadata says {dtype_name} {shape})")
        if kind == "ndarray":
            return array
        if kind == "numpy_scalar":
            return array[()]
        if dtype_name not in _DTYPES:
            raise _Unreadable(f"is truncated or corrupt ({label}: a tensor can't hold {dtype_name})")
        requires_grad = _field(node, "requires_grad", bool)
        if requires_grad and not _DTYPES[dtype_name].is_floating_point:
            raise _Unreadable(f"is truncated or corrupt ({label}: a {dtype_name} tensor can't require grad)")
        if kind == "parameter":
            from .nn.parameter import Parameter
            return Parameter(array, requires_grad=requires_grad)
        return Tensor(array, requires_grad=requires_grad)


def _numpy_dtype(name: str, label: str) -> np.dtype:
    """The numpy dtype ``str(dtype)`` gave when saving: a plain one, never objects or records."""
    try:
        dtype = np.dtype(name) if re.fullmatch(r"[<>|]?[a-zA-Z]+[0-9]*(\[[0-9]*[a-zA-Z]+\])?", name) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _SAVABLE_KINDS or str(dtype) != name:
        raise _Unreadable(f"is truncated or corrupt ({label}: unknown dtype {name!r})")
    return dtype


def _field(node: Any, key: str, kind: type) -> Any:
    """``node[key]``, which must be of type ``kind``."""
    value = node.get(key) if isinstance(node, dict) else None
    if type(value) is not kind:
        raise _Unreadable(f"is truncated or corrupt (expected a node with a {kind.__name__} {key!r}, "
                          f"got {json.dumps(node)[:80]})")
    return value
