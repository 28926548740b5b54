"""Same-process speed ratios, engine over PyTorch CPU, robust to a loaded machine.

The pytest-benchmark suite times each backend in its own block of rounds, so load from other
processes that comes and goes between blocks skews the ratio. Here each case alternates short
blocks (about ``block_s`` of the engine's calls, then as many of torch's), ``blocks`` times, on the same
weights and batches (the benchmark backends of ``conftest.py`` and the cases of ``test_ops.py``
and ``test_models.py``). Each pair of neighbouring blocks gives one ratio; the median ratio is
reported with its interquartile spread.

    python -m benchmarks.ratio                    # every case
    python -m benchmarks.ratio relu chain mlp     # the cases whose name contains any word
    python -m benchmarks.ratio --blocks 30 relu   # more blocks: a tighter median
    python -m benchmarks.ratio --threads 1 cnn    # torch, numba and BLAS on one thread each
    python -m benchmarks.ratio --processes mlp    # each backend timed in a process of its own
    python -m benchmarks.ratio --processes --sweep  # the training steps over batch sizes 1..512
    python -m benchmarks.ratio --processes --json benchmarks/results/ratio-1.json  # kept for the report

By default both backends share this process, and with them their thread pools: OpenBLAS's and
OpenMP's idle threads spin for a while after a call and can slow the other backend's next block.
``--processes`` runs each backend in a child process of its own (torch's without the engine's
process settings, see ``tinygrad_edu/runtime.py``), on the same inputs, still alternating; before
each block it rests ``--rest-s`` (0.15 s there, longer than OpenBLAS's ~0.1 s of spinning), so the
other process's threads have gone quiet.
"""
from __future__ import annotations

import argparse
import datetime
import functools
import itertools
import json
import multiprocessing
import os
import re
import subprocess
import time

import numpy as np

from .conftest import cores, make_backend
from .test_models import Trainer
from .test_ops import CHAIN, OPS


def _op_case(make, with_backward: bool):
    def build(b):
        leaves, forward = make(b, 64)
        if not with_backward:
            return forward
        out = forward()
        grad = None if out.ndim == 0 else b.tensor(np.ones(tuple(out.shape), np.float32))

        def fn():
            for t in leaves:
                t.grad = None
            forward().backward(grad)
        return fn
    return build


def _chain(b):
    x0 = b.tensor(np.array([1.0, 2.0, 3.0, 4.0], np.float32), True)
    ones = b.tensor(np.ones(4, np.float32))

    def fn():
        x0.grad = None
        x = x0
        for _ in range(CHAIN):
            x = x * 1.0001 + 0.0001
        x.backward(ones)
    return fn


def _digits(n: int):
    from tinygrad_edu.vision.datasets import BuiltinMNIST
    train = BuiltinMNIST(train=True)
    x = (train.data[:n, None].astype(np.float32) / np.float32(255) - np.float32(0.5)) / np.float32(0.5)
    return np.ascontiguousarray(x), np.asarray(train.targets[:n], dtype=np.int64).copy()


def _train(name: str, batch: int, flatten: bool):
    def build(b):
        x, y = _digits(1024)
        trainer = Trainer(b, name, b.batches(x, y, batch, flatten))
        return trainer.step
    return build


def _epoch(name: str, batch: int, flatten: bool):
    """One epoch over the 4,000 built-in training digits through the framework's DataLoader, as the
    suite's epoch benchmark runs it; here edu's and torch's epochs alternate, block by block."""
    def build(b):
        x, y = _digits(4000)
        loader, trainer = b.loader(x, y, batch), Trainer(b, name)
        return functools.partial(trainer.epoch, loader, flatten)
    return build


def _infer(name: str, flatten: bool):
    def build(b):
        x, _ = _digits(2000)
        xs = [b.tensor(x[i:i + 1000].reshape(1000, -1) if flatten else x[i:i + 1000]) for i in (0, 1000)]
        model = b.model(name)
        model.eval()
        it = itertools.cycle(xs)

        def fn():
            with b.fw.no_grad():
                return model(next(it))
        return fn
    return build


# name -> builder(backend) -> the callable to time
CASES = {f"{op} {pass_}": _op_case(make, pass_ == "fwd+bwd") for op, make in OPS.items()
         for pass_ in ("fwd", "fwd+bwd")}
CASES.update({
    f"chain of {2 * CHAIN} tiny ops fwd+bwd": _chain,
    "mlp train step (batch 128)": _train("mlp", 128, True),
    "cnn train step (batch 64)": _train("cnn", 64, False),
    "cnn epoch (4,000 digits, batch 64)": _epoch("cnn", 64, False),
    "mlp inference (batch 1000)": _infer("mlp", True),
    "cnn inference (batch 1000)": _infer("cnn", False),
})
# the training step over the report's batch sizes (``--sweep``)
SWEEP = {f"{name} train step (batch {batch})": _train(name, batch, name == "mlp")
         for name in ("mlp", "cnn") for batch in (1, 8, 16, 32, 128, 512)}
