"""Convolution layers."""
from __future__ import annotations

from ... import creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


class Conv2d(Module):
    """2-D convolution.   x (N, in_channels, H, W) -> (N, out_channels, OH, OW)

    weight (out_channels, in_channels, KH, KW), bias (out_channels,); OH = (H + 2p - KH) // s + 1.
    Initialised as PyTorch does: kaiming_uniform(a=sqrt(5)) and bias ~ U(±1/sqrt(fan_in)),
    fan_in = in_channels * KH * KW.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = F._pair(kernel_size), F._pair(stride)
        self.padding = padding if isinstance(padding, str) else F._pair(padding)
        self.weight = Parameter(creation.empty(out_channels, in_channels, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.reset_weight_and_bias_(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"  # a string unquoted, as torch prints it: padding=same
        if self.bias is None:
            s += ", bias=False"
        return s
