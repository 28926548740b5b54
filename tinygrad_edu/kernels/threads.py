"""Run a compiled kernel over a range of jobs on numba's thread count: in numba's parallel loops, or
on a pool of Python threads.

The numba kernels are serial loops over a range of jobs, ``kernel(start, stop, *args)``. A call
is cut into a few pieces per thread, and ``run_split`` runs them one of two ways; each job is done
by one thread in one order either way, so the way and the thread count change no bit.

**numba's parallel loops** (the default). Each kernel has a "runner", a ``prange`` loop over the
pieces compiled with ``parallel=True`` (``conv._forward_runner`` and the like). numba runs it on its
threading layer, OpenMP here (torch's too), whose threads spin for a while after each loop and
need no GIL: a split costs microseconds (ReLU's forward at the benchmark's size: 41 us on one
thread, 32 in a loop, 151 on the pool). The CNN's training step took 0.89-0.92x the pool's time
(``python -m benchmarks.conv_candidates --sections split``). Their costs: a runner compiles its
kernel again inside it, 1.2-1.3 s apiece on a cold cache, so a training run on an empty cache has
a fresh interpreter compile them, in the background (``loops.py``), and splits on the pool until
it has ended (``defer_parallel_loops``); and numba's OpenMP pool ends a forked child that starts a
loop after its parent ran one, so a forked child (a DataLoader worker) always uses the pool.
``TINYGRAD_EDU_PARALLEL_LOOPS=0`` keeps a whole run on the pool, ``=1`` on the loops.

**The thread pool.** The kernels are compiled with ``nogil=True``, so several Python threads can run
them at once. Each thread takes the next piece when it is free: on a machine busy with other work
a thread may wait a whole time slice before it starts, and the others then take its pieces.
Handing work to a pool thread wakes it and passes the GIL between the two, each a wake-up of a
sleeping vCPU on this VM: 0.1-0.3 ms per call.

The helpers, and numba's loop threads alike (``keep_loops_off_the_callers_cpu``), never run on the
CPU the calling thread is on (Linux): before each call, if the caller has moved to another CPU since
the last one, every helper's CPU affinity becomes the process's CPUs but that one. Left to itself,
the scheduler put a helper woken by the caller on the caller's own CPU after the process had slept
for a while (~0.1 s), and kept it there: the two took turns on one core and every parallel kernel
ran at one core's speed for the next ~50 ms (a CNN training step 6.0 -> 8.9 ms in blocks of 5 steps
after 0.15 s of sleep; 6.0 ms with the helpers kept off the caller's CPU). A loop thread there is
worse: the caller spins at the loop's end for its share, which cannot run until the caller's time
slice ends (ReLU's forward: 8 ms instead of 30 us). The caller itself is never pinned.

A parallel loop gains from the smallest calls (work of 7 us took 5 on two threads), so every call
of two jobs or more is split there. On the pool, splitting is not always faster: waking a helper,
handing each piece to the kernel and moving the data to the other core's cache cost 0.1-0.3 ms
here, more than a small call's whole work (at batch 8, conv1's forward took 43 us on one thread
and 138 us on two; conv2's took 149 and 203 us; at batch 64, 1297 and 905 us). So on the pool each
call site (the kernel, its job count and its arrays' shapes) runs on the caller's thread alone at
its second and third calls (the first may compile), and is split from then on only if the faster
of those took at least ``SPLIT_MIN_SECONDS``. A rule per call site, not a race between the two ways
at each site: with every site timed both ways and the faster kept, the CNN's step at batch 64 was
8% slower than splitting everything, although each site's choice was right on its own (a helper
left idle for longer wakes up later).

The thread count is numba's: ``NUMBA_NUM_THREADS`` at start-up or ``numba.set_num_threads(n)``.
"""
from concurrent.futures import ThreadPoolExecutor
import ctypes
import functools
import os
import threading
import time

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from .. import runtime
from ..runtime import KERNEL_THREADS

PIECES_PER_THREAD = 4
SPLIT_MIN_SECONDS = 1.5e-4  # a call site whose kernel takes less on the caller's thread alone stays there
_WHOLE_TIMINGS = 2  # calls timed on the caller's thread alone, after the first, for each call site
_MAX_SITES = 4096  # the timings are forgotten past this many call sites
_whole_times: dict = {}  # call site -> its calls' seconds on the caller's thread alone (the first ones)
_pool = None
_helper_ids: list = []  # the pool's threads' native ids, as sched_setaffinity takes them
_helpers_avoid = None  # the CPU the helpers' affinity leaves out (None: not set yet)
_forked = False  # this process is a forked child (of a process that may have used OpenMP)
_LOOPS_ENV = "TINYGRAD_EDU_PARALLEL_LOOPS"


