"""``tinygrad_edu.cuda``: is there a CUDA GPU, which one, and waiting for it, as ``torch.cuda``.

The engine's GPU path needs two libraries, both in the ``cuda`` extra
(``pip install "tinygrad_edu[cuda]"``): CuPy, which holds arrays on the GPU and mirrors numpy's
API, and numba-cuda, which compiles the GPU kernels (``kernels/cuda/``). Neither is imported
until a function here is called, so ``import tinygrad_edu`` stays as light as ever.

``is_available()`` never raises: it answers False, and ``unavailable_reason()`` says why.
Today it is False everywhere, since tensors cannot be moved to a GPU yet; ``kernels_available()``
and ``kernels_unavailable_reason()`` answer for the CUDA kernels alone (a library missing,
numba's CUDA simulator switched on, no driver, no device). The functions
that need a GPU raise a one-line RuntimeError with that reason, as torch's do.
"""
from __future__ import annotations

import functools


TENSORS_ON_GPU = False  # the kernels exist; Tensor, Module and the ops are not wired to them yet (docs/gpu.md)


def unavailable_reason() -> str | None:
    """Why tensors cannot go to a GPU here, or None when they can.

    ``is_available()`` answers for the whole engine, as torch's does: tutorial code that picks
    ``"cuda"`` when it says True must then run. Until tensors can live on a GPU it says False,
    even on a GPU machine; ``kernels_unavailable_reason()`` answers for the CUDA kernels alone.
    """
    if not TENSORS_ON_GPU:
        return "tinygrad_edu's tensors cannot live on a GPU yet: only its CUDA kernels exist (docs/gpu.md)"
    return kernels_unavailable_reason()


@functools.cache
def kernels_unavailable_reason() -> str | None:
    """Why the CUDA kernels (``kernels/cuda/``) cannot run here, or None. Probed once per process."""
    try:
        import cupy
    except Exception:
        return "CuPy is not installed (pip install \"tinygrad_edu[cuda]\")"
    try:
        from numba import config, cuda as numba_cuda
    except Exception:
        return "numba-cuda is not installed (pip install \"tinygrad_edu[cuda]\")"
    if config.ENABLE_CUDASIM:
        # the simulator runs kernels as Python threads on numpy arrays: good for tests, not a device
        return "numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1), which has no device"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:
        return "found no NVIDIA driver on this system"
    if count == 0 or not numba_cuda.is_available():
        return "found no CUDA GPU on this system"
    return None


def is_available() -> bool:
    """True when a CUDA GPU, CuPy and numba-cuda are all there."""
    return unavailable_reason() is None


def kernels_available() -> bool:
    """True when a CUDA GPU, CuPy and numba-cuda are all there, so ``kernels.cuda`` can run."""
    return kernels_unavailable_reason() is None


def device_count() -> int:
    """How many CUDA GPUs the kernels can use (0 where ``kernels_available()`` is False)."""
    if not kernels_available():
        return 0
    import cupy
    return cupy.cuda.runtime.getDeviceCount()


def _device_index(device, what: str) -> int:
    """The GPU index that ``device`` (None, an int, "cuda", "cuda:1", a device) names; raises without a GPU."""
    reason = kernels_unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"{what}: CUDA is not available: {reason}")
    if device is None:
        import cupy
        return cupy.cuda.runtime.getDevice()
    from .backend_array import parse_device
    kind, index = parse_device(device)
    if kind != "cuda":
        raise ValueError(f"{what}: expected a cuda device, but got: {device}")
    index = 0 if index is None else index
    if index >= device_count():
        raise AssertionError(f"Invalid device id {index}: {what} sees {device_count()} CUDA device(s)")
    return index


def current_device() -> int:
    """The index of the GPU that new CUDA arrays go to."""
    return _device_index(None, "current_device")


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. "NVIDIA H200"."""
    index = _device_index(device, "get_device_name")  # first: it raises where there is no GPU
    import cupy
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device=None) -> None:
    """Wait until every kernel queued on the GPU has finished.

    GPU work is asynchronous: a kernel launch returns at once, so a timer read straight after
    it measures nothing. Call this before reading a clock (torch.cuda.synchronize's rule).
    """
    index = _device_index(device, "synchronize")
    import cupy
    with cupy.cuda.Device(index):
        cupy.cuda.runtime.deviceSynchronize()
