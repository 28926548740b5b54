"""Reading image files, as in ``torchvision.io``: ``read_image(path, mode)`` -> uint8 ``(C, H, W)``.

PNG and JPEG are decoded by OpenCV (already a dependency; its libjpeg-turbo and libpng give
the same pixels as torchvision's), then arranged the way torchvision's decoders arrange
them: channels RGB, not OpenCV's BGR; EXIF orientation ignored; ``GRAY`` from colour is
libpng's conversion for PNG (redone here in numpy, file gamma included: see
``_libpng_gray``) and libjpeg's own luma for JPEG.

Hostile files are refused before any decoding: only regular files are opened (a FIFO never
blocks, a directory or device is refused at once), and the width and height are read
from the header and checked against :data:`MAX_IMAGE_PIXELS` first.

Deliberate differences from torchvision: 16-bit PNGs and CMYK JPEGs are refused (the engine
has no uint16; OpenCV turns CMYK into BGR); palette PNGs read only as ``RGB`` or ``GRAY``
(torchvision's ``UNCHANGED`` returns the palette indices); an alpha channel added to a 1, 2
or 4-bit gray PNG is 255 (opaque), where torchvision fills in 1, 3 or 15, the opaque value
before the bits were widened to 8.
"""
from __future__ import annotations

import enum
import os
import stat
from typing import BinaryIO

import numpy as np

from ..tensor import Tensor

MAX_IMAGE_PIXELS = 89_478_485  # PIL's bound (a 1/4 GiB RGB image); raise it for bigger images
MAX_IMAGE_FILE_BYTES = 1 << 30


def open_regular_file(path: str | os.PathLike) -> BinaryIO:
    """``open(path, "rb")``, for a regular file only: anything else is a ValueError naming the path.

    The file is opened non-blocking, so a FIFO with no writer returns at once instead of
    waiting, and ``fstat`` on the open descriptor says what it really is (no race between
    checking and opening).
    """
    path = os.fspath(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "not a regular file")
        raise ValueError(f"{path}: is {kind}, not a regular file")
    return os.fdopen(fd, "rb")


