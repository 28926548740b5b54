"""How the engine sets up the process so that its defaults are fast. Applied once, on import.

Three measured problems on small models (see docs/benchmarks.md, "Threads and memory"):

* **Threads share the cores.** numpy's matmul runs on OpenBLAS's threads, the conv, pool and
  other kernels on numba's (``kernels/threads.py``), one per core each. After a multi-threaded
  call an OpenBLAS worker keeps spinning for ~0.1 s (2^28 clock ticks) before it sleeps; next to
  the kernels' threads that spinning made a CNN training step 2-5x slower on two cores
  (``python -m benchmarks.conv_candidates --sections step``), and a parallel Adam update beside an
  MLP's products 10x. Limiting BLAS to one thread for good stopped the fight but left every numpy
  product on one core. So BLAS has every core while the kernels are idle:
  ``before_parallel_kernel()``, called just before each conv or pool kernel and each large
  product, drops BLAS to one thread and stops its idle workers (lowering the count alone leaves
  the spinning worker); ``before_blas()``, called before numpy's own products, gives BLAS its
  threads back once ``RESTORE_AFTER_MATMULS`` of them ran in a row without a kernel between them.
  A large 2-D product (a linear layer's, ``matmul``) is itself cut by columns among numba's
  threads, each block a one-thread BLAS call (``kernels/gemm.py``), so a training loop of
  linear layers, an MLP's as a CNN's, keeps BLAS on one thread and every core for its own loops
  (MLP step 0.87-0.95x, CNN step 0.93x the time of the previous rule, which gave an MLP's
  products BLAS's two threads and the CNN's column blocks to a pool of Python threads). The rule
  counts ops, not seconds: OpenBLAS's sums differ in the last bit between one thread and two, so
  which product gets which count must not depend on timing, or a resumed run would not repeat an
  uninterrupted one bit for bit. For the same reason ``reset()`` (called as a training run
  starts) gives every run the same start. While the process runs another Python thread than the
  kernels' own, BLAS is left as it is, since that thread may be inside BLAS (and products stay
  numpy's). Knob: ``TINYGRAD_EDU_BLAS_THREADS=n`` gives BLAS ``n`` threads while the kernels are
  idle; ``0`` leaves BLAS alone, never lowered or stopped (products stay numpy's). The kernels'
  threads are numba's count: ``NUMBA_NUM_THREADS`` or ``numba.set_num_threads``.
* **Page faults.** glibc hands each freed buffer above 128 KiB straight back to the operating
  system, so every training step faulted its megabyte temporaries in again (about 4,500 faults
  a step; a CNN step took 1.8x as long). The engine asks glibc to keep freed memory for reuse.
  Knob: ``TINYGRAD_EDU_MALLOC_TUNING=0`` leaves the allocator alone.
* **Garbage collection during compiles.** A numba compile makes millions of Python objects, and
  every full collection they trigger walks all the objects alive in the process: in the README's
  CNN run that was ~0.5-1.2 s of the kernels' 4 s of first-start compilation (thread CPU time).
  Python's cyclic collector is kept off while numba compiles (its "numba:compile" event, which
  also wraps the compiles nested in one; loading from the cache does not fire it). The garbage
  made meanwhile waits for the first collection after the compile; a collector that was off
  stays off.

All three change the whole process, numpy and numba code outside the engine included;
``settings()`` says what was applied.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import threading

from numba.core import event

_applied: dict = {}
# each OpenBLAS built on pthreads: (threadpoolctl's controller, its flag "workers started", the
# function that stops them)
_blas: list = []
_blas_lowered: list = []  # while the kernels are busy: each BLAS's thread count before, to give back
_matmuls_since_kernel = 0
RESTORE_AFTER_MATMULS = 64  # far more than a training step's matmuls between two kernels
SPLIT_MATMUL_MACS = 1 << 21  # smaller 2-D products stay numpy's (on BLAS's one thread in a training loop)
# the name prefix of the kernels' helper threads (kernels/threads.py); they call BLAS only inside a product's
# split (kernels/gemm.py), which returns once every block is done, so no thread of theirs is in BLAS when its
# count changes
KERNEL_THREADS = "tinygrad_edu-kernel"

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP = 1 << 30  # buffers up to 1 GiB come from (and go back to) the heap, not fresh mappings


def _set_up_blas() -> None:
    raw = os.environ.get("TINYGRAD_EDU_BLAS_THREADS", "").strip()
    if not raw.isdigit() and raw != "":
        raise ValueError(f"TINYGRAD_EDU_BLAS_THREADS must be a number of threads (0 leaves BLAS alone), not {raw!r}")
    wanted = int(raw) if raw else None
    if wanted == 0:
        return
    try:
        from threadpoolctl import ThreadpoolController, threadpool_limits
    except ImportError:  # threadpoolctl is a dependency; without it BLAS keeps its defaults
        return
    if wanted is not None:
        threadpool_limits(wanted, user_api="blas")
        _applied["blas_threads"] = wanted
    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        if lib.threading_layer != "pthreads":  # an OpenMP build's threads are OpenMP's to park
            continue
        try:
            started = ctypes.c_int.in_dll(lib.dynlib, "blas_server_avail")
            stop = lib.dynlib.blas_thread_shutdown_
        except (AttributeError, ValueError):  # an OpenBLAS that does not export them
            continue
        _blas.append((lib, started, stop))
    if _blas:
        _applied["blas_one_thread_beside_kernels"] = True


def _other_threads() -> bool:
    """Whether a Python thread other than this one and the kernels' helpers runs: it may be inside BLAS."""
    me = threading.current_thread()
    return any(t is not me and not t.name.startswith(KERNEL_THREADS) for t in threading.enumerate())


