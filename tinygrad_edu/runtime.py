"""How the engine sets up the process so that its defaults are fast. Applied once, on import.

Two measured problems on small models (see benchmarks/ and the README):

* **Threads fight.** The conv and pool kernels run on numba's threads (one per core). OpenBLAS,
  which numpy's matmul calls, keeps its own threads spinning for a while after each call;
  next to numba's they made a CNN training step 2-5x slower on two cores. So the engine
  limits OpenBLAS to one thread: the tutorial's matrices are too small to gain from more.
  Knob: ``TINYGRAD_EDU_BLAS_THREADS=n`` (``0`` leaves BLAS alone); numba's threads are set
  with ``NUMBA_NUM_THREADS`` or ``numba.set_num_threads``.
* **Page faults.** glibc hands each freed buffer above 128 KiB straight back to the operating
  system, so every training step faulted its megabyte temporaries in again (about 4,500 faults
  a step; a CNN step took 1.8x as long). The engine asks glibc to keep freed memory for reuse.
  Knob: ``TINYGRAD_EDU_MALLOC_TUNING=0`` leaves the allocator alone.

Both change the whole process, numpy code outside the engine included; ``settings()`` says
what was applied.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

_applied: dict = {}

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP = 1 << 30  # buffers up to 1 GiB come from (and go back to) the heap, not fresh mappings


def _limit_blas_threads() -> None:
    wanted = int(os.environ.get("TINYGRAD_EDU_BLAS_THREADS", "1"))
    if wanted <= 0:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl is a dependency; without it BLAS keeps its defaults
        return
    threadpool_limits(wanted, user_api="blas")
    _applied["blas_threads"] = wanted


def _keep_freed_memory() -> None:
    if os.environ.get("TINYGRAD_EDU_MALLOC_TUNING", "1") == "0":
        return
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl): nothing to tune
        return
    if mallopt(_M_MMAP_THRESHOLD, _KEEP) and mallopt(_M_TRIM_THRESHOLD, _KEEP):
        _applied["malloc_keep_bytes"] = _KEEP


def settings() -> dict:
    """What ``apply`` changed: ``blas_threads`` and ``malloc_keep_bytes`` when set."""
    return dict(_applied)


def apply() -> None:
    """Limit BLAS threads and keep freed memory, unless the environment says not to."""
    if not _applied:
        _limit_blas_threads()
        _keep_freed_memory()