def _loops_knob():
    raw = os.environ.get(_LOOPS_ENV, "").strip()
    if raw not in ("", "0", "1"):
        raise ValueError(f"{_LOOPS_ENV} must be 1 (numba's parallel loops) or 0 (the thread pool), not {raw!r}")
    return None if raw == "" else raw == "1"


_loops_choice = _loops_knob()  # parallel_loops(): None decides by the rules, True / False overrides them
_loops_gate = None  # a callable: until it returns True, no parallel loops (the warm-up child compiles them)
_loop_threads: list = []  # the native ids of the threads numba's loops run on, the caller's left out
_loops_team = None  # (caller's native id, thread count) _loop_threads were found for
_loops_avoid = None  # the CPU their affinity leaves out (None: not set yet)


def _current_cpu_function():
    """glibc's sched_getcpu (0.1 us through ctypes), or None where there is none (not Linux)."""
    try:
        function = ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError, TypeError):
        return None
    function.restype, function.argtypes = ctypes.c_int, []
    return function if hasattr(os, "sched_setaffinity") else None


_current_cpu = _current_cpu_function()
_CPUS = frozenset(os.sched_getaffinity(0)) if _current_cpu else frozenset()  # the process's, at import


def _forget_pool() -> None:
    """A forked child has none of its parent's threads: it makes its own pool when it needs one, and
    never runs numba's parallel loops (numba's OpenMP pool ends a forked child that starts one)."""
    global _pool, _helpers_avoid, _forked
    _pool, _helpers_avoid, _forked = None, None, True
    _helper_ids.clear()


os.register_at_fork(after_in_child=_forget_pool)


def _note_helper() -> None:
    """A new helper thread starts: note its id, and keep it off the CPU the others avoid."""
    helper = threading.get_native_id()
    _helper_ids.append(helper)
    if _helpers_avoid is not None:
        _set_affinity([helper], _helpers_avoid)


def _keep_helpers_off(cpu: int) -> None:
    """Every helper's affinity: the process's CPUs but ``cpu``, the caller's."""
    global _helpers_avoid
    _helpers_avoid = cpu
    _set_affinity(list(_helper_ids), cpu)


def _set_affinity(helpers: list, avoid: int) -> None:
    others = _CPUS - {avoid}
    if not others:
        return
    for helper in helpers:
        try:
            os.sched_setaffinity(helper, others)
        except OSError:  # a thread that has ended, or affinity refused (a container's limits)
            pass


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


def parallel_loops() -> bool:
    """Whether split calls run in numba's parallel loops (``runner``) now: not in a forked child, not
    while ``defer_parallel_loops``'s gate is closed, and not where ``use_parallel_loops(False)``."""
    global _loops_gate
    if _loops_choice is not None:
        return _loops_choice
    if _forked:
        return False
    if _loops_gate is not None:
        if not _loops_gate():
            return False
        _loops_gate = None
    return True


@intrinsic
def _native_thread_id(typingctx):
    """The calling thread's id as the kernel knows it (glibc's gettid), inside ``@njit`` code."""
    def codegen(context, builder, sig, args):
        gettid = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []), "gettid")
        return builder.sext(builder.call(gettid, []), ir.IntType(64))
    return types.int64(), codegen


@njit(parallel=True, cache=True)
def _loop_thread_ids(out):
    """out[k]: the thread that ran iteration k of a parallel loop (each thread runs a share)."""
    for k in prange(out.size):
        out[k] = _native_thread_id()


def keep_loops_off_the_callers_cpu() -> None:
    """Before a parallel loop: numba's loop threads get the process's CPUs but the caller's, as the
    pool's helpers do. Left to the scheduler, a loop thread woken onto the caller's CPU made each
    loop wait for the caller's time slice to end: ReLU's forward took 8 ms instead of 30 us. The
    threads are looked up once per caller and thread count, their affinity set when the caller moves."""
    global _loops_team, _loops_avoid
    if _current_cpu is None or len(_CPUS) < 2:
        return
    me, count = threading.get_native_id(), numba.get_num_threads()
    if _loops_team != (me, count):
        ids = np.zeros(64 * count, np.int64)
        _loop_thread_ids(ids)
        _loop_threads[:] = sorted(set(ids.tolist()) - {me})
        _loops_team, _loops_avoid = (me, count), None
    cpu = _current_cpu()
    if cpu != _loops_avoid and cpu >= 0:
        _loops_avoid = cpu
        _set_affinity(_loop_threads, cpu)


def use_parallel_loops(on):
    """True or False: every split call runs in numba's parallel loops, or on the thread pool; None: the
    rules. Returns the previous choice."""
    global _loops_choice
    previous, _loops_choice = _loops_choice, on
    return previous


