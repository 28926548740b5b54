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

    # two runs of benchmarks.ratio --json: the report tables their ratios, the median and each target's verdict
    for k, (inference, epoch) in enumerate(((0.9, 0.5), (1.3, 0.7))):
        cases = [{"name": "mlp inference (batch 1000)", "median": inference, "q25": inference - 0.1,
                  "q75": inference + 0.1, "dropped": 0, "target": 1.0},
                 {"name": "cnn epoch (4,000 digits, batch 64)", "median": epoch, "q25": epoch, "q75": epoch,
                  "dropped": 0, "target": 0.85}]
        (tmp_path / f"ratio-{k}.json").write_text(json.dumps(
            {"tool": "benchmarks.ratio", "datetime": "2026-12-02T09:00:00+00:00", "commit": "abc1234", "sweep": False,
             "processes": True, "threads": 2, "blocks": 15, "cores": 2, "cases": cases}))
    report = subprocess.run([sys.executable, "-m", "benchmarks.report", str(out), str(tmp_path / "ratio-0.json"),
                             str(tmp_path / "ratio-1.json"), "--out", str(tmp_path), "--no-charts"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stdout + report.stderr
    lines = (tmp_path / "REPORT.md").read_text().splitlines()
    assert "`python -m benchmarks.ratio --processes --blocks 15`: 2 runs" in "\n".join(lines)
    cells = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")[1:]]
             for line in lines if line.startswith(("| mlp inference (batch 1000) |", "| cnn epoch"))}
    assert cells["mlp inference (batch 1000)"] == ["0.90× (0.80-1.00)", "1.30× (1.20-1.40)", "1.10×",
                                                   "≤ 1: **not met**"], cells
    assert cells["cnn epoch (4,000 digits, batch 64)"][2:] == ["0.60×", "≤ 0.85: met"], cells
    assert "Not met by the median of the runs: mlp inference (batch 1000) (1.10×)." in lines


def test_ratio_tool_sweep_runs(tmp_path):
    """``benchmarks.ratio --sweep`` times the training steps over batch sizes: one line per case, a ratio each,
    and with ``--json`` the same ratios and each case's target in a file for the report."""
    pytest.importorskip("torch")
    path = tmp_path / "ratio.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.ratio", "--sweep", "--blocks", "1", "--block-s", "0.001",
                          "batch 8)", "--json", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    assert [line.split("  ")[0] for line in lines] == ["mlp train step (batch 8)", "cnn train step (batch 8)"], lines
    assert all(float(line.split()[-3].rstrip("x")) > 0 for line in lines), lines
    data = json.loads(path.read_text())
    assert data["tool"] == "benchmarks.ratio" and data["sweep"] is True and data["blocks"] == 1
    assert [c["name"] for c in data["cases"]] == ["mlp train step (batch 8)", "cnn train step (batch 8)"]
    printed = [float(line.split()[-3].rstrip("x")) for line in lines]
    assert [round(c["median"], 2) for c in data["cases"]] == printed
    assert [c["target"] for c in data["cases"]] == [None, None]  # below batch 16: reported, no target


def test_ratio_targets_are_issue_13_s():
    from benchmarks.ratio import CASES, SWEEP, target
    assert target("mlp train step (batch 128)") == 0.75 and target("cnn train step (batch 64)") == 0.85
    assert target("mlp train step (batch 8)") is None and target("cnn train step (batch 16)") == 0.85
    assert target("cnn epoch (4,000 digits, batch 64)") == 0.85
    assert target("mlp inference (batch 1000)") == target("cnn inference (batch 1000)") == 1.0
    assert target("chain of 1000 tiny ops fwd+bwd") == 1.0 and target("relu (64,8,28,28) fwd") == 1.5
    assert all(target(name) is not None for name in CASES) and sum(target(n) is None for n in SWEEP) == 4


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