class ImageReadMode(enum.Enum):
    """How ``read_image`` arranges channels (torchvision's enum; ``RGBA`` is ``RGB_ALPHA``)."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_GRAY, _PNG_RGB, _PNG_PALETTE, _PNG_GRAY_ALPHA, _PNG_RGBA = 0, 2, 3, 4, 6
# JPEG start-of-frame markers (baseline, progressive, lossless...), not DHT (C4), JPG (C8), DAC (CC)
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def read_image(path: str | os.PathLike, mode: ImageReadMode | str = ImageReadMode.UNCHANGED) -> Tensor:
    """The PNG or JPEG image at ``path`` as a uint8 tensor ``(C, H, W)``, equal to torchvision's.

    ``mode``: ``UNCHANGED`` keeps the file's channels (1 gray, 2 gray + alpha, 3 RGB, 4
    RGBA); ``GRAY``, ``GRAY_ALPHA``, ``RGB`` and ``RGB_ALPHA`` convert (JPEG has no alpha:
    only the first three modes). Errors are RuntimeErrors naming the path, as torchvision's.
    """
    mode = ImageReadMode[mode.upper()] if isinstance(mode, str) else mode
    if not isinstance(mode, ImageReadMode):
        raise TypeError(f"read_image: mode should be an ImageReadMode or its name, got {type(mode).__name__}")
    path = os.fspath(path)
    try:
        with open_regular_file(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise ValueError(f"{path}: Expected a non empty file")
            if size > MAX_IMAGE_FILE_BYTES:
                raise ValueError(f"{path}: the file has {size:,} bytes, more than "
                                 f"MAX_IMAGE_FILE_BYTES = {MAX_IMAGE_FILE_BYTES:,}")
            data = np.frombuffer(f.read(), dtype=np.uint8)
    except ValueError as e:
        raise RuntimeError(f"read_image: {e}") from None
    except OSError as e:
        raise RuntimeError(f"read_image: {path}: {e.strerror or e}") from None
    if data[:8].tobytes() == _PNG_SIGNATURE:
        pixels = _decode_png(data, mode, path)
    elif data[:3].tobytes() == b"\xff\xd8\xff":
        pixels = _decode_jpeg(data, mode, path)
    else:
        raise RuntimeError(f"read_image: {path}: Unsupported image file. Only jpeg and png are supported.")
    return Tensor._make(np.ascontiguousarray(np.moveaxis(pixels, -1, 0)))


def _check_pixels(width: int, height: int, path: str) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise RuntimeError(f"read_image: {path}: the header says {width}x{height} = {width * height:,} pixels, "
                           f"more than MAX_IMAGE_PIXELS = {MAX_IMAGE_PIXELS:,} (a decompression bomb?); "
                           "raise tinygrad_edu.vision.io.MAX_IMAGE_PIXELS to read it")
    if width == 0 or height == 0:
        raise RuntimeError(f"read_image: {path}: the header says the image is {width}x{height}")


def _decode(data: np.ndarray, flags: int, path: str) -> np.ndarray:
    import cv2  # here, not at import time: OpenCV takes a while to load and most programs never read images

    image = cv2.imdecode(data, flags | cv2.IMREAD_IGNORE_ORIENTATION)
    if image is None:
        raise RuntimeError(f"read_image: {path}: the image data is corrupt or truncated")
    return image if image.ndim == 3 else image[:, :, None]


def _decode_png(data: np.ndarray, mode: ImageReadMode, path: str) -> np.ndarray:
    """``(H, W, C)`` uint8 pixels arranged as torchvision's ``decode_png`` arranges them."""
    import cv2

    header = data[8:33].tobytes()
    if len(header) < 25 or header[4:8] != b"IHDR":
        raise RuntimeError(f"read_image: {path}: a PNG signature but no IHDR header (truncated file?)")
    width, height = int.from_bytes(header[8:12], "big"), int.from_bytes(header[12:16], "big")
    bit_depth, colour = header[16], header[17]
    _check_pixels(width, height, path)
    if bit_depth == 16:
        raise RuntimeError(f"read_image: {path}: a 16-bit PNG; this engine has no uint16 tensors, "
                           "only 8-bit (and 1/2/4-bit gray) PNGs are read")
    if colour == _PNG_PALETTE and mode not in (ImageReadMode.RGB, ImageReadMode.GRAY):
        raise RuntimeError(f"read_image: {path}: a palette PNG can be read with mode RGB or GRAY, not {mode.name}")
    bgr = _decode(data, cv2.IMREAD_UNCHANGED, path)  # gray (H, W, 1), or BGR / BGRA (a tRNS chunk adds A)
    if bgr.dtype != np.uint8:
        raise RuntimeError(f"read_image: {path}: decoded to {bgr.dtype}, expected 8-bit pixels")
    coloured = colour in (_PNG_RGB, _PNG_RGBA, _PNG_PALETTE)
    base = bgr[:, :, 2::-1] if coloured else bgr[:, :, :1]  # RGB, or the gray channel
    alpha = bgr[:, :, 3:] if colour in (_PNG_GRAY_ALPHA, _PNG_RGBA) else None  # torchvision ignores tRNS
    if mode == ImageReadMode.UNCHANGED:
        return base if alpha is None else np.concatenate([base, alpha], axis=2)
    if mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA):
        base = _libpng_gray(base, _png_file_gamma(data.tobytes())) if coloured else base
    elif not coloured:
        base = np.repeat(base, 3, axis=2)
    if mode in (ImageReadMode.GRAY, ImageReadMode.RGB):
        return base
    return np.concatenate([base, np.full_like(base[:, :, :1], 255) if alpha is None else alpha], axis=2)


