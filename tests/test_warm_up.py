"""``training.warm_up``: on an empty numba cache, a forked child compiles the backward pass's kernels,
then the parallel loops.

Each test runs in a fresh process with a numba cache of its own (``NUMBA_CACHE_DIR``), empty at first,
so the child really compiles and the process really loads what it wrote.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_edu.training import checkpoint

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the warm-up forks: Linux only")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD_THEN_PARENT = """
import os, numpy as np
from tinygrad_edu.training import warm_up
from tinygrad_edu.kernels import loops as kloops
from tinygrad_edu.kernels import adam, conv, pool, relu, threads
kernels = [pool._max_unpool_kernel, relu._relu_backward_loop, conv._backward_kernel, adam._adam_kernel]
uses = {"pool", "relu", "conv", "adam"}
loops = [loop for loop, _ in kloops.runners("float32", uses)]
assert len(loops) == 6 and not any(kloops.in_cache(k) for k in kernels + loops), "the cache was not empty"
pid = warm_up.start("float32", uses)
assert pid, "no child started on an empty cache"
assert not threads.parallel_loops(), "parallel loops before the child compiled them"
_, status = os.waitpid(pid, 0)
assert status == 0, status
assert all(kloops.in_cache(k) for k in kernels + loops), "the child left a kernel out of the cache"
assert threads.parallel_loops(), "the child has ended, the loops are still held back"
assert warm_up.start("float32", uses) is None, "a child started although the cache holds the kernels"
# the step's own calls, at its own sizes, in the parallel loops, then on the thread pool (which the
# run uses until the loops are compiled): each kernel must load from the cache, not compile again
rng = np.random.default_rng(0)
x, w = rng.random((64, 8, 14, 14), dtype=np.float32), rng.random((32, 8, 3, 3), dtype=np.float32)
from tinygrad_edu import runtime
runtime.before_parallel_kernel()  # BLAS's workers stopped, as a step's first conv does: ReLU and Adam may loop
for in_loops in (True, False):
    threads.use_parallel_loops(in_loops)
    conv.conv2d_forward_numba(x, w, rng.random(32, dtype=np.float32), (1, 1), (1, 1))
    conv.conv2d_backward_numba(rng.random((64, 32, 14, 14), dtype=np.float32), x, w, (1, 1), (1, 1))
    out, argmax = pool.max_pool2d_forward_numba(x, (2, 2), (2, 2), (0, 0))
    pool.max_pool2d_backward_numba(out, argmax, x.shape)
    relu.relu_forward_numba(x)
    relu.relu_backward_numba(x, x)  # 100,352 values: in the parallel loop
    relu.relu_backward_numba(out, out)  # 25,088: on one thread
    for p in (rng.random((32, 72), dtype=np.float32), rng.random((256, 257), dtype=np.float32)):  # one thread, loop
        adam.adam_update_numba(p, p.copy(), p.copy(), p.copy(), None, 1e-3, 0.9, 0.999, 1e-8, 0.0, 7.0, False)
for k in kernels + loops:
    assert sum(k.stats.cache_hits.values()) >= 1 and not k.stats.cache_misses, (k, k.stats)
print("ok")
"""


def _says_ok(script: str, cache) -> None:
    """Run ``script`` in a fresh process with this numba cache; it must print "ok"."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0 and run.stdout.split() == ["ok"], run.stdout + run.stderr[-3000:]


def test_a_child_compiles_the_kernels_the_steps_own_calls_then_load(tmp_path):
    _says_ok(CHILD_THEN_PARENT, tmp_path / "numba")


RUN_RETURNS_BEFORE_THE_LOOPS = """
import time
from tinygrad_edu.training import warm_up
from tinygrad_edu.kernels import loops as kloops
from tinygrad_edu.kernels import threads
uses = {"pool", "relu", "conv"}
loops = [loop for loop, _ in kloops.runners("float32", uses)]
pid = warm_up.start("float32", uses)
warm_up.finish(pid, wait=True)  # the end of a run: waits for the backward kernels only
assert pid in warm_up._phase_pipes, "the run waited for the parallel loops too"
assert all(kloops.in_cache(k) for k, _ in warm_up.backward_kernels("float32", uses))
assert not threads.parallel_loops(), "parallel loops before the child compiled them"
deadline = time.monotonic() + 120
while not threads.parallel_loops():  # the gate reaps the child once it has ended
    assert time.monotonic() < deadline, "the child never ended"
    time.sleep(0.05)
assert pid not in warm_up._phase_pipes and all(kloops.in_cache(k) for k in loops)
print("ok")
"""


def test_a_run_ends_without_waiting_for_the_parallel_loops_which_follow_once_compiled(tmp_path):
    _says_ok(RUN_RETURNS_BEFORE_THE_LOOPS, tmp_path / "numba")


AFTER_TORCH_S_OPENMP = """
import os, time
import torch
torch.set_num_threads(2)
a = torch.ones(256, 256)
for _ in range(10):
    (a @ a).relu_()  # torch's OpenMP threads have run a loop in this process
from tinygrad_edu.training import warm_up
from tinygrad_edu.kernels import loops as kloops
pid = warm_up.start("float32", {"relu"})
assert pid, "no child started on an empty cache"
deadline = time.monotonic() + 120
while not os.waitpid(pid, os.WNOHANG)[0]:
    if time.monotonic() > deadline:
        os.kill(pid, 9)
        raise SystemExit("the child never ended")
    time.sleep(0.05)
assert all(kloops.in_cache(loop) for loop, _ in kloops.runners("float32", {"relu"}))
print("ok")
"""


def test_the_child_ends_in_a_process_that_ran_torch_s_openmp_loops(tmp_path):
    """GNU OpenMP's thread team, which torch's loops and numba's share, does not survive a fork: a
    forked child's first parallel loop waited forever for threads it does not have."""
    pytest.importorskip("torch")
    _says_ok(AFTER_TORCH_S_OPENMP, tmp_path / "numba")


def test_a_first_run_gives_the_numbers_a_warm_run_gives(tmp_path):
    """The README's CNN, shortened, first on an empty cache (the child compiles beside the run), then
    again on the cache it filled (no child): the same losses, accuracy and checkpoint, bit for bit."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    results = []
    for k in range(2):
        work = tmp_path / f"run{k}"
        work.mkdir()
        run = subprocess.run([sys.executable, "-m", "tinygrad_edu", "train", "--model", "cnn", "--epochs", "1",
                              "--limit-train", "128"], cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr[-3000:]
        metrics = json.loads((work / "cnn-edu.metrics.json").read_text())
        saved = checkpoint.read(str(work / "cnn-edu.ckpt"))
        results.append(({k: v for k, v in metrics.items() if k != "epoch_seconds"}, saved))
    (metrics0, saved0), (metrics1, saved1) = results
    assert metrics0 == metrics1
    for part in ("model_state_dict", "optimizer_state_dict"):
        flat0, flat1 = _arrays(saved0[part]), _arrays(saved1[part])
        assert flat0.keys() == flat1.keys() and flat0
        for key in flat0:
            np.testing.assert_array_equal(flat0[key], flat1[key], err_msg=f"{part} {key}")


def _arrays(tree, prefix="") -> dict:
    """Every numpy array in a nested dict or list, by its path."""
    if isinstance(tree, np.ndarray):
        return {prefix: tree}
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, (list, tuple)) else ()
    return {k: v for key, sub in items for k, v in _arrays(sub, f"{prefix}/{key}").items()}
