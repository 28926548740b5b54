"""numba's parallel loops compiled in the background, by a fresh interpreter, on an empty cache.

A parallel loop (``threads.run_split``'s runner, ReLU's loops) compiles its kernel again inside it:
1.2-1.3 s apiece on an empty numba cache, ~5 s for the CNN's, all of it on the first training step
where each is compiled at its first call. So the first call of a loop that is neither compiled in
this process nor in numba's cache (``ready``) starts one interpreter that compiles every loop for
that dtype (``compile_all``), niced, and returns False: split calls use the thread pool until that
interpreter has ended (``threads.defer_parallel_loops``), and then load the loops from the cache
in milliseconds. Once it has ended, a loop it did not leave in the cache compiles where it is
called, as it would without it. The tutorial's CNN script, examples/09_mnist_cnn.py, on an empty
cache: 11.6 s with each loop compiled at its first call, 6.2-6.7 s so (1.7 s warm). ``wait`` waits
for the interpreter (the no-compile test does, before its warm-up step); the benchmarks call
``compile_all`` in their own process first, so that no loop loads in a timed region. A training run
through ``training.train`` has its warm-up child become the same interpreter (``training/warm_up.py``).

A fresh interpreter, not a fork of this process: GNU OpenMP, whose threads run the loops (numba's
and torch's alike), keeps its thread team across calls; in a forked child that team's threads are
gone, and its first loop waits for them forever.

The same bits come out either way: each job is done by one thread in one order, in a loop or on
the pool (``threads.py``).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

from . import threads

USES = frozenset({"conv", "pool", "relu", "matmul", "adam"})  # the kernel families that have parallel loops
# what the fresh interpreter runs: sys.argv is ["-c", the folder holding this package, dtype, uses]
_PROGRAM = ("import os, sys; hasattr(os, 'nice') and os.nice(10); sys.path.insert(0, sys.argv[1]); "
            "from tinygrad_edu.kernels import loops; loops.compile_all(sys.argv[2], set(sys.argv[3].split(',')))")
_started: dict = {}  # dtype name -> the interpreter compiling its loops (subprocess.Popen)


def in_cache(kernel) -> bool:
    """Whether numba's cache has an index for this compiled function (any signature)."""
    cache = getattr(kernel, "_cache", None)
    index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    return index is None or os.path.exists(index)


def runners(dtype: str, uses: set) -> list:
    """The parallel loops a training step runs, each with a call that compiles it through the step's
    own code path, on two jobs: the forward pass's first, as the step meets them, the weight
    gradient's last. ReLU's and Adam's loops are called directly, on the step's argument types: their
    paths take them only while BLAS's workers are down (``threads.loop_beside_blas``). ``uses``: any of
    ``USES``."""
    from . import adam, conv, gemm, pool, relu
    dt = np.dtype(dtype)
    x, calls = np.zeros((2, 1, 3, 3), dt), []
    if "conv" in uses:
        calls.append((conv._forward_runner, lambda: conv.conv2d_forward_numba(x, x[:1], None, (1, 1), (1, 1))))
    if "pool" in uses:
        planes = np.zeros((1, 2, 2, 2), dt)
        calls.append((pool._max_pool_runner, lambda: pool.max_pool2d_forward_numba(planes, (2, 2), (2, 2), (0, 0))))
    if "relu" in uses:
        z = np.zeros(relu.PARALLEL_MIN, dt)
        calls.append((relu._relu_forward_parallel, lambda: relu._relu_forward_parallel(z, np.empty_like(z))))
        calls.append((relu._relu_backward_parallel, lambda: relu._relu_backward_parallel(z, z, np.empty_like(z))))
    if "matmul" in uses and gemm.available():
        a, edges = np.zeros((2, 2), dt), np.arange(3, dtype=np.int64)
        calls.append((gemm._runner, lambda: gemm._runner(edges, a, 0, a, 1, np.empty_like(a), False, edges)))
    if "adam" in uses:
        p = np.zeros(adam.PARALLEL_MIN, dt)
        scalars = adam.kernel_scalars(p, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1.0, False)
        calls.append((adam._adam_runner, lambda: adam._adam_runner(p, p.copy(), p.copy(), p.copy(), p.copy(), False,
                                                                   *scalars, dt.type(0))))
    if "conv" in uses:
        calls.append((conv._backward_runner, lambda: conv.conv2d_backward_numba(x, x, x[:1], (1, 1), (1, 1),
                                                                                (False, True, True))))
    return calls


def compile_all(dtype: str, uses: set) -> None:
    """Compile the parallel loops of ``runners`` that the cache lacks, and the loop that finds numba's
    loop threads, into numba's cache, here: what the fresh interpreter does. On a full cache nothing
    runs (numba's threads are not started)."""
    previous = threads.use_parallel_loops(True)  # (not ``ready``'s rule: that would start an interpreter)
    try:
        for loop, call in runners(dtype, uses):
            if not in_cache(loop):
                call()
        if not in_cache(threads._loop_thread_ids):
            threads.keep_loops_off_the_callers_cpu()
    finally:
        threads.use_parallel_loops(previous)


def command(dtype: str, uses: set) -> list:
    """The command line of an interpreter that runs ``compile_all(dtype, uses)``, niced, on this package."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return [sys.executable, "-c", _PROGRAM, package_root, np.dtype(dtype).name, ",".join(sorted(uses))]


def ready(loop, dtype) -> bool:
    """Whether ``loop`` may run now, for arrays of ``dtype``: it is in numba's cache, or an interpreter
    compiling it has run (then a loop still missing compiles here), or none could start. Otherwise
    one starts, split calls use the pool until it has ended, and the answer is False."""
    if in_cache(loop):
        return True
    name = np.dtype(dtype).name
    if name in _started:
        return True
    try:
        process = subprocess.Popen(command(name, USES), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    except OSError:
        return True
    _started[name] = process
    threads.defer_parallel_loops(lambda: process.poll() is not None)
    return False


def wait(timeout: float = 300.0) -> bool:
    """Wait until every interpreter ``ready`` started has ended (at most ``timeout`` seconds, then it is
    killed); whether there was one still running."""
    running = [p for p in _started.values() if p.poll() is None]
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return bool(running)
