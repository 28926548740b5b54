"""The threads policy of ``tinygrad_edu/runtime.py``, each case in a fresh process (it is applied on import).

numpy's OpenBLAS keeps its threads; just before a numba parallel kernel (conv, pool) the engine
stops OpenBLAS's idle workers, which would otherwise spin for ~0.1 s beside numba's threads.
``TINYGRAD_EDU_BLAS_THREADS=n`` limits BLAS to n threads, ``0`` leaves it alone. The probe reads
OpenBLAS's own flag for "workers started" and the CPU time the process burns while it sleeps.
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = r"""
import ctypes, json, threading, time
import numpy as np
from threadpoolctl import ThreadpoolController, threadpool_limits

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
a = np.linspace(-1, 1, 256 * 256).reshape(256, 256)
x, w = torch.randn(8, 4, 12, 12), torch.randn(6, 4, 3, 3)
torch.nn.functional.conv2d(x, w)  # numba's pool up, kernels loaded

def idle_cpu():
    t = time.process_time(); time.sleep(0.15); return time.process_time() - t

with threadpool_limits(2, user_api="blas"):  # two workers' worth of BLAS, whatever the cores
    first = a @ a
    facts["started_after_matmul"] = started.value
    torch.nn.functional.conv2d(x, w)
    facts["started_after_conv"] = started.value
    facts["idle_cpu_after_conv"] = idle_cpu()
    again = a @ a
    facts["started_after_second_matmul"] = started.value
    facts["same_product"] = bool(np.array_equal(first, again))
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    torch.nn.functional.conv2d(x, w)  # another Python thread could be inside BLAS: leave its workers
    facts["started_after_conv_beside_a_thread"] = started.value
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
    if "started_after_matmul" not in facts:
        pytest.skip("numpy's BLAS is not an OpenBLAS on pthreads that exports blas_server_avail")
    assert facts["kernels"] == "numba"
    return facts


def test_blas_keeps_its_threads_and_its_workers_stop_before_a_parallel_kernel():
    facts = probe(None)
    assert facts["threads"] == facts["threads_before"]  # the policy does not change the count
    assert facts["settings"]["blas_stopped_before_kernels"] is True and "blas_threads" not in facts["settings"]
    assert facts["started_after_matmul"] == 1
    assert facts["started_after_conv"] == 0
    # nothing left spinning: a spinning OpenBLAS worker alone burns ~0.1 s of this sleep
    assert facts["idle_cpu_after_conv"] < 0.03, facts
    assert facts["started_after_second_matmul"] == 1  # the next matmul starts them again
    assert facts["same_product"]
    assert facts["started_after_conv_beside_a_thread"] == 1


def test_blas_threads_knob_limits_blas():
    facts = probe("1")
    assert facts["threads"] == 1 and facts["settings"]["blas_threads"] == 1
    # within the limit of 2 set by the probe, the workers still stop before the kernel
    assert facts["started_after_matmul"] == 1 and facts["started_after_conv"] == 0


def test_blas_threads_knob_zero_leaves_blas_alone():
    facts = probe("0")
    assert facts["threads"] == facts["threads_before"]
    assert "blas_threads" not in facts["settings"] and "blas_stopped_before_kernels" not in facts["settings"]
    assert facts["started_after_matmul"] == 1 and facts["started_after_conv"] == 1


def test_blas_threads_knob_that_is_not_a_number_is_one_clear_error():
    env = dict(os.environ, TINYGRAD_EDU_BLAS_THREADS="two")
    run = subprocess.run([sys.executable, "-c", "import tinygrad_edu"], cwd=ROOT, env=env, capture_output=True, check=False,
                         text=True, timeout=240)
    assert run.returncode != 0
    assert run.stderr.strip().splitlines()[-1] == (
        "ValueError: TINYGRAD_EDU_BLAS_THREADS must be a number of threads (0 leaves BLAS alone), not 'two'")
