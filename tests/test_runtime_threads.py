"""The threads policy of ``tinygrad_edu/runtime.py``, each case in a fresh process (it is applied on import).

numpy's OpenBLAS has its threads while the conv and pool kernels are idle; just before a kernel
the engine drops it to one thread and stops its idle workers, which would otherwise spin for
~0.1 s beside the kernels' threads; after ``runtime.RESTORE_AFTER_MATMULS`` of numpy's products
without a kernel, BLAS gets its threads back. A large 2-D product (a linear layer's) counts as a
kernel: BLAS goes to one thread and the product is cut by columns among numba's threads, each
block a one-thread BLAS call (``kernels/gemm.py``). ``TINYGRAD_EDU_BLAS_THREADS=n`` sets the idle
count, ``0`` leaves BLAS alone. The probe reads BLAS's thread count, OpenBLAS's own flag for
"workers started", and the CPU time the process burns while it sleeps.
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = r"""
import ctypes, json, threading, time
import numba
import numpy as np
from threadpoolctl import ThreadpoolController

def numpy_blas():
    for lib in ThreadpoolController().select(user_api="blas").lib_controllers:
        if "numpy" in lib.filepath:
            return lib

before = numpy_blas()
threads_before = before.num_threads if before else None
import tinygrad_edu as torch
from tinygrad_edu import kernels, runtime
lib = numpy_blas()
facts = {"settings": runtime.settings(), "threads_before": threads_before, "threads": lib and lib.num_threads}
try:
    started = ctypes.c_int.in_dll(lib.dynlib, "blas_server_avail")
except (AttributeError, ValueError):
    print(json.dumps(facts)); raise SystemExit
# batched products stay numpy's (a linear layer's 2-D ones are cut among numba's threads, below)
a = torch.from_numpy(np.linspace(-1, 1, 2 * 256 * 256).reshape(2, 256, 256))
x, w = torch.randn(8, 4, 12, 12), torch.randn(6, 4, 3, 3)
torch.nn.functional.conv2d(x, w)  # the kernels' threads up, kernels loaded
for _ in range(runtime.RESTORE_AFTER_MATMULS):
    a @ a

def idle_cpu():
    t = time.process_time(); time.sleep(0.15); return time.process_time() - t

def state(name):
    facts[name] = [lib.num_threads, started.value]

first = (a @ a).numpy()  # kernels idle: BLAS on all its threads
state("idle_matmul")
torch.nn.functional.conv2d(x, w)
state("after_conv")
facts["idle_cpu_after_conv"] = idle_cpu()
a @ a
state("matmul_beside_kernels")  # a training step's matmul between kernels: still one thread
for _ in range(runtime.RESTORE_AFTER_MATMULS):
    a @ a
