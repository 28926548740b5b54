"""vision.io.read_image against torchvision.io.read_image on PNG and JPEG files written here (by
PIL and OpenCV), in every mode both accept; and the files it must refuse, quickly and in one line.
"""
import struct
import zlib

import cv2
import numpy as np
import pytest
import torchvision.io as tio
from PIL import Image, PngImagePlugin

from test_datasets_more import EXTRA_MEMORY_BOUND, NON_REGULAR, bounded_run
from tinygrad_edu.vision import io
from tinygrad_edu.vision.io import ImageReadMode, read_image

pytestmark = pytest.mark.filterwarnings("ignore:The image decoding and encoding:DeprecationWarning")  # torchvision's

MODES = ["UNCHANGED", "GRAY", "GRAY_ALPHA", "RGB", "RGB_ALPHA"]


def pixels(h=23, w=31, channels=4, seed=0):
    """Smooth random colours plus noise (so JPEG has texture), with a patch where R = G = B."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((h // 4 + 2, w // 4 + 2, channels)) * 255
    x = np.clip(cv2.resize(coarse, (w, h)) + rng.normal(0, 25, (h, w, channels)), 0, 255).astype(np.uint8)
    x[:4, :5, 1] = x[:4, :5, 2] = x[:4, :5, 0]
    return x


def png_files(folder):
    x = pixels()
    files = {"gray": Image.fromarray(x[:, :, 0]), "gray_alpha": Image.fromarray(x[:, :, :2].copy(), "LA"),
             "rgb": Image.fromarray(x[:, :, :3].copy()), "rgba": Image.fromarray(x)}
    paths = {}
    for name, img in files.items():
        paths[name] = str(folder / f"{name}.png")
        img.save(paths[name])
    paths["rgb_trns"] = str(folder / "rgb_trns.png")
    files["rgb"].save(paths["rgb_trns"], transparency=(1, 2, 3))  # torchvision ignores tRNS chunks
    paths["gray_1bit"] = str(folder / "gray_1bit.png")
    Image.fromarray(x[:, :, 0] > 128).save(paths["gray_1bit"])
    paths["opencv_bgr"] = str(folder / "opencv_bgr.png")
    cv2.imwrite(paths["opencv_bgr"], x[:, :, :3])
    # a file gamma makes libpng's GRAY mix colours in linear light (GIMP and Photoshop write one)
    for name, chunk, payload in (("rgb_gamma_0.45", b"gAMA", struct.pack(">I", 45455)),
                                 ("rgba_gamma_2.2", b"gAMA", struct.pack(">I", 220000)),
                                 ("rgb_gamma_0.97", b"gAMA", struct.pack(">I", 97000)),  # within 5% of 1: ignored
                                 ("rgb_srgb", b"sRGB", b"\0")):
        info = PngImagePlugin.PngInfo()
        info.add(chunk, payload)
        paths[name] = str(folder / f"{name}.png")
        files["rgba" if name.startswith("rgba") else "rgb"].save(paths[name], pnginfo=info)
    return paths


def jpeg_files(folder):
    x = pixels(37, 53, 3)
    paths = {}
    for name, options in {"420": {"quality": 85}, "444": {"quality": 90, "subsampling": 0},
                          "422": {"quality": 75, "subsampling": 1}, "progressive": {"progressive": True}}.items():
        paths[name] = str(folder / f"{name}.jpg")
        Image.fromarray(x).save(paths[name], **options)
    paths["gray"] = str(folder / "gray.jpg")
    Image.fromarray(x[:, :, 0]).save(paths["gray"])
    paths["opencv"] = str(folder / "opencv.jpg")
    cv2.imwrite(paths["opencv"], x)
    paths["exif_rotated"] = str(folder / "exif_rotated.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90; torchvision's default (and ours) ignores it
    Image.fromarray(x).save(paths["exif_rotated"], exif=exif)
    return paths


def assert_same_image(ours, theirs):
    assert ours.dtype.name == "uint8" and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("mode", MODES)
def test_png_matches_torchvision(tmp_path, mode):
    for name, path in png_files(tmp_path).items():
        if name == "gray_1bit" and mode in ("GRAY_ALPHA", "RGB_ALPHA"):
            continue  # a documented difference: we add alpha 255, torchvision 1 (the 1-bit opaque value)
        assert_same_image(read_image(path, ImageReadMode[mode]), tio.read_image(path, tio.ImageReadMode[mode]))


@pytest.mark.parametrize("mode", ["UNCHANGED", "GRAY", "RGB"])
def test_jpeg_matches_torchvision(tmp_path, mode):
    for path in jpeg_files(tmp_path).values():
        assert_same_image(read_image(path, mode), tio.read_image(path, tio.ImageReadMode[mode]))


def test_palette_png_reads_as_rgb_or_gray(tmp_path):
    path = str(tmp_path / "palette.png")
    info = PngImagePlugin.PngInfo()
    info.add(b"gAMA", struct.pack(">I", 45455))
    Image.fromarray(pixels()[:, :, :3].copy()).convert("P").save(path, pnginfo=info)
    for mode in ("RGB", "GRAY"):
        assert_same_image(read_image(path, mode), tio.read_image(path, tio.ImageReadMode[mode]))
    with pytest.raises(RuntimeError, match=f"read_image: {path}: a palette PNG can be read with mode RGB or GRAY, "
                                           "not UNCHANGED"):
        read_image(path)


def test_jpeg_has_no_alpha_modes_as_in_torchvision(tmp_path):
    path = jpeg_files(tmp_path)["420"]
    for mode in ("GRAY_ALPHA", "RGB_ALPHA"):
        with pytest.raises(RuntimeError, match="The provided mode is not supported for JPEG files"):
            tio.read_image(path, tio.ImageReadMode[mode])
        with pytest.raises(RuntimeError, match=f"read_image: {path}: The provided mode \\({mode}\\) is not supported "
                                               "for JPEG files"):
            read_image(path, mode)


def test_modes_by_name_and_bad_modes(tmp_path):
    path = png_files(tmp_path)["rgba"]
    assert_same_image(read_image(path, "rgb"), tio.read_image(path, tio.ImageReadMode.RGB))
    assert ImageReadMode.RGBA is ImageReadMode.RGB_ALPHA
    with pytest.raises(TypeError, match="mode should be an ImageReadMode or its name, got int"):
        read_image(path, 3)


@pytest.mark.parametrize("case", ["missing", "empty", "not an image", "truncated png", "sixteen bit"])
def test_unreadable_files_are_one_line_runtime_errors(tmp_path, case):
    path = tmp_path / "image.png"
    good = png_files(tmp_path)["rgb"]
    if case == "empty":
        path.write_bytes(b"")
    elif case == "not an image":
        path.write_bytes(b"hello world")
    elif case == "truncated png":
        path.write_bytes(open(good, "rb").read()[:200])
    elif case == "sixteen bit":
        cv2.imwrite(str(path), (pixels()[:, :, :3].astype(np.uint16) * 257))
    expected = {"missing": "No such file or directory", "empty": "Expected a non empty file",
                "not an image": "Unsupported image file. Only jpeg and png are supported.",
                "truncated png": "the image data is corrupt or truncated",
                "sixteen bit": "a 16-bit PNG; this engine has no uint16 tensors"}[case]
    if case != "sixteen bit":  # torchvision reads 16-bit PNGs as uint16 tensors
        with pytest.raises(RuntimeError):
            tio.read_image(str(path))
    with pytest.raises(RuntimeError) as error:
        read_image(path)
    assert str(error.value).startswith(f"read_image: {path}: {expected}") and "\n" not in str(error.value)


def png_header_only(width, height):
    """A PNG signature and a valid IHDR chunk declaring ``width`` x ``height`` RGB, and no pixels."""
    body = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + body + struct.pack(">I", zlib.crc32(body))


def jpeg_header_only(width, height):
    """SOI, a baseline start-of-frame segment declaring ``width`` x ``height`` with 3 components, EOI."""
    frame = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\1\1\0\0\1\0\1\0\0" + \
        b"\xff\xc0" + struct.pack(">H", 2 + len(frame)) + frame + b"\xff\xd9"


def test_a_huge_declared_image_is_refused_from_its_header(tmp_path):
    (tmp_path / "bomb.png").write_bytes(png_header_only(100_000, 100_000))
    (tmp_path / "bomb.jpeg").write_bytes(jpeg_header_only(65_000, 65_000))
    results = bounded_run(*(f"vision_io.read_image({str(tmp_path / name)!r})" for name in ("bomb.png", "bomb.jpeg")))
    for name, side, result in zip(("bomb.png", "bomb.jpeg"), (100_000, 65_000), results):
        assert result["message"] == (
            f"RuntimeError: read_image: {tmp_path / name}: the header says {side}x{side} = {side * side:,} pixels, "
            f"more than MAX_IMAGE_PIXELS = {io.MAX_IMAGE_PIXELS:,} (a decompression bomb?); "
            "raise tinygrad_edu.vision.io.MAX_IMAGE_PIXELS to read it")
        assert result["extra"] < EXTRA_MEMORY_BOUND and result["seconds"] < 5


def test_the_pixel_bound_is_checked_against_the_real_header(tmp_path, monkeypatch):
    paths = {**png_files(tmp_path), **jpeg_files(tmp_path)}
    monkeypatch.setattr(io, "MAX_IMAGE_PIXELS", 23 * 31)  # exactly the PNGs' size: they pass
    read_image(paths["rgb"])
    with pytest.raises(RuntimeError, match="the header says 53x37 = 1,961 pixels, more than MAX_IMAGE_PIXELS = 713"):
        read_image(paths["420"])
    with pytest.raises(RuntimeError, match="the header says 53x37"):
        read_image(paths["progressive"])


def test_non_regular_files_are_refused_at_once(tmp_path):
    paths = {kind: str(tmp_path / f"{kind}.png") for kind in NON_REGULAR}
    for kind, (make, _) in NON_REGULAR.items():
        make(paths[kind])
    results = bounded_run(*(f"vision_io.read_image({path!r})" for path in paths.values()))
    for (kind, (_, what)), result in zip(NON_REGULAR.items(), results):
        assert result["message"] == f"RuntimeError: read_image: {paths[kind]}: is {what}, not a regular file"
        assert result["seconds"] < 5
