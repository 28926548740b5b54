"""tinygrad_edu.cuda and backend_array on a machine without a GPU: truthful answers, torch's errors.

A stand-in ``cupy`` module (put in sys.modules) plays each way the GPU path can be missing:
no CuPy, numba's simulator, no driver, no device. Each test clears the cached probe before and after.
"""
import sys
import types

import numpy as np
import pytest
import torch

from tinygrad_edu import backend_array, cuda


@pytest.fixture(autouse=True)
def fresh_probe():
    cuda.kernels_unavailable_reason.cache_clear()
    yield
    cuda.kernels_unavailable_reason.cache_clear()


def fake_cupy(count=None, error=None):
    """A module that answers getDeviceCount() with ``count`` or raises ``error``."""
    def get_device_count():
        if error is not None:
            raise error
        return count
    module = types.ModuleType("cupy")
    module.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    return module


class FakeGpuArray:
    """Anything with __cuda_array_interface__ counts as GPU memory."""
    __cuda_array_interface__ = {}
    shape = (2,)
    device = types.SimpleNamespace(id=0)


def test_no_gpu_here_and_the_answers_match_torchs():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert cuda.is_available() is False
    assert cuda.device_count() == 0 == torch.cuda.device_count()
    assert cuda.unavailable_reason()
    for ours, theirs in [(cuda.synchronize, torch.cuda.synchronize), (cuda.get_device_name, torch.cuda.get_device_name),
                         (cuda.current_device, torch.cuda.current_device)]:
        with pytest.raises(RuntimeError) as expected:
            theirs()
        with pytest.raises(type(expected.value), match=r"CUDA is not available: "):
            ours()


@pytest.mark.parametrize("cupy, simulator, reason", [
    (None, False, "CuPy is not installed"),
    (fake_cupy(count=1), True, "simulator is on"),
    (fake_cupy(error=RuntimeError("cudaErrorInsufficientDriver")), False, "no NVIDIA driver"),
    (fake_cupy(count=0), False, "no CUDA GPU"),
])
def test_is_available_never_raises_and_says_why_not(monkeypatch, cupy, simulator, reason):
    from numba import config
    import numba.cuda  # noqa: F401  (imported before the flag flips, or this process would get the simulator)
    monkeypatch.setitem(sys.modules, "cupy", cupy)  # None: "import cupy" raises ImportError
    monkeypatch.setattr(config, "ENABLE_CUDASIM", simulator)
    assert cuda.is_available() is False and cuda.kernels_available() is False
    assert reason in cuda.kernels_unavailable_reason()
    assert cuda.device_count() == 0
    with pytest.raises(RuntimeError, match=f"synchronize: CUDA is not available: .*{reason}"):
        cuda.synchronize()


@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:0", "cuda:3", "cpu:1", 0, 2, "gpu", "CUDA", "cuda:x",
                                  "cuda:-1", "cuda:", "cuda:1:2", " cuda", "mps_nope"])
def test_parse_device_reads_what_torch_device_reads(spec):
    try:
        ref = torch.device(spec)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="device"):
            backend_array.parse_device(spec)
        return
    assert backend_array.parse_device(spec) == (ref.type, ref.index)


def test_array_module_is_numpy_for_cpu_arrays_and_skips_plain_numbers():
    assert backend_array.array_module(np.zeros(2), 3.0, None, np.ones((2, 2))) is np
    assert backend_array.array_module() is np


def test_array_module_refuses_arrays_on_two_devices_naming_the_op():
    with pytest.raises(RuntimeError, match=r"^conv2d: Expected all tensors to be on the same device, but found at "
                                           r"least two devices, cuda:0 and cpu!$"):
        backend_array.array_module(np.zeros(2), FakeGpuArray(), op="conv2d")


def test_gpu_arrays_without_a_gpu_path_raise_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(RuntimeError, match=r"^add: CUDA is not available: CuPy is not installed"):
        backend_array.array_module(FakeGpuArray(), op="add")


def test_to_device_keeps_cpu_arrays_and_refuses_cuda_as_torch_does():
    a = np.arange(3.0)
    assert backend_array.to_device(a, "cpu") is a
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(RuntimeError) as expected:
        torch.from_numpy(a).to("cuda")
    with pytest.raises(type(expected.value), match=r"^to: CUDA is not available"):
        backend_array.to_device(a, "cuda")
    with pytest.raises(RuntimeError, match="Invalid device string: 'cuda:x'"):
        backend_array.to_device(a, "cuda:x")


def test_importing_the_engine_imports_neither_cupy_nor_numba_cuda():
    import subprocess
    code = ("import sys, tinygrad_edu; tinygrad_edu.cuda.is_available.__doc__; "
            "print(sorted(m for m in sys.modules if m.startswith(('cupy', 'numba.cuda', 'numba_cuda'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