_BUILDERS = {**CASES, **SWEEP}  # what a case name builds, in this process or a child's


def _block(fn, reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def _in_process(name: str):
    """Both backends' timers for case ``name``, built in this process."""
    return [functools.partial(_block, _BUILDERS[name](make_backend(b))) for b in ("edu", "torch-cpu")]


def set_threads(threads: int) -> None:
    """torch's, numba's and numpy's BLAS threads: the same count for both backends, unless
    ``TINYGRAD_EDU_BLAS_THREADS`` says how many BLAS threads the engine has."""
    import numba
    import torch
    from threadpoolctl import threadpool_limits
    # numba first: the first call starts numba's threading layer, which is OpenMP here, and that start
    # sets OpenMP's thread count, torch's too, to NUMBA_NUM_THREADS (the machine's cores by default)
    numba.set_num_threads(threads)
    torch.set_num_threads(threads)
    if not os.environ.get("TINYGRAD_EDU_BLAS_THREADS"):
        threadpool_limits(threads, user_api="blas")


def _serve(backend: str, threads: int, conn) -> None:
    """A child process's loop: a case name builds that case, a number times that many calls of it."""
    set_threads(threads)
    b, fn = make_backend(backend), None
    while (msg := conn.recv()) is not None:
        if isinstance(msg, str):
            fn = _BUILDERS[msg](b)
            conn.send(None)
        else:
            conn.send(_block(fn, msg))


# each backend's process; torch's without the engine's process settings (BLAS, allocator), as torch runs alone
CHILD_ENV = {"edu": {}, "torch-cpu": {"TINYGRAD_EDU_BLAS_THREADS": "0", "TINYGRAD_EDU_MALLOC_TUNING": "0"}}


def child_env(backend: str, torch_keeps_memory: bool = False) -> dict:
    """The environment variables a backend's child process starts with (``Processes``)."""
    env = dict(CHILD_ENV[backend])
    if torch_keeps_memory:
        env.pop("TINYGRAD_EDU_MALLOC_TUNING", None)
    return env


class Processes:
    """The engine and torch each in a child process of its own (``CHILD_ENV``), serving ``_serve``.

    ``torch_keeps_memory``: torch's process keeps the engine's allocator setting (glibc keeps freed
    buffers instead of unmapping them, ``runtime.py``). By default torch runs as it does alone, and
    a buffer of a megabyte or more is mapped afresh at every call and page-faulted in: conv2's
    forward took 755 page faults a call, whose cost on this VM swings from ~0.1 to ~3 us each (its
    one-thread time from 0.7 to 3 ms, same process minutes apart; 0.64-0.69 ms with the setting).
    """

    def __init__(self, threads: int, torch_keeps_memory: bool = False):
        ctx = multiprocessing.get_context("spawn")
        self.conns, self.children = [], []
        for backend in CHILD_ENV:
            saved = dict(os.environ)
            os.environ.update(child_env(backend, torch_keeps_memory))
            try:
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=_serve, args=(backend, threads, child), daemon=True)
                proc.start()
            finally:
                os.environ.clear()
                os.environ.update(saved)
            self.conns.append(parent)
            self.children.append(proc)

    def timers(self, name: str):
        for conn in self.conns:
            conn.send(name)
        for conn in self.conns:
            conn.recv()
        return [functools.partial(self._block, conn) for conn in self.conns]

    @staticmethod
    def _block(conn, reps: int) -> float:
        conn.send(reps)
        return conn.recv()

    def pids(self) -> list[int]:
        return [proc.pid for proc in self.children]

    def close(self) -> None:
        for conn, proc in zip(self.conns, self.children):
            conn.send(None)
            proc.join()


class OtherLoad:
    """The share of the machine's CPU time that other processes used since the last call, from
    Linux's /proc: all CPUs' busy time less that of ``pids`` (this process and its children)."""

    def __init__(self, pids):
        self.pids = pids
        self.last = self._read()

    def _read(self) -> tuple[int, float]:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        others = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
        for pid in self.pids:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            others -= int(fields[11]) + int(fields[12])  # utime + stime
        return others, time.perf_counter()

    def share(self) -> float:
        (o0, t0), (o1, t1) = self.last, self._read()
        self.last = (o1, t1)
        return max(0, o1 - o0) / (os.sysconf("SC_CLK_TCK") * os.cpu_count() * (t1 - t0))


