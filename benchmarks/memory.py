"""Peak memory of single ops on a large float32 tensor, the engine against PyTorch (issue 10).

    python benchmarks/memory.py                 # 256 MiB tensors, every case, both engines: a table
    python benchmarks/memory.py --mib 64 --case "x + y" --engine edu --json   # one child's figures

Each (engine, case) of the table runs in its own child process: import the engine, make the inputs, run
the case once on tiny inputs (numba compiles, lazy imports load), then reset the kernel's
peak-RSS mark (``/proc/self/clear_refs``), run the case on the large inputs keeping its
result, and read the peak (``VmHWM``). The figure is peak RSS minus the RSS just before the
call, over the size of one input tensor: the memory the op needed beyond its inputs, its
result included (``x + y`` needs at least 1.0). Linux only. A script, not a pytest file, so
the benchmark smoke test (``pytest benchmarks`` in quick mode) doesn't run it;
``tests/test_memory_peak.py`` runs it on 64 MiB tensors.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys

CASES = {
    "x + y": lambda tp, x, y, w: x + y,
    "x * 2": lambda tp, x, y, w: x * 2,
    "x.exp()": lambda tp, x, y, w: x.exp(),
    "relu": lambda tp, x, y, w: tp.relu(x),
    "sum": lambda tp, x, y, w: x.sum(),
    "mean": lambda tp, x, y, w: x.mean(),
    "softmax": lambda tp, x, y, w: tp.softmax(x, dim=-1),
    "matmul": lambda tp, x, y, w: x @ w,
    "(x*y).sum().backward()": lambda tp, x, y, w: (x * y).sum().backward(),
    "(x*y).exp().mean().backward()": lambda tp, x, y, w: (x * y).exp().mean().backward(),
    "relu(x+y).sum().backward()": lambda tp, x, y, w: tp.relu(x + y).sum().backward(),
    "(x@w).tanh().sum().backward()": lambda tp, x, y, w: (x @ w).tanh().sum().backward(),
}
GRAD_CASES = tuple(case for case in CASES if case.endswith(".backward()"))
ENGINES = ("edu", "torch")
MATMUL_COLUMNS = 64  # x (n, n) @ w (n, 64): the large operand is x, and it takes seconds, not minutes


def _status(field: str) -> int:
    """A ``/proc/self/status`` figure in bytes (``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))


def _inputs(tp, side: int, grad: bool):
    import numpy as np

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape, dtype=np.float32) for shape in ((side, side), (side, side),
                                                                         (side, MATMUL_COLUMNS))]
    # from_numpy shares the arrays' memory: no freed copy that the op could reuse unseen
    return [tp.from_numpy(a).requires_grad_(grad) for a in arrays]


def child(engine: str, cases: list[str], mib: int) -> dict[str, float]:
    """Run ``cases`` in this process, one after another; ``{case: ratio}``."""
    if engine == "torch":
        import torch as tp
        tp.set_num_threads(1)
    else:
        import tinygrad_edu as tp
    ratios = {}
    for case in cases:
        grad = case in GRAD_CASES
        CASES[case](tp, *_inputs(tp, 64, grad))  # warm-up: compilations and lazy imports, outside the measure
        side = math.isqrt(mib * 2**20 // 4)
        inputs = _inputs(tp, side, grad)
        gc.collect()
        before = _status("VmRSS")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak-RSS mark to the current RSS
        result = CASES[case](tp, *inputs)
        ratios[case] = (_status("VmHWM") - before) / (side * side * 4)
        del result, inputs
    return ratios


def measure(engine: str, cases: list[str], mib: int) -> dict[str, float]:
    """Peak memory of each case over one input's size, measured in one child process. Only torch
    runs several cases in one child: it gives freed arrays back to the system, while the engine
    keeps freed memory for reuse (``runtime.py``), which would hide the next case's peak."""
    run = subprocess.run([sys.executable, os.path.abspath(__file__), "--engine", engine, "--mib", str(mib), "--json",
                          *(arg for case in cases for arg in ("--case", case))],
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise RuntimeError(f"{engine} {cases}: {run.stderr[-2000:]}")
    return json.loads(run.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="size of each large input, MiB (default 256)")
    parser.add_argument("--case", choices=CASES, action="append", help="default: all")
    parser.add_argument("--engine", choices=ENGINES, action="append", help="default: both")
    parser.add_argument("--json", action="store_true", help="run one case in this process and print its JSON")
    args = parser.parse_args(argv)
    cases = args.case or list(CASES)
    if args.json:
        print(json.dumps(child(args.engine[0], cases, args.mib)))
        return
    engines = args.engine or ENGINES
    print(f"peak RSS over the RSS before the op, in units of one {args.mib} MiB float32 input")
    print("| case | " + " | ".join(engines) + " |")
    print("|---|" + "---:|" * len(engines))
    for case in cases:
        print(f"| `{case}` | " + " | ".join(f"{measure(e, [case], args.mib)[case]:.2f}x" for e in engines) + " |",
              flush=True)


if __name__ == "__main__":
    main()
