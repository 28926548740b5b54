"""Run a compiled kernel over a range of jobs on numba's thread count, from Python threads.

The numba kernels are serial loops over a range of jobs, ``kernel(start, stop, *args)``, compiled
with ``nogil=True``: they run on a few Python threads at once, each on a contiguous share of the
jobs. numba's ``parallel=True`` (``prange``) did the same, but its compiler passes cost about
0.8 s per kernel on a cold cache, over half of the CNN's first start.

The thread count is numba's: ``NUMBA_NUM_THREADS`` at start-up or ``numba.set_num_threads(n)``.
"""
from concurrent.futures import ThreadPoolExecutor
import os

import numba

_pool = None


def _forget_pool() -> None:
    """A forked child has none of its parent's threads: it makes its own pool when it needs one."""
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


def run_split(kernel, jobs: int, *args) -> None:
    """kernel(start, stop, *args) for contiguous shares [start, stop) of range(jobs), one per thread.

    The caller's thread runs the first share; the others go to a pool of worker threads. The
    kernel must write disjoint parts of its outputs for disjoint job ranges.
    """
    shares = max(1, min(numba.get_num_threads(), jobs))
    if shares == 1:
        kernel(0, jobs, *args)
        return
    global _pool
    if _pool is None or _pool._max_workers < shares - 1:
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool = ThreadPoolExecutor(shares - 1, thread_name_prefix="tinygrad_edu-kernel")
    bounds = [jobs * k // shares for k in range(shares + 1)]
    others = [_pool.submit(kernel, bounds[k], bounds[k + 1], *args) for k in range(1, shares)]
    try:
        kernel(bounds[0], bounds[1], *args)
    finally:  # even after an exception (Ctrl-C) here, no thread is left writing to the outputs
        for share in others:
            share.result()