def before_parallel_kernel() -> None:
    """A conv or pool kernel is about to run on every core: BLAS drops to one thread, its idle workers stop."""
    global _matmuls_since_kernel
    _matmuls_since_kernel = 0
    if _blas_lowered or not _blas or _other_threads():
        return
    _blas_lowered.extend(lib.num_threads for lib, _, _ in _blas)
    for lib, started, stop in _blas:
        lib.set_num_threads(1)
        if started.value:
            stop()


def blas_workers_up() -> bool:
    """Whether an OpenBLAS's worker threads are up (started by a product on several threads, not
    stopped since by ``before_parallel_kernel``): spinning, or soon to spin at the next product."""
    return any(started.value for _, started, _ in _blas)


def before_blas() -> None:
    """A matmul is about to run: BLAS gets its threads back after enough matmuls without a kernel."""
    global _matmuls_since_kernel
    _matmuls_since_kernel += 1
    if _matmuls_since_kernel >= RESTORE_AFTER_MATMULS:
        _give_back()


def matmul(a, b):
    """a @ b for the engine's linear layers and matmuls. A large 2-D float product is cut by columns
    (or rows) among the kernels' threads, each block a one-thread BLAS call (``kernels/gemm.py``), with BLAS
    held on one thread as beside a kernel: its own workers never start. The rest, and every product
    where that BLAS is not found or not held (another Python thread runs), is numpy's."""
    if a.ndim == 2 and b.ndim == 2 and a.shape[0] * a.shape[1] * b.shape[1] >= SPLIT_MATMUL_MACS and _blas:
        from .kernels import gemm
        if gemm.fits(a, b):
            before_parallel_kernel()
            if _blas_lowered:
                return gemm.product(a, b)
    before_blas()
    return a @ b


def held_blas_libraries() -> list:
    """threadpoolctl's controllers of the OpenBLAS libraries the engine holds on one thread beside its kernels."""
    return [lib for lib, _, _ in _blas]


def reset() -> None:
    """BLAS back to its idle thread count and the matmul count cleared, as in a fresh process."""
    global _matmuls_since_kernel
    _matmuls_since_kernel = 0
    _give_back()


def _give_back() -> None:
    """BLAS's thread counts from before the kernels, if lowered and no other Python thread may be inside BLAS."""
    if _blas_lowered and not _other_threads():
        for (lib, _, _), threads in zip(_blas, _blas_lowered):
            lib.set_num_threads(threads)
        _blas_lowered.clear()


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


class _CollectorPausedWhileCompiling(event.Listener):
    """The cyclic collector off from the outermost numba compile's start to its end (``depth``
    counts the nested ones)."""

    def __init__(self):
        self.depth, self.was_enabled = 0, False

    def on_start(self, ev):
        if self.depth == 0:
            self.was_enabled = gc.isenabled()
            gc.disable()
        self.depth += 1

    def on_end(self, ev):
        self.depth -= 1
        if self.depth == 0 and self.was_enabled:
            gc.enable()


def _pause_collector_while_compiling() -> None:
    event.register("numba:compile", _CollectorPausedWhileCompiling())
    _applied["gc_paused_while_numba_compiles"] = True


def settings() -> dict:
    """What ``apply`` changed: ``blas_threads``, ``blas_one_thread_beside_kernels``,
    ``malloc_keep_bytes`` and ``gc_paused_while_numba_compiles`` when set."""
    return dict(_applied)


def apply() -> None:
    """Set up BLAS's threads, keep freed memory and pause the collector during numba's compiles,
    unless the environment says not to."""
    if not _applied:
        _set_up_blas()
        _keep_freed_memory()
        _pause_collector_while_compiling()
