"""numba's parallel loops (``kernels/threads.py``: ``parallel_loops``), each case in a fresh process.

numba's OpenMP pool ends a forked child that starts a parallel region after its parent has used
one, so a forked child (a DataLoader worker, say) splits its calls on the thread pool instead; the
environment variable ``TINYGRAD_EDU_PARALLEL_LOOPS`` chooses the way for a whole run.
"""
import os
import subprocess
import sys

import numba
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python(script: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ, **env), capture_output=True,
                          text=True, timeout=300)


FORK_AFTER_LOOPS = """
import os, numpy as np
from tinygrad_edu.kernels import conv, relu, threads
x, w = np.random.default_rng(0).random((64, 8, 12, 12)), np.random.default_rng(1).random((8, 8, 3, 3))
def results():
    return [conv.conv2d_forward_numba(x, w, None, (1, 1), (1, 1)), relu.relu_forward_numba(x - 0.5)]
assert threads.parallel_loops()
parent = results()  # the parent's OpenMP pool has run (73,728 values: ReLU too)
pid = os.fork()
if pid == 0:
    ok = not threads.parallel_loops() and all(np.array_equal(a, b) for a, b in zip(results(), parent))
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork") or numba.config.NUMBA_NUM_THREADS < 2,
                    reason="needs fork and two numba threads")
def test_a_forked_child_splits_on_the_thread_pool_and_lives():
    run = _python(FORK_AFTER_LOOPS)
    assert run.returncode == 0 and run.stdout.split() == ["0"], run.stdout + run.stderr[-3000:]


def test_the_environment_variable_chooses_the_way():
    script = "from tinygrad_edu.kernels import threads; print(threads.parallel_loops())"
    assert _python(script, TINYGRAD_EDU_PARALLEL_LOOPS="0").stdout.split() == ["False"]
    assert _python(script, TINYGRAD_EDU_PARALLEL_LOOPS="1").stdout.split() == ["True"]
    bad = _python(script, TINYGRAD_EDU_PARALLEL_LOOPS="yes")
    assert bad.returncode != 0
    assert "TINYGRAD_EDU_PARALLEL_LOOPS must be 1 (numba's parallel loops) or 0 (the thread pool), not 'yes'" \
        in bad.stderr


RELU_BESIDE_BLAS = """
import numpy as np
from tinygrad_edu import kernels, runtime
from tinygrad_edu.kernels import relu
if not runtime._blas:
    print("no OpenBLAS with workers to watch"); raise SystemExit
calls, loop = [], relu._relu_forward_parallel
relu._relu_forward_parallel = lambda x, z: calls.append(1) or loop(x, z)
x = np.random.default_rng(0).standard_normal(1 << 17).astype(np.float32)
a = np.ones((512, 512))
a @ a  # BLAS on its threads: its workers are up
print(runtime.blas_workers_up(), np.array_equal(relu.relu_forward_numba(x), np.maximum(x, 0)), len(calls))
kernels.conv2d_forward(np.ones((2, 1, 4, 4)), np.ones((1, 1, 3, 3)), None, (1, 1), (0, 0))  # stops them
print(runtime.blas_workers_up(), np.array_equal(relu.relu_forward_numba(x), np.maximum(x, 0)), len(calls))
"""


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2 or (os.cpu_count() or 1) < 2, reason="needs two cores")
def test_relu_keeps_to_one_thread_while_blas_workers_are_up():
    """An MLP's ReLUs run between matmuls on every core: beside OpenBLAS's spinning workers a parallel
    loop made its inference 5x slower. After a conv has stopped them (a CNN), ReLU's loop runs in parallel."""
    run = _python(RELU_BESIDE_BLAS)
    if run.stdout.startswith("no OpenBLAS"):
        pytest.skip(run.stdout.strip())
    assert run.returncode == 0 and run.stdout.split() == ["True", "True", "0", "False", "True", "1"], \
        run.stdout + run.stderr[-3000:]


LOOP_THREADS_OFF_THE_CALLER = """
import os, numpy as np
from tinygrad_edu.kernels import conv, threads
conv.conv2d_forward_numba(np.ones((64, 4, 12, 12)), np.ones((8, 4, 3, 3)), None, (1, 1), (1, 1))
others = threads._loop_threads
print(len(others) >= 1, all(threads._loops_avoid not in os.sched_getaffinity(t) for t in others),
      threads._loops_avoid in os.sched_getaffinity(0))
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2
                    or numba.config.NUMBA_NUM_THREADS < 2, reason="needs Linux and two CPUs")
def test_the_loops_threads_keep_off_the_callers_cpu():
    """A loop thread on the caller's CPU makes every loop wait out the caller's time slice (8 ms for a
    30 us ReLU): before a loop, numba's loop threads get every CPU but the caller's; the caller none less."""
    run = _python(LOOP_THREADS_OFF_THE_CALLER)
    assert run.returncode == 0 and run.stdout.split() == ["True", "True", "True"], run.stdout + run.stderr[-3000:]


FIRST_LOOP_ON_AN_EMPTY_CACHE = """
import numpy as np
from tinygrad_edu.kernels import conv, loops, threads
rng = np.random.default_rng(0)
x, w = rng.random((16, 8, 14, 14), dtype=np.float32), rng.random((32, 8, 3, 3), dtype=np.float32)
runner = conv._forward_runner
assert not loops.in_cache(runner), "the cache was not empty"
on_the_pool = conv.conv2d_forward_numba(x, w, None, (1, 1), (1, 1))
assert "float32" in loops._started and not runner.overloads, "the first call compiled its loop here"
assert not threads.parallel_loops(), "loops allowed while the interpreter compiles them"
assert loops.wait(), "no interpreter was compiling the loops"
assert loops._started["float32"].returncode == 0
assert all(loops.in_cache(loop) for loop, _ in loops.runners("float32", loops.USES)), "a loop is not in the cache"
in_the_loop = conv.conv2d_forward_numba(x, w, None, (1, 1), (1, 1))
assert runner.overloads and sum(runner.stats.cache_hits.values()) == 1 and not runner.stats.cache_misses, runner.stats
assert np.array_equal(on_the_pool, in_the_loop)
print("ok")
"""


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
def test_a_program_s_first_loop_on_an_empty_cache_compiles_in_the_background(tmp_path):
    """Any program, not only ``train``: the first call of a parallel loop the cache lacks runs on the
    thread pool while a fresh interpreter compiles the loops; the next call after it loads them."""
    run = _python(FIRST_LOOP_ON_AN_EMPTY_CACHE, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    assert run.returncode == 0 and run.stdout.split() == ["ok"], run.stdout + run.stderr[-3000:]
