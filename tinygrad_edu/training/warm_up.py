"""A first training run on an empty numba cache compiles half of its kernels in a second process.

The first step of a run compiles every numba kernel the model uses, one after another on one core
(numba's compiler holds a lock and the GIL): the tutorial's CNN spent ~4 s so on a slow hour, more
than its whole first epoch. ``start`` forks a child once the model is built. The child compiles
the kernels of the backward pass and the optimizer, in the order the step needs them, into numba's
cache (``cache=True``), while this process compiles the forward pass's kernels at its first step.
By the time this process reaches its backward pass, the child has usually put those kernels in the
cache, and they load in milliseconds; where it has not, this process compiles them itself, as it
would have without the child. The child computes nothing the run uses, so the run's numbers do
not depend on it.

Then the child compiles the parallel loops the step will use (each compiles its kernel again inside
it, 1.2-1.3 s apiece, too much for a first step): it becomes the fresh interpreter that
``kernels/loops.py`` describes (``os.execv``; GNU OpenMP does not survive a fork), niced, so that
the run keeps the cores. Until the child has ended, this process splits its calls on the thread
pool instead (``threads.defer_parallel_loops``), and the same bits come out either way. At the end
of the run this process waits for the child's first part, at most ``WAIT_SECONDS`` (past that it
ends the child), not for the loops: the child compiles those on after the run has returned, alone,
and the next run loads them from the cache.

Only where it is safe and useful: Linux (``os.fork``), the engine's numba kernels, a cache that
does not hold these kernels yet, and a process with no other Python thread and numba's thread layer
not started (a forked child has only the forking thread: a lock another thread held stays held in
it). The child's standard streams go to /dev/null, and it exits with ``os._exit`` (no cleanup of
this process's state runs twice).
"""
from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time

import numba
import numpy as np

from .. import kernels
from ..kernels import adam, conv, loops, pool, relu, threads

WAIT_SECONDS = 30.0
_phase_pipes: dict = {}  # child pid -> the read end of the pipe on which it says "the backward kernels are cached"


def _numba_threads_started() -> bool:
    """Whether numba's thread layer has started (a numba without this flag counts as started: no fork)."""
    from numba.np.ufunc import parallel
    return bool(getattr(parallel, "_is_initialized", True))


def backward_kernels(dtype: str, uses: set) -> list:
    """The compiled kernels a training step's backward pass and optimizer compile, in the order the
    step reaches them (a CNN's backward meets a pool, a ReLU, then a conv, and Adam comes last),
    each with a call that compiles it: tiny arrays with the argument types of the step's own calls.
    ``uses``: any of "conv", "pool", "relu", "adam"."""
    dt = np.dtype(dtype)
    calls = []
    if "pool" in uses:
        calls.append((pool._max_unpool_kernel, lambda: pool.max_pool2d_backward_numba(
            np.zeros((1, 1, 1, 1), dt), np.zeros((1, 1, 1, 1), np.int64), (1, 1, 2, 2))))
    if "relu" in uses:
        z = np.zeros(4, dt)
        calls.append((relu._relu_backward_loop, lambda: relu.relu_backward_numba(z, z)))
    if "conv" in uses:
        x = np.zeros((1, 1, 3, 3), dt)
        calls.append((conv._backward_kernel, lambda: conv.conv2d_backward_numba(x, x, x, (1, 1), (1, 1),
                                                                                 (False, True, True))))
    if "adam" in uses:
        p = np.zeros(3, dt)
        calls.append((adam._adam_kernel, lambda: adam.adam_update_numba(p, p.copy(), p.copy(), p.copy(), None, 1e-3,
                                                                        0.9, 0.999, 1e-8, 0.0, 1, False)))
    return calls


def start(dtype: str, uses: set) -> int | None:
    """Fork a child compiling the backward pass's kernels (``backward_kernels``), then the parallel
    loops (``loops.runners``), into numba's cache; its process id, or None where no child is started
    (see the module's docstring). Until a child that compiles loops has ended, split calls use the
    thread pool (``threads.defer_parallel_loops``)."""
    for pid in list(_phase_pipes):  # an earlier run's child, left compiling its loops: reaped if it has ended
        _ended(pid)
    if not hasattr(os, "fork") or sys.platform != "linux" or kernels.current() != "numba":
        return None
    calls = [call for kernel, call in backward_kernels(dtype, uses) if not loops.in_cache(kernel)]
    loops_missing = False  # whether the cache lacks a parallel loop the step runs
    if numba.config.NUMBA_NUM_THREADS > 1 and threads.parallel_loops():
        needed = [loop for loop, _ in loops.runners(dtype, uses)] + [threads._loop_thread_ids]
        loops_missing = not all(loops.in_cache(loop) for loop in needed)
    if not (calls or loops_missing) or threading.active_count() > 1 or _numba_threads_started():
        return None
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        _phase_pipes[pid] = read
        if loops_missing:
            threads.defer_parallel_loops(lambda: _ended(pid))
        return pid
    try:  # the child
        # the run's handlers only note a signal; the child has nothing to save: a Ctrl-C at the terminal
        # (sent to the whole process group) or a kill sent to the child ends it at once
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        os.close(read)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        for call in calls:
            call()
        os.write(write, b".")
        if loops_missing:  # the run no longer waits for this part: a fresh interpreter, niced, compiles the loops
            argv = loops.command(dtype, uses)  # (the module's docstring says why not this forked one)
            os.execv(argv[0], argv)
        os._exit(0)
    except BaseException:
        os._exit(1)


def _ended(pid: int) -> bool:
    """Whether the child has ended; reaped if so."""
    try:
        if not os.waitpid(pid, os.WNOHANG)[0]:
            return False
    except ChildProcessError:
        pass
    read = _phase_pipes.pop(pid, None)
    if read is not None:
        os.close(read)
    return True


def finish(pid: int | None, wait: bool) -> None:
    """Reap the child: ``wait``, until it has ended or has put the backward pass's kernels in the cache
    (it then compiles the parallel loops on, alone, and is reaped when it ends: by ``start``, the
    loops' gate or, once this process has exited, the system); past WAIT_SECONDS it is killed.
    Without ``wait``: reaped only if it has ended."""
    if pid is None:
        return
    deadline = time.monotonic() + (WAIT_SECONDS if wait else 0.0)
    while not _ended(pid):
        read = _phase_pipes.get(pid)
        if wait and read is not None and select.select([read], [], [], 0)[0]:
            return
        if time.monotonic() >= deadline:
            if wait:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                _ended(pid)
            return
        time.sleep(0.01)
