"""The benchmark suite still runs: ``benchmarks/`` in quick mode, then the report on its JSON.

``pytest`` from the repo root collects ``tests/`` only (``testpaths``); this test is the one
link to ``benchmarks/``. Quick mode (tiny sizes, one or two rounds per case) keeps it well
under a minute on two cores; the figures it produces mean nothing, only that every case,
the JSON's machine info and the report work. Skipped without pytest-benchmark.
"""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("pytest_benchmark")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_benchmark_suite_quick(tmp_path):
    out = tmp_path / "quick.json"
    env = dict(os.environ, TINYGRAD_EDU_BENCH_QUICK="1")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks", "-q", "-p", "no:cacheprovider",
         "--benchmark-json", str(out), "--benchmark-columns=median,rounds"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]

    data = json.loads(out.read_text())
    info = data["machine_info"]["tinygrad_edu"]
    assert info["quick"] is True
    assert info["torch_threads"] == info["cores"] or info["versions"]["torch"] is None
    assert info["numba_threads"] >= 1 and isinstance(info["blas"], list)
    groups = {b["group"] for b in data["benchmarks"]}
    backends = {b["extra_info"]["backend"] for b in data["benchmarks"]}
    assert {"edu", "edu-numpy"} <= backends
    kinds = {b["extra_info"]["kind"] for b in data["benchmarks"]}
    assert kinds >= {"op", "step", "inference", "epoch", "scale", "longrun"}, kinds
    assert any(g.startswith("op: chain") for g in groups)

    report = subprocess.run([sys.executable, "-m", "benchmarks.report", str(out), "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stdout + report.stderr
    text = (tmp_path / "REPORT.md").read_text()
    assert "## Summary" in text and "edu / torch-cpu" in text and "## Machine" in text
    assert (tmp_path / "scaling.png").stat().st_size > 0

    # three runs: the report lists each summary ratio per run, with their median and range
    for k, factor in ((2, 2.0), (3, 4.0)):  # torch twice and four times as slow: edu's ratio halves, quarters
        slower = json.loads(out.read_text())
        for b in slower["benchmarks"]:
            if b["extra_info"]["backend"] == "torch-cpu":
                b["stats"] = {key: v * factor if isinstance(v, float) else v for key, v in b["stats"].items()}
        (tmp_path / f"run{k}.json").write_text(json.dumps(slower))
    report = subprocess.run([sys.executable, "-m", "benchmarks.report", str(out), str(tmp_path / "run2.json"),
                             str(tmp_path / "run3.json"), "--out", str(tmp_path), "--no-charts"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stdout + report.stderr
    row = next(line for line in (tmp_path / "REPORT.md").read_text().splitlines() if line.startswith("| MLP train step |"))
    first, second, third, median, spread = [c.strip() for c in row.strip("|").split("|")[1:]]
    r1 = float(first.rstrip("×"))
    assert abs(float(second.rstrip("×")) - r1 / 2) <= 0.006 and abs(float(third.rstrip("×")) - r1 / 4) <= 0.006
    assert median == second and spread == f"{third.rstrip('×')}-{first.rstrip('×')}"


def test_ratio_tool_sweep_runs():
    """``benchmarks.ratio --sweep`` times the training steps over batch sizes: one line per case, a ratio each."""
    pytest.importorskip("torch")
    run = subprocess.run([sys.executable, "-m", "benchmarks.ratio", "--sweep", "--blocks", "1", "--block-s", "0.001",
                          "batch 8)"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    assert [line.split("  ")[0] for line in lines] == ["mlp train step (batch 8)", "cnn train step (batch 8)"], lines
    assert all(float(line.split()[-3].rstrip("x")) > 0 for line in lines), lines


def test_ratio_gives_torch_and_numba_the_thread_count_asked_for():
    """numba's threading layer is OpenMP here, torch's OpenMP too; the layer's start (numba's first
    thread call) sets OpenMP's thread count to NUMBA_NUM_THREADS, and a torch that has already run
    follows it: a count set for torch before that start was lost (one thread asked for, two ran)."""
    pytest.importorskip("torch")
    code = ("import torch; torch.ones(2).sum(); torch.get_num_threads(); import numba; "
            "from benchmarks.ratio import set_threads; "
            "set_threads(1); print(torch.get_num_threads(), numba.get_num_threads())")
    env = dict(os.environ, NUMBA_NUM_THREADS="2")
    env.pop("OMP_NUM_THREADS", None)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["1", "1"]


def test_ratio_tool_gives_torch_the_engines_allocator_setting_only_when_asked():
    """``--processes --torch-keeps-memory``: torch's child keeps freed buffers as the engine's runtime
    makes glibc do, instead of page-faulting fresh ones in at every call; by default it runs as alone."""
    from benchmarks.ratio import child_env
    code = "import tinygrad_edu, json; print(json.dumps(tinygrad_edu.runtime.settings()))"
    applied = {}
    for keeps in (False, True):
        env = {k: v for k, v in os.environ.items() if k != "TINYGRAD_EDU_MALLOC_TUNING"}
        env.update(child_env("torch-cpu", torch_keeps_memory=keeps))
        run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stderr[-3000:]
        applied[keeps] = json.loads(run.stdout)
    assert "malloc_keep_bytes" not in applied[False] and applied[True]["malloc_keep_bytes"] > 0, applied
