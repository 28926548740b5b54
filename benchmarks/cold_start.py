"""Cold start: the README's main command with an empty numba cache, then again with the cache filled.

    python -m benchmarks.cold_start            # tinygrad-edu train --model cnn --epochs 1
    python -m benchmarks.cold_start --runs 3   # cold and warm alternately, 3 of each

Each run is a fresh process in a fresh working folder; cold runs point ``NUMBA_CACHE_DIR`` at an
empty folder, so every kernel the command uses compiles, as on a fresh install; the warm run
after it reuses that folder. Reported per run: wall time and CPU time (user + system, of the
child process), and the cold - warm difference of their medians. On a machine that other
processes load, CPU time is the steadier figure: wall time stretches with the load.

A cold run leaves its warm-up child compiling the parallel loops after it has returned
(``tinygrad_edu/training/warm_up.py``); the warm run starts once that child has ended, so that it
finds them in the cache, and the seconds the child went on for are reported as "background".
Its CPU time is not in the run's (the child outlives its parent).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

COMMAND = ["-m", "tinygrad_edu", "train", "--model", "cnn", "--epochs", "1"]


def _run(cache_dir: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, background seconds) of one run of COMMAND with this numba cache;
    background: how long a process it left behind went on after it returned."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        with subprocess.Popen([sys.executable, *COMMAND], cwd=work, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True) as run:
            if run.wait():
                raise subprocess.CalledProcessError(run.returncode, run.args)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        while True:  # the run's process group lives on while a process it left behind does
            try:
                os.killpg(run.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
    background = time.perf_counter() - start - wall
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), background


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="cold/warm pairs (default 1)")
    args = parser.parse_args(argv)
    cold, warm = [], []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(_run(cache))
            warm.append(_run(cache))
        print(f"run {i + 1}: cold {cold[-1][0]:.1f} s wall, {cold[-1][1]:.1f} s CPU, then {cold[-1][2]:.1f} s in the "
              f"background; warm {warm[-1][0]:.1f} s wall, {warm[-1][1]:.1f} s CPU", flush=True)
    for what, k in (("wall", 0), ("CPU", 1)):
        c, w = statistics.median(r[k] for r in cold), statistics.median(r[k] for r in warm)
        print(f"median {what}: cold {c:.1f} s, warm {w:.1f} s, cold - warm {c - w:.1f} s")


if __name__ == "__main__":
    main()
