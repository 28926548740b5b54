"""Image transforms, as in ``torchvision.transforms``: small callables chained by ``Compose``.

An image comes in two forms. Before ``ToTensor`` it is a numpy array laid out the way OpenCV
and the MNIST files give it, ``(H, W)`` or ``(H, W, C)``; after it, a tensor ``(C, H, W)``.
Transforms compute on plain numpy arrays and hand back tensors outside any autograd graph.

Colour order: torchvision, and these transforms, read channel 0 as red. OpenCV loads BGR, so
convert first (``cv2.cvtColor(img, cv2.COLOR_BGR2RGB)``) when the order matters (Grayscale,
per-channel Normalize).

Batches: every transform here except ``Lambda`` and the random ones also has
``batch(samples)``, the same transform on a stack of samples: ``t.batch(np.stack(samples))``
equals ``stack([t(s) for s in samples])``. :func:`batched` chains them so a dataset can
transform a whole batch in one call. Random transforms (``RandomHorizontalFlip``,
``RandomCrop``) draw from the engine's default generator (``tinygrad_edu.manual_seed``), one
draw per image, so a pipeline holding one goes sample by sample.
"""
from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from ..random import numpy_generator
from ..tensor import Tensor


class Compose:
    """Apply ``transforms`` one after another: ``Compose([ToTensor(), Normalize((0.5,), (0.5,))])``."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return "Compose(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class ToTensor:
    """A numpy image ``(H, W)`` or ``(H, W, C)`` -> a tensor ``(C, H, W)``.

    uint8 pixels become float32 in [0, 1] (divided by 255); any other dtype keeps its values
    and dtype, which is torchvision's rule for numpy input. torchvision also takes PIL images;
    this engine's images are numpy arrays.
    """

    def __call__(self, pic: np.ndarray) -> Tensor:
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        return _hwc_to_tensor(pic if pic.ndim == 3 else pic[:, :, None])

    def batch(self, pics: np.ndarray) -> Tensor:
        """``(N, H, W)`` or ``(N, H, W, C)`` -> ``(N, C, H, W)``."""
        return _hwc_to_tensor(pics if pics.ndim == 4 else pics[..., None])

    def __repr__(self) -> str:
        return "ToTensor()"


def _hwc_to_tensor(hwc: np.ndarray) -> Tensor:
    """``(..., H, W, C)`` -> ``(..., C, H, W)``; uint8 scaled to float32 in [0, 1]."""
    chw = np.ascontiguousarray(np.moveaxis(hwc, -1, -3))
    if chw.dtype == np.uint8:
        chw = chw.astype(np.float32) / np.float32(255)
    return Tensor._make(chw)


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel ``c`` of a float tensor ``(..., C, H, W)``.

    ``mean`` and ``std`` hold one value per channel, or one value for all; they are cast to
    the tensor's dtype first, so float32 images give exactly torchvision's numbers.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        self.mean, self.std = mean, std

    def __call__(self, tensor: Tensor) -> Tensor:
        x = _tensor_image(tensor, "Normalize")
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if x.ndim < 3:
            raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). "
                             f"Got tensor.size() = {tensor.size()}")
        mean, std = np.asarray(self.mean, dtype=x.dtype), np.asarray(self.std, dtype=x.dtype)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
        for name, values in (("mean", mean), ("std", std)):
            if values.size not in (1, x.shape[-3]):
                raise ValueError(f"Normalize: {name} has {values.size} values but the image has "
                                 f"{x.shape[-3]} channels (shape {list(x.shape)})")
        return Tensor._make((x - mean.reshape(-1, 1, 1)) / std.reshape(-1, 1, 1))

    batch = __call__

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Grayscale:
    """A tensor image ``(..., 3, H, W)`` -> its luma ``(..., 1, H, W)``, or repeated to 3 channels.

    luma = 0.2989 R + 0.587 G + 0.114 B: the coefficients of torchvision's tensor path (ITU-R
    601-2 rounds the first to 0.299; PIL uses that). Integer images are truncated back to
    their dtype, as torchvision does. A 1-channel image is returned as is (torchvision keeps
    it 1-channel even with ``num_output_channels=3``).
    """

    def __init__(self, num_output_channels: int = 1):
        if num_output_channels not in (1, 3):
            raise ValueError("num_output_channels should be either 1 or 3")
        self.num_output_channels = num_output_channels

    def __call__(self, img: Tensor) -> Tensor:
        x = _tensor_image(img, "Grayscale")
        if x.ndim < 3:
            raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {x.ndim}")
        if x.shape[-3] not in (1, 3):
            raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {x.shape[-3]}")
        if x.shape[-3] == 1:
            return Tensor._make(x.copy())
        work = x.dtype.type if np.issubdtype(x.dtype, np.floating) else np.float32
        r, g, b = (x[..., c, :, :] for c in range(3))
        luma = (work(0.2989) * r + work(0.587) * g + work(0.114) * b).astype(x.dtype)[..., None, :, :]
        if self.num_output_channels == 3:
            luma = np.broadcast_to(luma, x.shape).copy()
        return Tensor._make(luma)

    batch = __call__

    def __repr__(self) -> str:
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class InterpolationMode:
    """The resampling filters ``Resize`` offers (the names of torchvision's enum)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


class Resize:
    """Resize an image to ``size``: ``(h, w)``, or an int for the shorter side (keeping the aspect).

    Takes a tensor ``(..., H, W)`` (torchvision's tensor path) or a numpy image ``(H, W)`` /
    ``(H, W, C)``, and returns the same kind with the same dtype (integers rounded). With an
    int ``size``, ``max_size`` caps the longer side.

    Bilinear uses half-pixel centres (``align_corners=False``). With ``antialias=True`` (the
    default, as in torchvision) shrinking widens the triangle filter by the shrink factor so
    every input pixel counts; otherwise each output pixel mixes its 2x2 nearest inputs.
    Each axis is one matrix of weights, so resizing is ``W_h @ image @ W_w.T``, computed
    in float64.
    """

    def __init__(self, size: int | Sequence[int], interpolation: str = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool = True):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
            raise ValueError(f"Resize supports interpolation 'bilinear' and 'nearest', got {interpolation!r}")
        if max_size is not None and not (isinstance(size, int) or len(size) == 1):
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge")
        self.size, self.interpolation, self.max_size, self.antialias = size, interpolation, max_size, antialias

    def __call__(self, img):
        if isinstance(img, Tensor):
            return self._tensor(img)
        return self._array(img, first_spatial_axis=0)

    def batch(self, imgs):
        """Tensors ``(N, ..., H, W)``, or numpy images ``(N, H, W)`` / ``(N, H, W, C)``."""
        if isinstance(imgs, Tensor):
            return self._tensor(imgs)
        return self._array(imgs, first_spatial_axis=1)

    def _tensor(self, img: Tensor) -> Tensor:
        x = img.detach().numpy()
        if x.ndim < 2:
            raise TypeError(f"Resize: expected a tensor image (..., H, W), got shape {list(x.shape)}")
        resized = self._array(x, first_spatial_axis=x.ndim - 2)
        return img if resized is x else Tensor._make(resized)

    def _array(self, x: np.ndarray, first_spatial_axis: int) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            raise TypeError(f"img should be a Tensor or a numpy array. Got {type(x)}")
        h, w = x.shape[first_spatial_axis:first_spatial_axis + 2]
        out_h, out_w = _output_size(h, w, self.size, self.max_size)
        if (out_h, out_w) == (h, w):
            return x
        spatial = (first_spatial_axis, first_spatial_axis + 1)
        image = np.moveaxis(x, spatial, (-2, -1)).astype(np.float64)
        image = self._weights(h, out_h) @ image @ self._weights(w, out_w).T
        image = np.moveaxis(image, (-2, -1), spatial)
        if np.issubdtype(x.dtype, np.integer):
            limits = np.iinfo(x.dtype)
            image = np.clip(np.round(image), limits.min, limits.max)
        return np.ascontiguousarray(image.astype(x.dtype))

    def _weights(self, in_size: int, out_size: int) -> np.ndarray:
        """``(out_size, in_size)``: row i says how much each input pixel gives output pixel i."""
        if self.interpolation == InterpolationMode.NEAREST:
            # PyTorch's rule, in float32 like its kernel: source = floor(i * in / out)
            scale = np.float32(in_size) / np.float32(out_size)
            source = np.minimum(np.floor(np.arange(out_size, dtype=np.float32) * scale).astype(np.int64), in_size - 1)
            return (source[:, None] == np.arange(in_size)).astype(np.float64)
        scale = in_size / out_size
        stretch = scale if self.antialias and scale > 1 else 1.0
        centre = scale * (np.arange(out_size) + 0.5) - 0.5  # output pixel centres, in input pixels
        distance = np.abs(np.arange(in_size)[None, :] - centre[:, None]) / stretch
        weights = np.maximum(1.0 - distance, 0.0)  # triangle filter
        return weights / weights.sum(axis=1, keepdims=True)  # taps cut off at the border renormalised

    def __repr__(self) -> str:
        return (f"Resize(size={self.size}, interpolation={self.interpolation}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


def _output_size(h: int, w: int, size, max_size: int | None) -> tuple[int, int]:
    """torchvision's rule: (h, w) as given, or the short side = size, the long side scaled down (floor)."""
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    requested = size if isinstance(size, int) else size[0]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None:
        if max_size <= requested:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if w <= h else (new_short, new_long)


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p`` (one uniform draw per call, flip if < p).

    Takes a tensor ``(..., H, W)`` or a numpy image ``(H, W)`` / ``(H, W, C)`` and returns the
    same kind: the width axis is reversed, everything else kept.
    """

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        if numpy_generator(None).random() < self.p:
            x, width_axis = _spatial_array(img, "RandomHorizontalFlip")
            return _same_kind(img, np.flip(x, axis=width_axis))
        return img

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomCrop:
    """Cut a random ``size`` window out of the image, after padding its borders by ``padding``.

    ``size``: ``(h, w)`` or an int for a square. ``padding``: an int for every side, ``(left/right,
    top/bottom)`` or ``(left, top, right, bottom)``; ``pad_if_needed`` pads an image smaller than
    ``size`` up to it. ``padding_mode``: ``constant`` (with ``fill``), ``edge``, ``reflect``
    (mirror without repeating the edge) or ``symmetric`` (repeating it), as torchvision.
    The window's top-left corner ``(i, j)`` is drawn uniformly (see :meth:`get_params`).
    Takes a tensor ``(..., H, W)`` or a numpy image ``(H, W)`` / ``(H, W, C)``, returns the same kind.
    """

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] | None = None,
                 pad_if_needed: bool = False, fill: float = 0, padding_mode: str = "constant"):
        self.size = _pair_size(size)
        if padding is not None:
            values = [padding] if isinstance(padding, int) else padding
            if not isinstance(values, (list, tuple)) or not all(isinstance(v, int) for v in values):
                raise TypeError(f"Got inappropriate padding arg: {padding!r}")
            if len(values) not in (1, 2, 4):
                raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, "
                                 f"not a {len(values)} element tuple")
            if min(values) < 0:
                raise ValueError(f"RandomCrop: padding must be >= 0, got {padding}")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """``(i, j, h, w)``: a uniform top-left corner for an ``output_size`` window in ``img``;
        no draw when the window is the whole image."""
        x, width_axis = _spatial_array(img, "RandomCrop")
        return _random_window(x.shape[width_axis - 1], x.shape[width_axis], output_size)

    def __call__(self, img):
        x, width_axis = _spatial_array(img, "RandomCrop")
        if self.padding is not None:
            padding = [self.padding] if isinstance(self.padding, int) else list(self.padding)
            left, top, right, bottom = {1: padding * 4, 2: padding * 2, 4: padding}[len(padding)]
            x = self._pad(x, width_axis, left, top, right, bottom)
        # torchvision's order: the padding above, then the width, then the height, one pad each
        missing_w, missing_h = self.size[1] - x.shape[width_axis], self.size[0] - x.shape[width_axis - 1]
        if self.pad_if_needed and missing_w > 0:
            x = self._pad(x, width_axis, missing_w, 0, missing_w, 0)
        if self.pad_if_needed and missing_h > 0:
            x = self._pad(x, width_axis, 0, missing_h, 0, missing_h)
        i, j, h, w = _random_window(x.shape[width_axis - 1], x.shape[width_axis], self.size)
        window = [slice(None)] * x.ndim
        window[width_axis - 1], window[width_axis] = slice(i, i + h), slice(j, j + w)
        return _same_kind(img, x[tuple(window)])

    def _pad(self, x: np.ndarray, width_axis: int, left: int, top: int, right: int, bottom: int) -> np.ndarray:
        if not (left or top or right or bottom):
            return x
        widths = [(0, 0)] * x.ndim
        widths[width_axis - 1], widths[width_axis] = (top, bottom), (left, right)
        if self.padding_mode == "constant":
            return np.pad(x, widths, mode="constant", constant_values=np.asarray(self.fill).astype(x.dtype))
        return np.pad(x, widths, mode=self.padding_mode)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


def _random_window(h: int, w: int, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
    th, tw = output_size
    if h < th or w < tw:
        raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
    if (h, w) == (th, tw):
        return 0, 0, h, w
    generator = numpy_generator(None)
    return int(generator.integers(0, h - th + 1)), int(generator.integers(0, w - tw + 1)), th, tw


def _pair_size(size) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if isinstance(size, Sequence) and len(size) in (1, 2):
        return (int(size[0]), int(size[0])) if len(size) == 1 else (int(size[0]), int(size[1]))
    raise ValueError("Please provide only two dimensions (h, w) for size.")


def _spatial_array(img, name: str) -> tuple[np.ndarray, int]:
    """The pixels of a tensor ``(..., H, W)`` or a numpy image ``(H, W[, C])``, and the width axis."""
    if isinstance(img, Tensor):
        x = img.detach().numpy()
        if x.ndim < 2:
            raise TypeError(f"{name}: expected a tensor image (..., H, W), got shape {list(x.shape)}")
        return x, x.ndim - 1
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise TypeError(f"{name}: expected a numpy image (H, W) or (H, W, C), got shape {list(img.shape)}")
        return img, 1
    raise TypeError(f"img should be a Tensor or a numpy array. Got {type(img)}")


def _same_kind(img, x: np.ndarray):
    """``x`` as the kind of image ``img`` was: a tensor or a numpy array (contiguous copies)."""
    x = np.ascontiguousarray(x)
    return Tensor._make(x) if isinstance(img, Tensor) else x


class Lambda:
    """Any function of one image, used as a transform: ``Lambda(lambda x: x.view(-1))``."""

    def __init__(self, lambd: Callable):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


def batched(transform: Callable) -> Callable | None:
    """``transform`` as one call on a stacked batch of samples, or None when some step has no
    batch form (``Lambda``, a plain function): the caller then goes sample by sample."""
    if isinstance(transform, Compose):
        steps = [batched(t) for t in transform.transforms]
        if any(step is None for step in steps):
            return None
        return lambda samples: functools.reduce(lambda x, step: step(x), steps, samples)
    return getattr(transform, "batch", None)


def _tensor_image(img, name: str) -> np.ndarray:
    if not isinstance(img, Tensor):
        raise TypeError(f"{name} expects a tensor image (..., C, H, W), got {type(img).__name__}; "
                        "turn a numpy image into one with ToTensor() first")
    return img.detach().numpy()
