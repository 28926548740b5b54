"""GPU kernels, written in numba's CUDA dialect: the same maths as the CPU kernels one folder up.

A CUDA kernel is a Python function run by thousands of GPU threads at once. Each thread asks
``cuda.grid(1)`` for its number and computes one output element from it; threads of one block
can share a small fast memory (``cuda.shared.array``) and wait for each other
(``cuda.syncthreads()``), which is how a block adds up many numbers together (``reduce.py``).

* ``conv.py``: conv2d forward, input gradient, weight and bias gradients;
* ``pool.py``: max_pool2d forward (with argmax) and backward (an atomic scatter through argmax);
* ``adam.py``: one fused Adam step, in place;
* ``reduce.py``: the block-wide sum the gradients of conv2d use.

The host functions take numpy arrays or GPU arrays (CuPy's, or anything with
``__cuda_array_interface__``) and return arrays of the kind they were given, so a GPU tensor's
data never leaves the GPU. They check their arguments with the CPU kernels' checks
(``conv.check_conv2d_args``, ``pool.check_pool2d_args``...), which read only shapes and dtypes
(and the range of max-pool's indices), so a wrong call raises the same error on either device
instead of reading or writing outside an array. Their numpy twins are ``kernels.conv``, ``kernels.pool`` and
``kernels.adam``: tests/test_cuda_sim.py runs these kernels in numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``, which must be set before numba is imported) against the twins
and torch; tests/test_cuda_gpu.py runs them on a real GPU against torch's CUDA kernels.

Importing this package imports numba-cuda; ``tinygrad_edu.kernels`` does not import it.
"""
from .adam import adam_update
from .conv import conv2d_backward, conv2d_forward
from .pool import max_pool2d_backward, max_pool2d_forward

__all__ = ["adam_update", "conv2d_backward", "conv2d_forward", "max_pool2d_backward", "max_pool2d_forward"]
