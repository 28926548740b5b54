"""The CUDA kernels on a real GPU, against PyTorch's CUDA kernels.

Every case of ``cuda_cases.py`` runs here with CuPy arrays and torch on CUDA (TF32 off), plus
what only a GPU shows: the tutorial CNN's full-size shapes (blocks of 256 threads, many blocks),
arrays on two devices refused, arrays moved to the GPU and back, and ``tinygrad_edu.cuda``
answering as ``torch.cuda`` does. Skipped, with the reason, where there is no GPU path
(``tinygrad_edu.cuda.kernels_available()`` is False: no GPU, no CuPy or no numba-cuda) or torch sees
no GPU to compare with. ``scripts/gpu_check.sh`` runs it on a GPU machine.
"""
import numpy as np
import pytest

from tinygrad_edu import cuda

if not cuda.kernels_available():
    pytest.skip(f"no GPU path here: {cuda.kernels_unavailable_reason()}", allow_module_level=True)
torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("torch sees no CUDA GPU to compare against", allow_module_level=True)

from cuda_cases import *  # noqa: E402,F401,F403  (the simulator's cases, here on the GPU)
from cuda_cases import assert_close, kernels, on_device, random, to_torch  # noqa: E402

from tinygrad_edu import backend_array  # noqa: E402


def test_tinygrad_edu_cuda_answers_as_torch_cuda():
    assert cuda.device_count() == torch.cuda.device_count()
    assert cuda.get_device_name() == torch.cuda.get_device_name(0)
    assert cuda.current_device() == torch.cuda.current_device()
    assert cuda.synchronize() is None
    with pytest.raises(AssertionError, match="Invalid device id"):
        cuda.get_device_name(cuda.device_count())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tutorial_cnn_shapes_match_torch(dtype):
    """conv2 of the tutorial CNN at batch 64: 6,272 terms in each weight's sum, 256-thread blocks."""
    x, w, b = random((64, 8, 14, 14), dtype, 1), 0.2 * random((32, 8, 3, 3), dtype, 2), random(32, dtype, 3)
    xt, wt, bt = to_torch(x, True), to_torch(w, True), to_torch(b, True)
    ref = torch.nn.functional.conv2d(xt, wt, bt, 1, 1)
    out = kernels.conv2d_forward(on_device(x), on_device(w), on_device(b), (1, 1), (1, 1))
    assert_close(out, ref, dtype, "out")
    g = random(ref.shape, dtype, 4)
    ref.backward(to_torch(g))
    for name, got, want in zip(("dx", "dw", "db"),
                               kernels.conv2d_backward(on_device(g), on_device(x), on_device(w), (1, 1), (1, 1)),
                               (xt.grad, wt.grad, bt.grad)):
        assert_close(got, want, dtype, name)

    pooled, argmax = kernels.max_pool2d_forward(out, (2, 2), (2, 2), (0, 0))
    ref_pooled, ref_at = torch.nn.functional.max_pool2d(ref.detach(), 2, 2, return_indices=True)
    assert_close(pooled, ref_pooled, dtype, "pooled")
    assert_close(argmax, ref_at, dtype, "argmax")


def test_arrays_on_two_devices_are_refused_with_torchs_error():
    x, w = random((1, 2, 4, 4), "float64"), random((2, 2, 3, 3), "float64")
    with pytest.raises(RuntimeError, match="conv2d: Expected all tensors to be on the same device, but found at "
                                           "least two devices, cuda:0 and cpu!"):
        kernels.conv2d_forward(on_device(x), w, None, (1, 1), (0, 0))


def test_arrays_move_to_the_gpu_and_back_unchanged():
    a = random((3, 5), "float32")
    on_gpu = backend_array.to_device(a, "cuda")
    assert backend_array.device_of(on_gpu) == "cuda:0"
    assert backend_array.array_module(on_gpu) is not np
    assert backend_array.to_device(on_gpu, "cuda:0") is on_gpu
    back = backend_array.to_device(on_gpu, "cpu")
    assert isinstance(back, np.ndarray) and back.dtype == a.dtype
    np.testing.assert_array_equal(back, a)