state("matmul_after_idle")  # the kernels idle: both threads again
again = (a @ a).numpy()
facts["same_product"] = bool(np.array_equal(first, again))
# a linear layer's large product: BLAS to one thread, its workers stopped, the product cut by columns
# among numba's threads, each block the bits of a one-thread BLAS call on it
xs = np.random.default_rng(0).standard_normal((64, 1568), np.float32)
ws = np.random.default_rng(1).standard_normal((200, 1568), np.float32)
splits = [runtime.matmul(xs, ws.T) for _ in range(8)]  # (several: a loop or the thread pool, either way)
state("linear_product")
facts["idle_cpu_after_linear_product"] = idle_cpu()
n = numba.get_num_threads()
columns = [200 * k // n for k in range(n + 1)]  # gemm's blocks: one per thread
blocks = np.concatenate([xs @ ws.T[:, c0:c1] for c0, c1 in zip(columns, columns[1:])], axis=1)  # BLAS on one thread
facts["split_same_bits"] = all(np.array_equal(split, blocks) for split in splits)
for _ in range(runtime.RESTORE_AFTER_MATMULS + 1):
    a @ a
release = threading.Event()
other = threading.Thread(target=release.wait)
other.start()
torch.nn.functional.conv2d(x, w)  # another Python thread could be inside BLAS: BLAS is left as it is
state("conv_beside_a_thread")
release.set(); other.join()
facts["kernels"] = kernels.current()
print(json.dumps(facts))
"""


def probe(blas_threads: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("TINYGRAD_EDU_BLAS_THREADS", "TINYGRAD_EDU_KERNELS")}
    if blas_threads is not None:
        env["TINYGRAD_EDU_BLAS_THREADS"] = blas_threads
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                         timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    facts = json.loads(run.stdout.strip().splitlines()[-1])
    if "idle_matmul" not in facts:
        pytest.skip("numpy's BLAS is not an OpenBLAS on pthreads that exports blas_server_avail")
    assert facts["kernels"] == "numba"
    return facts


def test_blas_has_its_threads_while_the_kernels_are_idle_and_one_beside_them():
    facts = probe("2")  # two BLAS threads whatever the cores, so there are workers to stop
    assert facts["threads"] == 2 and facts["settings"]["blas_one_thread_beside_kernels"] is True
    assert facts["idle_matmul"] == [2, 1]  # workers started
    assert facts["after_conv"] == [1, 0]  # one thread, workers stopped
    # nothing left spinning: a spinning OpenBLAS worker alone burns ~0.1 s of this sleep
    assert facts["idle_cpu_after_conv"] < 0.03, facts
    assert facts["matmul_beside_kernels"] == [1, 0]
    assert facts["matmul_after_idle"] == [2, 1]
    assert facts["same_product"]
    assert facts["linear_product"] == [1, 0]  # BLAS's own workers stopped and not woken by the product
    assert facts["idle_cpu_after_linear_product"] < 0.03, facts
    assert facts["split_same_bits"], facts
    assert facts["conv_beside_a_thread"] == [2, 1]


def test_the_default_keeps_blas_thread_count():
    facts = probe(None)
    assert facts["threads"] == facts["threads_before"]
    assert facts["settings"]["blas_one_thread_beside_kernels"] is True and "blas_threads" not in facts["settings"]
    assert facts["after_conv"] == [1, 0] and facts["matmul_after_idle"][0] == facts["threads_before"]


def test_blas_threads_knob_one_keeps_blas_on_one_thread():
    facts = probe("1")
    assert facts["threads"] == 1 and facts["settings"]["blas_threads"] == 1
    assert facts["idle_matmul"][0] == facts["matmul_after_idle"][0] == 1


def test_blas_threads_knob_zero_leaves_blas_alone():
    facts = probe("0")
    assert facts["threads"] == facts["threads_before"]
    assert "blas_threads" not in facts["settings"] and "blas_one_thread_beside_kernels" not in facts["settings"]
    assert facts["after_conv"][0] == facts["threads_before"]
    if facts["threads_before"] > 1:
        assert facts["after_conv"][1] == 1  # workers left running


def test_blas_threads_knob_that_is_not_a_number_is_one_clear_error():
    env = dict(os.environ, TINYGRAD_EDU_BLAS_THREADS="two")
    run = subprocess.run([sys.executable, "-c", "import tinygrad_edu"], cwd=ROOT, env=env, capture_output=True, check=False,
                         text=True, timeout=240)
    assert run.returncode != 0
    assert run.stderr.strip().splitlines()[-1] == (
        "ValueError: TINYGRAD_EDU_BLAS_THREADS must be a number of threads (0 leaves BLAS alone), not 'two'")


AFFINITY_PROBE = r"""
import json, os
import numba
from tinygrad_edu.kernels import threads
allowed = sorted(os.sched_getaffinity(0))
numba.set_num_threads(2)
facts = {"allowed": allowed, "calls": []}
for cpu in allowed[:2]:
    os.sched_setaffinity(0, {cpu})  # this thread, the caller, on one CPU only
    threads.run_split(lambda start, stop: None, 8)
    facts["calls"].append({"caller": cpu, "helpers": [sorted(os.sched_getaffinity(t)) for t in threads._helper_ids]})
    os.sched_setaffinity(0, allowed)
print(json.dumps(facts))
"""


def test_the_kernels_helpers_stay_off_the_callers_cpu():
    """After a sleep the scheduler put a woken helper on its caller's CPU and the two shared one core
    (a CNN step 6.0 -> 8.9 ms): each call keeps the helpers' affinity off the caller's current CPU."""
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs Linux's sched_setaffinity and two CPUs")
    run = subprocess.run([sys.executable, "-c", AFFINITY_PROBE], cwd=ROOT, capture_output=True, text=True,
                         check=False, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    facts = json.loads(run.stdout.strip().splitlines()[-1])
    allowed = facts["allowed"]
    for call in facts["calls"]:
        expected = [c for c in allowed if c != call["caller"]]
        assert call["helpers"] and all(h == expected for h in call["helpers"]), facts
