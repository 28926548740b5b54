"""``nn.functional``: layers and losses as plain functions of tensors (no weights of their own).

Most are built from tensor ops, so their gradients come from those ops; convolution and
pooling call their own ops (``ops/conv.py``) because a per-element graph would be far too slow.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes
from ..functions import log_softmax, relu, sigmoid, softmax, tanh  # noqa: F401  (the same functions)
from ..ops.conv import AdaptiveAvgPool2d as AdaptiveAvgPool2dOp
from ..ops.conv import AdaptiveMaxPool2d as AdaptiveMaxPool2dOp
from ..ops.conv import AvgPool2d, Conv2d, MaxPool2d, Pad2d
from ..ops.linalg import Linear as LinearOp
from ..ops.loss import BinaryCrossEntropy
from ..ops.loss import NLLLoss as NLLLossOp
from ..random import numpy_generator
from ..tensor import Tensor


def _pair(v) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (int(v), int(v))


# ---------------------------------------------------------------------------- layers

def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b.   x (*, in), W (out, in), b (out,) -> y (*, out)"""
    if input.ndim == 1:
        return linear(input.unsqueeze(0), weight, bias).squeeze(0)
    if input.shape[-1] != weight.shape[-1]:
        rows = int(np.prod(input.shape[:-1]))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    dtype = dtypes.result_type(input, weight)
    b = bias.to(dtype) if bias is not None else None
    return LinearOp.apply(input.to(dtype), weight.to(dtype), b)


def _unbatched(fn, input: Tensor, *args, **kwargs):
    """Run a batched (N, C, H, W) function on a (C, H, W) input, as torch does; outputs lose the batch dim."""
    out = fn(input.unsqueeze(0), *args, **kwargs)
    return tuple(o.squeeze(0) for o in out) if isinstance(out, tuple) else out.squeeze(0)


def _same_padding(kernel_size, dilation) -> list:
    """torch's split for padding='same': total d*(k - 1) per dim, the smaller half before."""
    return [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel_size, dilation)]


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation.   input (N, C, H, W) or (C, H, W), weight (F, C/groups, KH, KW) -> (N, F, OH, OW)

    OH = (H + 2*padding - dilation*(KH - 1) - 1) // stride + 1. ``padding`` may be an int, a pair,
    "valid" (0) or "same" (output as large as the input; stride 1 only; with an even kernel the
    extra row and column go below and right, as in torch). input, weight and bias share one dtype.
    """
    if input.ndim == 3:
        return _unbatched(conv2d, input, weight, bias, stride, padding, dilation, groups)
    stride, dilation = _pair(stride), _pair(dilation)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        if padding == "same" and weight.ndim == 4:
            (top, bottom), (left, right) = _same_padding(weight.shape[2:], dilation)
            if (bottom, right) != (top, left):  # even span: the extra row and column, then symmetric
                input = Pad2d.apply(input, (0, right - left, 0, bottom - top))
            padding = (top, left)
        else:
            padding = (0, 0)
    return Conv2d.apply(input, weight, bias, stride=stride, padding=_pair(padding), dilation=dilation,
                        groups=int(groups))


def _pad2d(input: Tensor, pads, mode: str) -> Tensor:
    """input (N, C, H, W) or (C, H, W) padded by (left, right, top, bottom): mode "constant" (zeros),
    "reflect", "replicate" or "circular", as torch.nn.functional.pad does for Conv2d's padding_mode."""
    if input.ndim == 3:
        return _unbatched(_pad2d, input, pads, mode)
    if input.ndim != 4:
        raise RuntimeError(f"pad: expected a 3D or 4D input for 2-D {mode} padding, but got input of size "
                           f"{list(input.shape)}")
    return Pad2d.apply(input, tuple(pads), mode)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over each (KH, KW) window.   input (N, C, H, W) or (C, H, W) -> (N, C, OH, OW)

    ``stride`` defaults to ``kernel_size``; padding (at most half the kernel) counts as -inf;
    ``dilation`` spaces the window's taps; ``ceil_mode`` rounds the output size up (the last window
    must still start inside the input or its left padding). With ``return_indices`` also the
    int64 index h*W + w of each maximum in its (H, W) plane.
    """
    if input.ndim == 3:
        return _unbatched(max_pool2d, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    kernel_size = _pair(kernel_size)
    stride = _pair(stride) if stride is not None and stride != [] else kernel_size
    return MaxPool2d.apply(input, kernel_size, stride, _pair(padding), _pair(dilation), bool(ceil_mode),
                           return_indices=bool(return_indices))


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over each (KH, KW) window.   input (N, C, H, W) or (C, H, W) -> (N, C, OH, OW)

    The divisor is ``divisor_override`` if given, else the window's size with its zero padding
    (``count_include_pad``) or without it; OH as for max_pool2d.
    """
    if input.ndim == 3:
        return _unbatched(avg_pool2d, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override)
    kernel_size = _pair(kernel_size)
    stride = _pair(stride) if stride is not None and stride != [] else kernel_size
    return AvgPool2d.apply(input, kernel_size, stride, _pair(padding), bool(ceil_mode), bool(count_include_pad),
                           divisor_override)


def _adaptive_size(input: Tensor, output_size) -> tuple:
    """output_size as a pair of ints; None keeps the input's size along that dim."""
    size = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    return tuple(input.shape[-2 + k] if s is None else s for k, s in enumerate(size))


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over windows that tile the input into output_size (OH, OW): output (i, j) covers rows
    floor(i*H/OH) .. ceil((i+1)*H/OH) - 1 and the columns likewise.   (N, C, H, W) or (C, H, W) -> (N, C, OH, OW)"""
    if input.ndim == 3:
        return _unbatched(adaptive_avg_pool2d, input, output_size)
    return AdaptiveAvgPool2dOp.apply(input, _adaptive_size(input, output_size))


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive_avg_pool2d's windows; with ``return_indices`` also each maximum's index h*W + w."""
    if input.ndim == 3:
        return _unbatched(adaptive_max_pool2d, input, output_size, return_indices)
    return AdaptiveMaxPool2dOp.apply(input, _adaptive_size(input, output_size), return_indices=bool(return_indices))


