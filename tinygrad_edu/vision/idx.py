"""IDX, the file format of MNIST and Fashion-MNIST, read within bounds.

Layout: a big-endian int32 magic number (0x0803 = 2051: uint8, 3 dims, images; 0x0801 =
2049: uint8, 1 dim, labels), one big-endian int32 per dim, then the values, row-major.

A file is a promise about its own size, so the header is read first and checked before
anything is allocated: the declared shape must hold at least one sample, stay under
:data:`MAX_IDX_BYTES`, and match the bytes that are really there. A plain file's size is
known from ``fstat``; a gzipped one is decompressed as a stream into the declared buffer and
refused the moment it holds more, so a small ``.gz`` can never inflate into gigabytes.
Only regular files are opened (a FIFO, a device or a directory is refused at once).
"""
from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

from .io import open_regular_file

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
MAX_IDX_BYTES = 1 << 30  # EMNIST's biggest file is 0.55 GB; full MNIST's 47 MB


def read_idx(path: str | os.PathLike, magic: int) -> np.ndarray:
    """The uint8 array in an IDX file, gzipped (``.gz``) or not: ``(N, H, W)`` images or ``(N,)`` labels.

    Every problem (not a regular file, wrong magic, no samples, a size over the bound, a file
    shorter or longer than its header says, a damaged gzip stream) is a ValueError of one
    line naming the file.
    """
    path = os.fspath(path)
    try:
        with open_regular_file(path) as f:
            if path.endswith(".gz"):
                with gzip.GzipFile(fileobj=f) as stream:
                    return _read(stream, path, magic, compressed=True)
            return _read(f, path, magic, compressed=False, file_size=os.fstat(f.fileno()).st_size)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: cannot read the file ({e}); delete it and get it again") from None


def _read(f, path: str, magic: int, compressed: bool, file_size: int | None = None) -> np.ndarray:
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    header = f.read(header_size)
    if len(header) < header_size:
        raise ValueError(f"{path}: truncated file: {len(header)} bytes, shorter than an IDX header "
                         f"({header_size} bytes)")
    found = int.from_bytes(header[:4], "big")
    if found != magic:
        kind = "images" if magic == IMAGES_MAGIC else "labels"
        raise ValueError(f"{path}: bad magic number {found}, expected {magic} (an MNIST {kind} file)")
    shape = tuple(int.from_bytes(header[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    body_size = int(np.prod(shape, dtype=object))
    expected = header_size + body_size
    if shape[0] == 0:
        raise ValueError(f"{path}: holds no samples: the header says shape {shape}")
    if body_size == 0:
        raise ValueError(f"{path}: the header says shape {shape}: samples with no pixels")
    if expected > MAX_IDX_BYTES:
        raise ValueError(f"{path}: the header says shape {shape}, {expected:,} bytes, more than "
                         f"MAX_IDX_BYTES = {MAX_IDX_BYTES:,} (raise tinygrad_edu.vision.idx.MAX_IDX_BYTES "
                         "for a bigger file)")
    if file_size is not None and file_size != expected:
        problem = "truncated file" if file_size < expected else "file too long"
        raise ValueError(f"{path}: {problem}: the header says shape {shape}, {expected} bytes in all, "
                         f"but the file has {file_size} bytes")
    values = np.empty(shape, dtype=np.uint8)
    got = header_size + _fill(f, memoryview(values).cast("B"))
    if got < expected:
        raise ValueError(f"{path}: truncated file: the header says shape {shape}, {expected} bytes in all, "
                         f"but the {'decompressed ' if compressed else ''}file has {got} bytes")
    if compressed and f.read(1):
        raise ValueError(f"{path}: file too long: the header says shape {shape}, {expected} bytes in all, "
                         "but the decompressed file holds more; stopped reading there")
    return values


def _fill(f, buffer: memoryview, chunk: int = 1 << 20) -> int:
    """Read into ``buffer`` until it is full or the file ends; a gzip stream inflates only this far."""
    filled = 0
    while filled < len(buffer):
        n = f.readinto(buffer[filled:filled + chunk])
        if not n:
            break
        filled += n
    return filled
