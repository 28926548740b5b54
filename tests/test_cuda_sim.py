"""The CUDA kernels, checked on a machine without a GPU, in the default test run.

* ``cuda_cases.py`` runs in numba's CUDA simulator, in a child process: the simulator is
  chosen by ``NUMBA_ENABLE_CUDASIM=1`` when numba is imported, so it cannot be switched on in
  this process, and should not be (the rest of the suite uses the real numba). The child's
  results come back as JUnit XML, one test here per case there.
* Every kernel compiles for a real GPU (sm_90, both dtypes) with numba-cuda's compiler, which
  needs no device: the simulator runs kernels as plain Python, so only this shows that
  numba's CUDA target accepts them.

Both skip, saying why, where numba-cuda is not installed (it is in the ``dev`` extra).
"""
import ast
import importlib.util
import os
import re
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

CASES = Path(__file__).with_name("cuda_cases.py")
pytestmark = pytest.mark.skipif(importlib.util.find_spec("numba_cuda") is None,
                                reason="numba-cuda is not installed (pip install \"tinygrad_edu[dev]\")")


def _case_names() -> list[str]:
    """The test functions of cuda_cases.py, read from its source (importing it would import numba's CUDA target)."""
    tree = ast.parse(CASES.read_text())
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


@pytest.fixture(scope="module")
def simulator_results(tmp_path_factory) -> dict:
    """Run cuda_cases.py once in the simulator; {function name: [(case id, failure text or None)]}."""
    report = tmp_path_factory.mktemp("cudasim") / "report.xml"
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONPATH=os.pathsep.join(
        [str(CASES.parent.parent)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    run = subprocess.run([sys.executable, "-m", "pytest", str(CASES), "-q", "-p", "no:cacheprovider",
                          f"--junitxml={report}"], env=env, cwd=CASES.parent.parent, capture_output=True,
                         text=True, timeout=300)
    assert report.exists(), f"the simulator run wrote no report:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    results: dict = {}
    for case in ET.parse(report).iter("testcase"):
        name = case.get("name")
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        text = None if problem is None else (problem.get("message", "") + "\n" + (problem.text or ""))[-3000:]
        results.setdefault(name.split("[")[0], []).append((name, text))
    return results


@pytest.mark.parametrize("name", _case_names())
def test_kernel_cases_pass_in_the_cuda_simulator(simulator_results, name):
    cases = simulator_results.get(name)
    assert cases, f"{name} did not run in the simulator"
    failures = [f"{case}:\n{text}" for case, text in cases if text is not None]
    assert not failures, "\n\n".join(failures)


def test_every_kernel_compiles_for_a_real_gpu(monkeypatch):
    from numba import cuda, types as nt
    from numba.cuda import dispatcher

    if not hasattr(cuda, "compile_ptx"):
        pytest.skip("numba.cuda has no compile_ptx here")
    # a kernel's calls to device functions (block_sum) compile for the current device; there is none
    monkeypatch.setattr(dispatcher, "get_current_device", lambda: types.SimpleNamespace(compute_capability=(9, 0)))
    from tinygrad_edu.kernels.cuda import adam, conv, pool

    i, flag = nt.int64, nt.boolean
    I2, I3 = nt.Array(nt.int64, 2, "C"), nt.Array(nt.int64, 3, "C")
    for dt in (nt.float32, nt.float64):
        A1, A2, A3, A4 = (nt.Array(dt, n, "C") for n in (1, 2, 3, 4))
        signatures = {
            conv._forward_kernel: (A4, A4, A1) + (i,) * 7 + (A4,),
            conv._input_grad_kernel: (A4, A4) + (i,) * 7 + (dt, A4),
            conv._weight_grad_kernel: (A4, A4) + (i,) * 7 + (dt, A4),
            conv._bias_grad_kernel: (A4, dt, A1),
            pool._max_pool_kernel: (A3,) + (i,) * 8 + (A3, I3),
            pool._max_unpool_kernel: (A2, I2, A2),
            adam._adam_kernel: (A1,) * 5 + (flag,) + (dt,) * 10,
        }
        for kernel, signature in signatures.items():
            try:
                ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=(9, 0))
            except Exception as e:
                if "NVVM" in type(e).__name__ or "libnvvm" in str(e).lower():
                    pytest.skip(f"numba-cuda finds no NVVM compiler here ({e})")
                raise
            assert ".visible .entry" in ptx, kernel.py_func.__name__
            if dt == nt.float32 and kernel is not pool._max_pool_kernel:  # (which only compares with -inf)
                assert not re.search(r"\b(add|sub|mul|fma|div)\.[a-z.]*f64", ptx), \
                    f"{kernel.py_func.__name__} computes in float64 on float32 data"