def _libpng_gray(rgb: np.ndarray, file_gamma: int | None) -> np.ndarray:
    """libpng's ``png_set_rgb_to_gray(0.2989, 0.587)`` on 8-bit pixels, as torchvision calls it.

    The coefficients are in 1/32768ths: 9794 red, 19234 green, the rest (3740) blue. A pixel
    with R = G = B keeps its value. Without a significant file gamma (no ``gAMA``/``sRGB``
    chunk, or gamma near 1) the weighted sum is shifted down (floor). With one, libpng mixes
    in linear light: each channel through ``to_linear``, the sum rounded, then back through
    ``from_linear`` (libpng assumes the screen's gamma undoes the file's, so nothing else moves).
    """
    r, g, b = (rgb[:, :, c].astype(np.uint32) for c in range(3))
    if file_gamma is None or not _gamma_significant(file_gamma):
        gray = (9794 * r + 19234 * g + 3740 * b) >> 15
    else:
        screen_gamma = _reciprocal(file_gamma)
        to_linear, from_linear = _gamma_table(_reciprocal(file_gamma)), _gamma_table(_reciprocal(screen_gamma))
        gray = from_linear[(9794 * to_linear[r] + 19234 * to_linear[g] + 3740 * to_linear[b] + 16384) >> 15]
    return np.where((r == g) & (g == b), rgb[:, :, 0], gray.astype(np.uint8))[:, :, None]


def _reciprocal(fixed: int) -> int:
    """1 / x for libpng's fixed-point gammas (units of 1e-5), rounded as libpng rounds it."""
    return int(np.floor(1e10 / fixed + 0.5))


def _gamma_significant(fixed: int) -> bool:
    return not 95000 <= fixed <= 105000


def _gamma_table(fixed: int) -> np.ndarray:
    """libpng's 8-bit table ``v -> floor(255 (v / 255) ** gamma + 0.5)`` (0 and 255 fixed points;
    the identity when the gamma is within 5% of 1)."""
    values = np.arange(256, dtype=np.uint32)
    if not _gamma_significant(fixed):
        return values
    table = np.floor(255 * (values / 255.0) ** (fixed * 0.00001) + 0.5).astype(np.uint32)
    table[[0, 255]] = [0, 255]
    return table


def _png_file_gamma(raw: bytes) -> int | None:
    """The file's gamma in libpng's fixed point (1e-5): ``sRGB``'s 45455, else ``gAMA``'s value,
    else None. Only the chunks before the pixel data are read."""
    pos, gamma = 8, None
    while pos + 8 <= len(raw):
        length, kind = int.from_bytes(raw[pos:pos + 4], "big"), raw[pos + 4:pos + 8]
        if kind in (b"IDAT", b"IEND"):
            break
        if kind == b"sRGB":
            return 45455
        if kind == b"gAMA" and length == 4 and pos + 12 <= len(raw):
            gamma = int.from_bytes(raw[pos + 8:pos + 12], "big") or None
        pos += 12 + length
    return gamma


def _decode_jpeg(data: np.ndarray, mode: ImageReadMode, path: str) -> np.ndarray:
    """``(H, W, C)`` uint8 pixels as torchvision's ``decode_jpeg`` gives them."""
    import cv2

    width, height, components = _jpeg_frame(data.tobytes(), path)
    _check_pixels(width, height, path)
    if components not in (1, 3):
        raise RuntimeError(f"read_image: {path}: a JPEG with {components} components (CMYK?); "
                           "only gray and colour JPEGs are read")
    if mode in (ImageReadMode.GRAY_ALPHA, ImageReadMode.RGB_ALPHA):
        raise RuntimeError(f"read_image: {path}: The provided mode ({mode.name}) is not supported for JPEG files")
    if mode == ImageReadMode.GRAY or (mode == ImageReadMode.UNCHANGED and components == 1):
        return _decode(data, cv2.IMREAD_GRAYSCALE, path)
    return _decode(data, cv2.IMREAD_COLOR, path)[:, :, ::-1]


def _jpeg_frame(raw: bytes, path: str) -> tuple[int, int, int]:
    """(width, height, components) from the first start-of-frame segment, reading no pixels."""
    pos = 2
    while pos + 4 <= len(raw):
        if raw[pos] != 0xFF:
            break
        marker = raw[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(raw[pos + 2:pos + 4], "big")
        if marker in _JPEG_SOF and pos + 10 <= len(raw):
            height, width = int.from_bytes(raw[pos + 5:pos + 7], "big"), int.from_bytes(raw[pos + 7:pos + 9], "big")
            return width, height, raw[pos + 9]
        if marker in (0xD9, 0xDA) or length < 2:  # end of image, or pixel data before any frame header
            break
        pos += 2 + length
    raise RuntimeError(f"read_image: {path}: a JPEG without a frame header (truncated or corrupt file)")
