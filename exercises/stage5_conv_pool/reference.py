"""The engine's answers to stage 5: the kernels' numpy twins, and the numba forward."""
from tinygrad_edu.kernels.conv import conv2d_backward_numpy as conv2d_backward  # noqa: F401
from tinygrad_edu.kernels.conv import conv2d_forward_numba  # noqa: F401
from tinygrad_edu.kernels.conv import conv2d_forward_numpy as conv2d_forward  # noqa: F401
from tinygrad_edu.kernels.pool import max_pool2d_backward_numpy as max_pool2d_backward  # noqa: F401
from tinygrad_edu.kernels.pool import max_pool2d_forward_numpy as max_pool2d_forward  # noqa: F401