def flatten(input: Tensor, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def _check_p(p: float) -> None:
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _drop(input: Tensor, p: float, mask_shape: tuple, generator) -> Tensor:
    """input * mask / (1 - p), mask ~ Bernoulli(1 - p) in mask_shape (broadcast over the rest)."""
    if not input.dtype.is_floating_point:  # the float mask can't multiply into an integer tensor
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype.scalar_name}")
    if p == 1:
        return input * 0
    keep = numpy_generator(generator).random(mask_shape) >= p
    return input * Tensor._make((keep / (1 - p)).astype(input.array.dtype))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, generator=None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p), so the mean is kept.

    The mask comes from the engine's generator: the same seed gives the same mask (not the
    same mask as PyTorch, whose random stream differs).
    """
    _check_p(p)
    if not training or p == 0:
        return input
    return _drop(input, p, input.shape, generator)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels: each (n, c) plane of input (N, C, H, W) or (C, H, W) is kept with
    probability 1 - p and scaled by 1/(1-p), or zeroed. d/dx = the same mask / (1 - p).

    A 3-D input is read as (N, C, L) with a warning, as torch does; the mask comes from the
    engine's generator (not torch's random stream).
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead.", stacklevel=2)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim.",
                      stacklevel=2)
    if not training or p == 0:
        return input
    return _drop(input, p, tuple(input.shape[:2]) + (1,) * (input.ndim - 2), generator)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias, per channel (dim 1).

    In training, mean and var are the batch's (var biased), and the running statistics move
    towards them: running = (1 - momentum) * running + momentum * batch (var unbiased there).
    In evaluation the running statistics are used instead.
    """
    dims = (0,) + tuple(range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(input.shape)}")
        mean = input.mean(dims)
        var = input.var(dims, unbiased=False)
        if running_mean is not None:
            running_mean.array[...] = (1 - momentum) * running_mean.array + momentum * mean.array
            running_var.array[...] = (1 - momentum) * running_var.array + momentum * var.array * count / (count - 1)
    else:
        mean, var = running_mean, running_var
    out = (input - mean.reshape(shape)) / (var.reshape(shape) + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# ---------------------------------------------------------------------------- losses

def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """mean((x - y)^2).   d/dx = 2 (x - y) / n"""
    if input.shape != target.shape:
        # PyTorch only warns and broadcasts, which silently gives a wrong loss: we refuse
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}). This would give wrong results due to broadcasting; "
                         "reshape the target to the input's shape.")
    diff = input - target
    return _reduce(diff * diff, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)), with each log clamped at -100 as PyTorch does.

    d/dx = (x - y) / (x (1 - x)), its denominator kept above 1e-12 (see ``ops/loss.py``).
    """
    if input.shape != target.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"Found dtype {target.dtype.name.capitalize()} but expected Float")
    x = input.array
    if np.any((x < 0) | (x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _check_class_target(input: Tensor, target: Tensor, fn: str) -> None:
    if target.dtype.is_floating_point or target.dtype is dtypes.bool_:
        raise RuntimeError(f"{fn}: expected target of dtype Long (class indices), but got {target.dtype.name.capitalize()}")
    if input.ndim < 1 or (input.ndim > 1 and target.shape[:1] != input.shape[:1]):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 1}).")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """-x[n, y_n] (times weight[y_n]); the mean divides by the summed weights of the counted targets.

    input (N, C) log-probabilities, target (N,) int64 class indices. d/dx[n, y_n] = -weight[y_n] / total.
    """
    _check_class_target(input, target, "nll_loss")
    if input.ndim == 1:
        return nll_loss(input.unsqueeze(0), target.reshape(1), weight, ignore_index, reduction)
    if input.ndim != 2:
        raise ValueError(f"nll_loss: expected input of shape (N, C), got {list(input.shape)}")
    labels = target.array
    counted = labels != ignore_index
    bad = counted & ((labels < 0) | (labels >= input.shape[1]))
    if bad.any():
        raise IndexError(f"Target {labels[bad][0]} is out of bounds.")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    safe = np.where(counted, labels, 0)
    w = weight.array[safe] if weight is not None else np.ones(len(labels), dtype=input.array.dtype)
    return NLLLossOp.apply(input, safe, (w * counted).astype(input.array.dtype), reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean") -> Tensor:
    """nll_loss(log_softmax(x), y) for class indices; -sum_c w_c p_c log_softmax(x)_c for class
    probabilities p (a float target of the input's shape).

    d/dx = softmax(x) - onehot(y) (per sample, before the reduction).
    """
    class_dim = 1 if input.ndim > 1 else 0
    logp = input.log_softmax(class_dim)
    if target.shape == input.shape:  # class probabilities, as PyTorch decides: by shape alone
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, "
                               f"got {target.dtype.name.capitalize()}")
        terms = target * logp
        if weight is not None:  # weight (C,) along the class dim
            terms = terms * weight.reshape((-1,) + (1,) * (input.ndim - 2))
        return _reduce(-terms.sum(class_dim), reduction)  # the mean is over samples, not weights
    return nll_loss(logp, target, weight, ignore_index, reduction)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 class indices (*,) -> int64 one-hot (*, num_classes)."""
    n = int(tensor.array.max()) + 1 if num_classes < 0 else num_classes
    return Tensor._make(np.eye(n, dtype=np.int64)[tensor.array])

