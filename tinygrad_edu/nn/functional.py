"""``nn.functional``: layers and losses as plain functions of tensors (no weights of their own).

Most are built from tensor ops, so their gradients come from those ops; convolution and
pooling call their own ops (``ops/conv.py``) because a per-element graph would be far too slow.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes
from .._convert import broadcast_shape
from ..functions import log_softmax, sigmoid, softmax, tanh  # noqa: F401  (the same functions)
from ..functions import where
from ..ops import activation as act
from ..ops.conv import AdaptiveAvgPool2d as AdaptiveAvgPool2dOp
from ..ops.conv import AdaptiveMaxPool2d as AdaptiveMaxPool2dOp
from ..ops.conv import AvgPool2d, Conv2d, MaxPool2d, Pad2d
from ..ops.linalg import Linear as LinearOp
from ..ops.loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits
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
    if bias is not None and bias.shape != (weight.shape[0],) and (bias.ndim > 1 or bias.numel() != 1):
        raise RuntimeError(f"The expanded size of the tensor ({weight.shape[0]}) must match the existing size "
                           f"({bias.shape[-1] if bias.ndim else 1}) at non-singleton dimension 1.  Target sizes: "
                           f"{[int(np.prod(input.shape[:-1])), weight.shape[0]]}.  Tensor sizes: {list(bias.shape)}")
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
        count = input.numel() // input.shape[1] if input.shape[1] else 0
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, "
                             f"got input size {list(input.shape)}")
        if count == 0:  # an empty batch: an empty output, the running statistics untouched (as PyTorch)
            mean = var = Tensor._make(np.zeros(input.shape[1], dtype=input.array.dtype))
        else:
            mean = input.mean(dims)
            var = input.var(dims, unbiased=False)
        if running_mean is not None and count:
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


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var over the last dims.

    input (*, *normalized_shape); weight and bias have ``normalized_shape``. Built from tensor
    ops, so its gradient is theirs.
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) > input.ndim or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                               f"shape {list(t.shape)} and normalized_shape = {list(shape)}")
    _floating(input, "layer_norm")
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    centered = input - input.mean(dims, keepdim=True)
    out = centered / ((centered * centered).mean(dims, keepdim=True) + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# ---------------------------------------------------------------------------- activations
# Each is one op in ``ops/activation.py``; ``inplace=True`` writes the result into the input
# through ``Tensor._apply_inplace``, recorded in the graph as PyTorch records it (docs/inplace.md).

def _floating(input: Tensor, fn: str) -> Tensor:
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{fn}" not implemented for \'{input.dtype.scalar_name}\'')
    return input


def _activate(input: Tensor, fn, inplace: bool) -> Tensor:
    """``fn(input)``, or with ``inplace`` the same values written into ``input`` (returned)."""
    return input._apply_inplace(fn) if inplace else fn(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0): the tensor method, with PyTorch's ``inplace`` flag."""
    return _activate(input, Tensor.relu, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    return _activate(input, lambda x: act.LeakyRelu.apply(_floating(x, "leaky_relu"), negative_slope), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (e^x - 1)."""
    return _activate(input, lambda x: act.Elu.apply(_floating(x, "elu"), alpha), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; ``approximate="tanh"`` uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return act.Gelu.apply(_floating(input, "gelu"), approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return _activate(input, lambda x: act.Silu.apply(_floating(x, "silu")), inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x itself where beta * x > threshold."""
    return act.Softplus.apply(_floating(input, "softplus"), beta, threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]; the gradient is 0 outside and at the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _activate(input, lambda x: act.Hardtanh.apply(x, min_val, max_val), inplace)


# ---------------------------------------------------------------------------- losses

def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's deprecated size_average/reduce flags, mapped to ``reduction`` as PyTorch maps them."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=3)
    return reduction


def _check_same_size(input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        # PyTorch only warns and broadcasts, which silently gives a wrong loss: we refuse
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}). This would give wrong results due to broadcasting; "
                         "reshape the target to the input's shape.")


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
    _check_same_size(input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """mean(|x - y|) (times weight; the weighted mean divides by sum(weight)).   d/dx = sign(x - y) / n"""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_size(input, target)
    loss = (input - target).abs()
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = x - y (beta = 0: l1_loss).

    d/dx = d / beta inside, sign(d) outside: continuous at |d| = beta.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:  # the quadratic branch would divide by zero (and send nan through its gradient)
        return l1_loss(input, target, reduction=reduction)
    _check_same_size(input, target)
    d = input - target
    loss = where(d.abs().array < beta, 0.5 * d * d / beta, d.abs() - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), with d = x - y; delta * smooth_l1(beta=delta).

    d/dx = d inside, delta * sign(d) outside.
    """
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _check_same_size(input, target)
    d = input - target
    loss = where(d.abs().array < delta, 0.5 * d * d, delta * (d.abs() - 0.5 * delta))
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return _reduce(loss, reduction)


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


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(x), y) computed stably in one op (see ``ops/loss.py``).

    ``pos_weight`` (broadcast along the last dims, e.g. (C,) for input (N, C)) scales the
    positive term: -(p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))). ``weight`` scales each
    element's loss. d/dx = (1 + (p - 1) y) sigmoid(x) - p y.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is None:
            continue
        if t.requires_grad:
            raise RuntimeError(f"The function 'binary_cross_entropy_with_logits' is not differentiable with "
                               f"respect to argument '{name}'. This input cannot have requires_grad True.")
        if broadcast_shape(input.shape, t.shape) != tuple(input.shape):
            raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape "
                               f"{list(broadcast_shape(input.shape, t.shape))}")
    _floating(input, "binary_cross_entropy_with_logits")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {input.dtype.scalar_name} can't be cast to the desired output type "
                           f"{target.dtype.scalar_name}")
    dtype = dtypes.result_type(*(t for t in (input, target, weight, pos_weight) if t is not None))
    args = [input.to(dtype), target.to(dtype)] + ([pos_weight.to(dtype)] if pos_weight is not None else [])
    loss = BinaryCrossEntropyWithLogits.apply(*args)
    if weight is not None:
        loss = loss * weight.to(dtype)
    return _reduce(loss, reduction)


def _class_rows(input: Tensor, target: Tensor) -> tuple[Tensor, np.ndarray]:
    """Check a class-index target against its input; return the input as rows (M, C) and the labels (M,).

    input (N, C) with target (N,), (C,) with a 0-dim target, or (N, C, d1, ..., dk) with target
    (N, d1, ..., dk) (K-dimensional, as in segmentation): the class dim moves last and the rest
    flattens, so one op serves every case. Errors are PyTorch's.
    """
    shape, target_shape = input.array.shape, target.array.shape  # numpy's tuples: cheaper than Size
    if not shape:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if len(shape) > 1:
        batch = target_shape[0] if target_shape else 0
        if batch != shape[0]:
            raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size ({batch}).")
        if not target_shape:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if len(shape) <= 2 and len(target_shape) > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if len(shape) > 2 and target_shape != shape[:1] + shape[2:]:
        raise RuntimeError(f"Expected target size {list(shape[:1] + shape[2:])}, got {list(target_shape)}")
    if target.array.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype.scalar_name}")
    if input.ndim == 1 and target.numel() != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.numel()}")
    if input.ndim == 1:
        return input.reshape(1, -1), target.array.reshape(1)
    rows = input if input.ndim == 2 else input.permute(0, *range(2, input.ndim), 1).reshape(-1, input.shape[1])
    return rows, target.array.reshape(-1)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """-x[n, y_n] (times weight[y_n]); the mean divides by the summed weights of the counted targets.

    input (N, C) log-probabilities with target (N,) class indices, or (C,) with a 0-dim target,
    or (N, C, d1, ...) with target (N, d1, ...). d/dx[n, y_n] = -weight[y_n] / total. With every
    target ignored the mean is 0/0 = nan, and its gradient 0, as in PyTorch.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    rows, labels = _class_rows(input, target)
    classes = rows.shape[1]
    if weight is not None and tuple(weight.shape) != (classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    safe, w = _sample_weights(labels.astype(np.int64, copy=False), classes, weight, ignore_index, rows.array.dtype)
    loss = NLLLossOp.apply(rows, safe, w, reduction)
    return loss.reshape(target.shape) if reduction == "none" else loss


def _sample_weights(labels: np.ndarray, classes: int, weight, ignore_index: int, dtype) -> tuple:
    """Each sample's label, made safe to index with (an ignored one becomes 0), and its weight (0 when
    ignored); (labels, None) in the common case: no weight and every label a class, so none ignored.
    A label outside the classes that is not ignored is PyTorch's IndexError."""
    if weight is None and not 0 <= ignore_index < classes and len(labels) and labels.view(np.uint64).max() < classes:
        return labels, None  # the common case in one pass: a negative label is huge as uint64
    counted = labels != ignore_index
    everyone = counted.all()  # no ignored target: fewer passes below
    safe = labels if everyone else np.where(counted, labels, 0)
    if len(safe) and (safe.min() < 0 or safe.max() >= classes):
        bad = counted & ((labels < 0) | (labels >= classes))
        raise IndexError(f"Target {labels[bad][0]} is out of bounds.")
    if weight is None:
        return safe, counted.astype(dtype)
    w = weight.array[safe].astype(dtype, copy=False)
    return safe, w if everyone else w * counted


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 class indices (*,) -> int64 one-hot (*, num_classes); PyTorch's errors for other dtypes,
    negative classes, classes >= num_classes, and an empty input with no num_classes."""
    if tensor.dtype is not dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    labels = tensor.array
    if num_classes < 0 and labels.size == 0:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if labels.size and labels.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    n = int(labels.max()) + 1 if num_classes < 0 else num_classes
    if labels.size and labels.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make(np.eye(n, dtype=np.int64)[labels])


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(x), y) for class indices; -sum_c w_c p_c log_softmax(x)_c for class
    probabilities p (a float target of the input's shape).

    d/dx = softmax(x) - onehot(y) (per sample, before the reduction).
    ``label_smoothing`` e mixes the target with the uniform distribution over the C classes:
    probabilities become (1 - e) p + e / C; with class indices the loss becomes
    (1 - e) nll_loss + e / C * sum_c -w_c log_softmax(x)_c (ignored samples count 0, and the
    mean divides by what nll_loss divides by).
    """
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim] if input.ndim else 1
    if target.shape == input.shape and not target.dtype.is_floating_point:  # probabilities, by shape alone
        raise RuntimeError(f"Expected floating point type for target with class probabilities, "
                           f"got {target.dtype.scalar_name}")
    logp = input.log_softmax(class_dim)
    if target.shape == input.shape:
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = target * logp
        if weight is not None:  # weight (C,) along the class dim
            terms = terms * weight.reshape((-1,) + (1,) * (input.ndim - 2))
        return _reduce(-terms.sum(class_dim), reduction)  # the mean is over samples, not weights
    loss = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return loss
    terms = logp * weight.reshape((-1,) + (1,) * (input.ndim - 2)) if weight is not None else logp
    counted = target.array != ignore_index
    smooth = where(counted, -terms.sum(class_dim), 0)
    if reduction == "mean":
        total = weight.array[target.array[counted]].sum() if weight is not None else counted.sum()
        smooth = smooth.sum() / float(total)
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * loss + smooth * (label_smoothing / n_classes)