def ratio(name: str, blocks: int = 15, block_s: float = 0.03, rest_s: float = 0.0,
          processes: Processes | None = None, max_others: float | None = None) -> tuple[float, float, float, int]:
    """(median, 25th, 75th percentile) of edu/torch over ``blocks`` alternating block pairs, and
    how many pairs were dropped.

    A block lasts about ``block_s``: several scheduler time slices, so a block is not decided
    by whether another process got the core in the middle of one short call. Each block
    starts after ``rest_s`` of sleep. With ``max_others``, a pair during which other processes
    used more than that share of the machine's CPU time is dropped and timed again (at most
    ``20 * blocks`` times).
    """
    edu, ref = processes.timers(name) if processes else _in_process(name)
    for run in (edu, ref, edu, ref):  # compile, allocate, fill caches
        run(2)
    reps = max(1, round(block_s / min(edu(1), ref(1))))
    load = None if max_others is None else OtherLoad([os.getpid()] + (processes.pids() if processes else []))

    def block(run):
        time.sleep(rest_s)
        return run(reps)
    ratios, dropped = [], 0
    while len(ratios) < blocks and dropped <= 20 * blocks:
        if load:
            load.share()
        # alternate which backend goes first, so neither always follows the other's cache footprint
        if len(ratios) % 2:
            r = block(ref)
            e = block(edu)
        else:
            e = block(edu)
            r = block(ref)
        if load and load.share() > max_others:
            dropped += 1
            continue
        ratios.append(e / r)
    if not ratios:
        return float("nan"), float("nan"), float("nan"), dropped
    q25, med, q75 = np.percentile(ratios, [25, 50, 75])
    return float(med), float(q25), float(q75), dropped


def target(name: str) -> float | None:
    """Issue 13's bound on a case's ratio; None for a training step below batch 16 (reported only)."""
    batch = re.search(r"\(batch (\d+)\)", name)
    if "train step" in name:
        if int(batch.group(1)) < 16:
            return None
        return 0.75 if name.startswith("mlp") else 0.85
    if "epoch" in name:
        return 0.85
    if "inference" in name or name.startswith("chain of"):  # the chain: the per-op overhead
        return 1.0
    return 1.5  # an op row


def _commit() -> str | None:
    try:
        run = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=os.path.dirname(os.path.abspath(__file__)))
    except (OSError, subprocess.SubprocessError):
        return None
    return run.stdout.strip() or None


def write_json(path: str, args, results: list[dict], load_before: list[float] | None) -> None:
    """The run's cases (name, median, quartiles, target) and its settings, for ``benchmarks.report``."""
    from .conftest import cpu_model
    data = {
        "tool": "benchmarks.ratio",
        "datetime": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": _commit(),
        "sweep": args.sweep, "processes": args.processes, "threads": args.threads, "blocks": args.blocks,
        "block_s": args.block_s, "torch_keeps_memory": args.torch_keeps_memory,
        "cpu_model": cpu_model(), "cores": cores(),
        "load_average": {"before": load_before, "after": list(os.getloadavg()) if hasattr(os, "getloadavg") else None},
        "cases": results,
    }
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def _fmt(ratio: float) -> str:
    """Two decimals, or two significant digits below 0.01, so that no positive ratio reads 0.00."""
    return f"{ratio:.2f}" if not 0 < ratio < 0.01 else f"{ratio:.2g}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("words", nargs="*", help="run the cases whose name contains any of these words")
    parser.add_argument("--blocks", type=int, default=15)
    parser.add_argument("--block-s", type=float, default=0.03, help="seconds per block (default 0.03)")
    parser.add_argument("--threads", type=int, default=cores(),
                        help="torch's, numba's and BLAS's threads (default: the cores); 1 on a machine other processes "
                             "load, where thread pools that wait for each other lose whole time slices")
    parser.add_argument("--sweep", action="store_true",
                        help="the MLP's and CNN's training step over batch sizes 1..512 instead of the cases")
    parser.add_argument("--processes", action="store_true",
                        help="time each backend in a process of its own instead of both in this one")
    parser.add_argument("--rest-s", type=float, default=None,
                        help="seconds of sleep before each block (default 0; 0.15 with --processes)")
    parser.add_argument("--torch-keeps-memory", action="store_true",
                        help="with --processes: torch's process keeps freed memory as the engine's does, instead of "
                             "page-faulting fresh buffers in at every call (kernels against kernels)")
    parser.add_argument("--max-others", type=float, default=None,
                        help="drop and retime a block pair during which other processes used more than this share "
                             "of the machine's CPU time (Linux; e.g. 0.05)")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write the ratios, their targets and the run's settings to PATH, which "
                             "benchmarks.report turns into a table (e.g. benchmarks/results/ratio-1.json)")
    args = parser.parse_args(argv)
    rest_s = args.rest_s if args.rest_s is not None else (0.15 if args.processes else 0.0)
    set_threads(args.threads)
    names = [n for n in (SWEEP if args.sweep else CASES) if not args.words or any(w in n for w in args.words)]
    load_before = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    processes = Processes(args.threads, args.torch_keeps_memory) if args.processes else None
    results = []
    try:
        for name in names:
            med, q25, q75, dropped = ratio(name, args.blocks, args.block_s, rest_s, processes, args.max_others)
            note = f", {dropped} pairs dropped" if args.max_others is not None else ""
            print(f"{name:45s} {_fmt(med):>6s}x  (IQR {_fmt(q25)}-{_fmt(q75)}{note})", flush=True)
            results.append({"name": name, "median": med, "q25": q25, "q75": q75, "dropped": dropped,
                            "target": target(name)})
    finally:
        if processes:
            processes.close()
    if args.json:
        write_json(args.json, args, results, load_before)


if __name__ == "__main__":
    main()
