"""Where a tensor's numbers live, and which array library computes on them.

A tensor holds one array: a numpy array on the CPU, or a CuPy array on a CUDA GPU. CuPy copies
numpy's API (``cupy.exp``, ``cupy.matmul``, ``a.sum(axis=...)``, ``a.reshape``), so an op written
against ``xp``, the module of its inputs, serves both devices unchanged:

    xp = array_module(x, y)      # numpy, or cupy when x and y are on the GPU
    out = xp.exp(x) * y          # runs where x and y are; a matmul there is cuBLAS

``array_module`` refuses inputs on two devices with torch's error; ``to_device`` moves an array
(the only place arrays cross between host and GPU); ``parse_device`` reads "cpu", "cuda",
"cuda:1" as ``torch.device`` does. CuPy is imported only when a GPU array is asked for.
docs/gpu.md explains how the Tensor uses these.
"""
from __future__ import annotations

import re

import numpy as np

from . import cuda

_DEVICE = re.compile(r"(cpu|cuda)(?::(\d+))?")


def parse_device(device) -> tuple[str, int | None]:
    """("cpu" or "cuda", index or None) for "cpu", "cuda", "cuda:1", an int (a GPU index) or any
    object whose ``str`` is one of those (a ``device``). Raises torch's RuntimeError otherwise.
    """
    if isinstance(device, (int, np.integer)) and not isinstance(device, bool):
        if device < 0:
            raise RuntimeError(f"Device index must not be negative, but got {device}")
        return "cuda", int(device)
    text = str(device)
    match = _DEVICE.fullmatch(text)
    if match is None:
        if ":" in text and text.split(":")[0] in ("cpu", "cuda"):
            raise RuntimeError(f"Invalid device string: '{text}'")
        raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {text}")
    index = match.group(2)
    return match.group(1), None if index is None else int(index)


def is_cuda_array(a) -> bool:
    """True for an array in GPU memory (CuPy's, numba's device arrays: anything with
    ``__cuda_array_interface__``)."""
    return hasattr(a, "__cuda_array_interface__")


def device_of(a) -> str:
    """"cpu" or "cuda:<index>" for an array."""
    if not is_cuda_array(a):
        return "cpu"
    return f"cuda:{getattr(getattr(a, 'device', None), 'id', 0)}"


def array_module(*arrays, op: str = "array_module"):
    """numpy when every array is on the CPU, cupy when every array is on the GPU.

    Non-arrays (Python numbers, None) are skipped. Arrays on two devices raise torch's
    RuntimeError, naming ``op``: an op never moves data between devices behind the user's back.
    """
    devices = {device_of(a) for a in arrays if a is not None and hasattr(a, "shape")}
    if len(devices) > 1:
        first, second = sorted(devices, reverse=True)[:2]
        raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found at least two "
                           f"devices, {first} and {second}!")
    if devices and devices.pop() != "cpu":
        return _cupy(op)
    return np


def to_device(a, device):
    """``a`` as an array on ``device`` ("cpu", "cuda", "cuda:1"): the same array when it is there
    already, else a copy. A GPU array comes back to the CPU as numpy (``save`` stores those).
    """
    kind, index = parse_device(device)
    if kind == "cpu":
        return _cupy("to").asnumpy(a) if is_cuda_array(a) else a
    xp = _cupy("to")
    index = cuda._device_index(f"cuda:{0 if index is None else index}", "to")
    if device_of(a) == f"cuda:{index}":
        return a
    with xp.cuda.Device(index):
        return xp.asarray(a)


def _cupy(op: str):
    """The cupy module; a RuntimeError naming ``op`` and the reason when the GPU path can't run."""
    reason = cuda.kernels_unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"{op}: CUDA is not available: {reason}")
    import cupy
    return cupy
