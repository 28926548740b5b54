"""Run a compiled kernel over a range of jobs on numba's thread count, from Python threads.

The numba kernels are serial loops over a range of jobs, ``kernel(start, stop, *args)``, compiled
with ``nogil=True``, so several Python threads can run them at once. numba's ``parallel=True``
(``prange``) did the same, but its compiler passes cost about 0.8 s per kernel on a cold cache,
over half of the CNN's first start.

The jobs are cut into a few pieces per thread, and each thread takes the next piece when it is
free. On a machine busy with other work a thread may wait a whole time slice before it starts:
the others then take its pieces, instead of waiting for it as a fixed split would.

The thread count is numba's: ``NUMBA_NUM_THREADS`` at start-up or ``numba.set_num_threads(n)``.
"""
from concurrent.futures import ThreadPoolExecutor
import os
import threading

import numba

from ..runtime import KERNEL_THREADS

PIECES_PER_THREAD = 4
_pool = None


def _forget_pool() -> None:
    """A forked child has none of its parent's threads: it makes its own pool when it needs one."""
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


class _Pieces:
    """The pieces of one call, [bounds[k], bounds[k + 1]) for each k, taken in turn by free threads."""

    def __init__(self, kernel, bounds, args):
        self.kernel, self.bounds, self.args = kernel, bounds, args
        self.taken = self.done = 0
        self.stopped = False
        self.error = None
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)

    def work(self) -> None:
        """Run pieces until none is left (or the call is stopped)."""
        while True:
            with self.lock:
                if self.stopped or self.taken == len(self.bounds) - 1:
                    return
                k = self.taken
                self.taken += 1
            try:
                self.kernel(self.bounds[k], self.bounds[k + 1], *self.args)
            except BaseException as error:  # handed to the caller's thread, which raises it
                with self.lock:
                    self.error, self.stopped = self.error or error, True
            finally:
                with self.lock:
                    self.done += 1
                    self.changed.notify_all()

    def stop_and_wait(self) -> None:
        """Let no thread take another piece, and wait for the pieces under way."""
        with self.lock:
            self.stopped = True
            self.changed.wait_for(lambda: self.done == self.taken)
            # a thread that has not started yet still holds this object in the pool's queue: let go of
            # the arrays now, so that they are freed with the call, not when that thread wakes
            self.args = ()
        if self.error is not None:
            raise self.error


def run_split(kernel, jobs: int, *args, pieces_per_thread: int = PIECES_PER_THREAD) -> None:
    """kernel(start, stop, *args) over pieces [start, stop) that cover range(jobs), on numba's threads.

    The caller's thread works too; a thread that has not started by the time the pieces are gone
    finds nothing to do. The kernel must write disjoint parts of its outputs for disjoint job
    ranges; each job is done by one thread, so the result does not depend on the thread count.
    ``pieces_per_thread``: fewer, larger pieces for work that is cheaper in one large call (a BLAS
    product's columns).
    """
    threads = max(1, min(numba.get_num_threads(), jobs))
    if threads == 1:
        kernel(0, jobs, *args)
        return
    global _pool
    if _pool is None or _pool._max_workers < threads - 1:
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool = ThreadPoolExecutor(threads - 1, thread_name_prefix=KERNEL_THREADS)
    count = min(jobs, pieces_per_thread * threads)
    pieces = _Pieces(kernel, [jobs * k // count for k in range(count + 1)], args)
    for _ in range(threads - 1):
        _pool.submit(pieces.work)
    try:
        pieces.work()
    finally:  # even after an exception (Ctrl-C) here, no thread is left writing to the outputs
        pieces.stop_and_wait()
