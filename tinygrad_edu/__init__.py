"""tinygrad_edu: a small reverse-mode autodiff engine on numpy and numba, with PyTorch's API.

``import tinygrad_edu as torch`` and the tutorial's code runs on this engine. Start reading at
``tensor.py`` (the Tensor) and ``autograd.py`` (how gradients flow back); docs/core_walk.md
gives the order.
"""
import sys as _sys

if _sys.argv[:1] == ["-m"]:  # `python -m` is locating its module: if it is the CLI, guard its start first
    try:
        from tinygrad_edu_launcher import guard_module_start
    except ImportError:  # an editable install made before the launcher existed (reinstall to get it)
        pass
    else:
        guard_module_start()

from . import accelerator, autograd, backends, cuda, dtypes, runtime  # noqa: E402
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (DoubleTensor, FloatTensor, LongTensor, arange, as_tensor, empty, empty_like, eye,
                       from_numpy, full, full_like, is_tensor, linspace, numel, ones, ones_like, rand, randint,
                       randn, randperm, tensor, zeros, zeros_like)
from .creation import logspace, rand_like, randint_like, randn_like
from .dtypes import dtype, float16, float32, float64, int8, int16, int32, int64, uint8
from .dtypes import get_default_dtype, set_default_dtype
from .functions import (abs, add, argmax, argmin, cat, clamp, clip, clone, detach, div, eq, equal, exp, flatten,
                        log, log_softmax, matmul, max, mean, min, mul, neg, permute, pow, relu, reshape, sigmoid,
                        softmax, sqrt, squeeze, stack, sub, sum, t, tanh, transpose, unsqueeze, view_copy, where)
from .functions import (acos, addmm, all, allclose, amax, amin, any, arccos, arcsin, arctan, arctan2, argsort, asin,
                        atan, atan2, bmm, ceil, chunk, cos, cosh, cumsum, dot, einsum, erf, expm1, fix, flip, floor,
                        gather, ger, index_fill, index_select, isclose, isfinite, isinf, isnan, log1p, log2, log10,
                        logsumexp, masked_fill, maximum, minimum, mm, norm, outer, prod, reciprocal, roll, round, rsqrt,
                        scatter, scatter_add, sgn, sign, sin, sinh, sort, split, square, tan, topk, trunc, unbind)
from .serialization import load, save
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from ._device import device, get_default_device, set_default_device
from ._size import Size
from .tensor import Tensor

from . import nn, optim, utils, vision  # noqa: E402  (they build on the names above)
from .nn.functional import layer_norm  # noqa: E402  (torch.layer_norm)

bool = dtypes.bool_
half = float16
float = float32
double = float64
short = int16
int = int32
long = int64

runtime.apply()

__version__ = "0.1.0"
