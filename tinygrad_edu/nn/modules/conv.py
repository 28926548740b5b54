"""Convolution layers."""
from __future__ import annotations

from ... import creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv2d(Module):
    """2-D convolution.   x (N, in_channels, H, W) -> (N, out_channels, OH, OW)

    weight (out_channels, in_channels / groups, KH, KW), bias (out_channels,);
    OH = (H + 2p - d*(KH - 1) - 1) // s + 1. ``padding`` may be an int, a pair, "valid" or "same";
    ``padding_mode`` fills it with zeros, or a reflection, the edge repeated, or the other side
    ("reflect", "replicate", "circular"). Each of the ``groups`` groups sees in_channels / groups
    inputs and makes out_channels / groups outputs. Initialised as PyTorch does:
    kaiming_uniform(a=sqrt(5)) and bias ~ U(±1/sqrt(fan_in)), fan_in = in_channels / groups * KH * KW.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__()
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.kernel_size, self.stride = F._pair(kernel_size), F._pair(stride)
        self.dilation = F._pair(dilation)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {{'replicate', 'zeros', 'circular', 'reflect'}}, but got "
                             f"padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.padding = padding if isinstance(padding, str) else F._pair(padding)
        self.padding_mode = padding_mode
        self.weight = Parameter(creation.empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.reset_weight_and_bias_(self.weight, self.bias)

    def _pads(self) -> tuple:
        """(left, right, top, bottom) for padding_mode, as torch's _reversed_padding_repeated_twice."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            (top, bottom), (left, right) = F._same_padding(self.kernel_size, self.dilation)
            return (left, right, top, bottom)
        ph, pw = self.padding
        return (pw, pw, ph, ph)

    def forward(self, x):
        if self.padding_mode != "zeros":
            return F.conv2d(F._pad2d(x, self._pads(), self.padding_mode), self.weight, self.bias, self.stride, 0,
                            self.dilation, self.groups)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"  # a string unquoted, as torch prints it: padding=same
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