def loop_now(loop, dtype) -> bool:
    """Whether the parallel loop ``loop`` runs now on arrays of ``dtype``: ``parallel_loops()`` allows
    it, and it is compiled in this process, or forced on, or ``loops.ready`` (on an empty cache that
    has a fresh interpreter compile the loops, and says no until it has ended). If so, numba's loop
    threads are first kept off the caller's CPU."""
    if not parallel_loops():
        return False
    if not (getattr(loop, "overloads", True) or _loops_choice is not None):  # (a plain function: nothing to compile)
        from . import loops
        if not loops.ready(loop, dtype):
            return False
    keep_loops_off_the_callers_cpu()
    return True


def loop_beside_blas(size: int, minimum: int, loop, dtype) -> bool:
    """Whether an elementwise loop over ``size`` values (ReLU's, Adam's) runs as the parallel loop
    ``loop``: from ``minimum`` values up, on two threads or more, ``loop_now``, and unless OpenBLAS's
    workers are up (a product that ran on BLAS's own threads). Beside them the loop's threads and
    theirs take turns on the cores: an MLP's inference at batch 1000 took 5x torch's time, against
    0.87x. Such a loop is a few percent of a step, so it stays on one thread rather than stop BLAS's
    workers as a conv does (``runtime.before_parallel_kernel``)."""
    if size < minimum or numba.get_num_threads() < 2 or runtime.blas_workers_up():
        return False
    return loop_now(loop, dtype)


def defer_parallel_loops(gate) -> None:
    """Split calls use the thread pool until ``gate()`` returns True (asked at each call until it does)."""
    global _loops_gate
    _loops_gate = gate


def run_split(kernel, jobs: int, *args, runner=None, pieces_per_thread: int = PIECES_PER_THREAD) -> None:
    """kernel(start, stop, *args) over pieces [start, stop) that cover range(jobs), on numba's threads:
    ``runner(bounds, *args)``, the kernel's parallel loop over the pieces bounds[k]..bounds[k + 1],
    where ``parallel_loops()`` allows it, else the thread pool (a kernel without a runner: always).
    On the pool, in one call on the caller's thread instead where this call site took under
    SPLIT_MIN_SECONDS there: its 2nd and 3rd calls run so, timed (see the module's docstring).

    On the pool the caller's thread works too; a thread that has not started by the time the pieces
    are gone finds nothing to do. The kernel must write disjoint parts of its outputs for disjoint
    job ranges; each job is done by one thread, so the result does not depend on the thread count.
    ``pieces_per_thread``: fewer, larger pieces for work that is cheaper in one large call (a BLAS
    product's columns).
    """
    threads = 1 if jobs <= 1 else min(numba.get_num_threads(), jobs)  # (one job: numba's threads not started)
    if threads == 1:
        kernel(0, jobs, *args)
        return
    if runner is not None and loop_now(runner, args[0].dtype):
        runner(even_bounds(jobs, min(jobs, pieces_per_thread * threads)), *args)
        return
    site = (kernel, jobs, threads, pieces_per_thread) + tuple(getattr(a, "shape", None) for a in args)
    times = _whole_times.get(site)
    if times is None:  # the first call may compile the kernel: split, not timed
        if len(_whole_times) >= _MAX_SITES:
            _whole_times.clear()
        _whole_times[site] = []
    elif len(times) < _WHOLE_TIMINGS:
        start = time.perf_counter()
        kernel(0, jobs, *args)
        times.append(time.perf_counter() - start)
        return
    elif min(times) < SPLIT_MIN_SECONDS:
        kernel(0, jobs, *args)
        return
    _split(kernel, jobs, threads, pieces_per_thread, args)


@functools.lru_cache(maxsize=256)
def even_bounds(jobs: int, count: int) -> np.ndarray:
    """bounds[k]..bounds[k + 1]: the jobs of piece k of ``count`` near-equal pieces (kept: 1.6 -> 0.1 us a call;
    only compiled loops read it, never write)."""
    return np.arange(count + 1, dtype=np.int64) * jobs // count


def _split(kernel, jobs: int, threads: int, pieces_per_thread: int, args: tuple) -> None:
    """The pieces of one call, shared out among the caller's thread and threads - 1 helpers."""
    global _pool
    if _pool is None or _pool._max_workers < threads - 1:
        if _pool is not None:
            _pool.shutdown(wait=False)
            _helper_ids.clear()
        _pool = ThreadPoolExecutor(threads - 1, thread_name_prefix=KERNEL_THREADS, initializer=_note_helper)
    if _current_cpu is not None:
        cpu = _current_cpu()
        if cpu != _helpers_avoid and cpu >= 0:
            _keep_helpers_off(cpu)
    count = min(jobs, pieces_per_thread * threads)
    pieces = _Pieces(kernel, [jobs * k // count for k in range(count + 1)], args)
    for _ in range(threads - 1):
        _pool.submit(pieces.work)
    try:
        pieces.work()
    finally:  # even after an exception (Ctrl-C) here, no thread is left writing to the outputs
        pieces.stop_and_wait()
