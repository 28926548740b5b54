"""Image transforms, as in ``torchvision.transforms``: small callables chained by ``Compose``.

An image comes in two forms. Before ``ToTensor`` it is a numpy array laid out the way OpenCV
and the MNIST files give it, ``(H, W)`` or ``(H, W, C)``; after it, a tensor ``(C, H, W)``.
Transforms compute on plain numpy arrays and hand back tensors outside any autograd graph.

Colour order: torchvision, and these transforms, read channel 0 as red. OpenCV loads BGR, so
convert first (``cv2.cvtColor(img, cv2.COLOR_BGR2RGB)``) when the order matters (Grayscale,
per-channel Normalize).

Batches: every transform here except ``Lambda`` also has ``batch(samples)``, the same
transform on a stack of samples: ``t.batch(np.stack(samples))`` equals
``stack([t(s) for s in samples])``. :func:`batched` chains them so a dataset can transform a
whole batch in one call.
"""
from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

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
