"""Turn pytest-benchmark JSON into a markdown report with charts.

    python -m benchmarks.report benchmarks/results/cpu-1.json [more.json ...] [--out DIR]

Writes ``DIR/REPORT.md`` (default ``benchmarks/results``): the machine (CPU model, cores,
load, thread counts, BLAS, library versions, device), a summary of the figures the README
quotes, and per case the median time of every backend with its ratio to torch-cpu's (above
1: slower than torch), plus PNG charts: bars per case (ops, models) and lines for the
training step over batch sizes. Ratios are only taken within one JSON file, that is, one run
on one machine. With no file named, every ``*.json`` in ``benchmarks/results`` is read.

JSON written by ``python -m benchmarks.ratio --json`` (issue 13's measure: the engine and torch
in alternating blocks, each backend in a process of its own with ``--processes``) is read as well,
named or found in ``benchmarks/results``: a table gives each case's ratio in every such run, their
median and the case's target.

JSON from a GPU machine (any file holding torch-cuda rows) in ``benchmarks/results`` is read
as well, even when not named: its torch-cuda medians go in a column beside the CPU figures,
labelled with the GPU's name (its other rows are not mixed with this machine's).
"""
from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import sys
from collections import defaultdict

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
BACKENDS = ("edu", "edu-numpy", "torch-cpu", "torch-cuda", "edu-cuda")
REFERENCE = "torch-cpu"
COLORS = {"edu": "#1f77b4", "edu-numpy": "#9ecae1", "torch-cpu": "#d62728", "torch-cuda": "#2ca02c",
          "edu-cuda": "#17becf"}
GPU_BACKENDS = ("torch-cuda", "edu-cuda")


# ------------------------------------------------------------------------------ loading

class Run:
    """One JSON file: its machine and, per (group, backend), the benchmark's stats and extra_info."""

    def __init__(self, path: str):
        with open(path) as f:
            data = json.load(f)
        self.path = path
        self.machine = data.get("machine_info", {})
        self.env = self.machine.get("tinygrad_edu", {})
        self.commit = data.get("commit_info", {})
        self.datetime = data.get("datetime", "")
        self.rows: dict[tuple[str, str], dict] = {}
        for b in data.get("benchmarks", []):
            extra = b.get("extra_info", {})
            backend = extra.get("backend") or _backend_from_name(b.get("name", ""))
            if not b.get("stats") or backend is None:
                continue
            self.rows[(b["group"] or b["name"], backend)] = {"stats": b["stats"], "extra": extra,
                                                            "name": b["name"]}

    @property
    def device(self) -> str:
        return self.env.get("device") or self.env.get("cpu_model") or self.machine.get("cpu", {}).get("brand_raw", "?")

    @property
    def has_cuda_rows(self) -> bool:
        return any(backend in GPU_BACKENDS for _, backend in self.rows)

    def groups(self, kind: str | None = None) -> list[str]:
        seen = []
        for (group, _), row in self.rows.items():
            if (kind is None or row["extra"].get("kind") == kind) and group not in seen:
                seen.append(group)
        return seen

    def median(self, group: str, backend: str) -> float | None:
        row = self.rows.get((group, backend))
        return row["stats"]["median"] if row else None

    def minimum(self, group: str, backend: str) -> float | None:
        row = self.rows.get((group, backend))
        return row["stats"]["min"] if row else None

    def extra(self, group: str) -> dict:
        for (g, _), row in self.rows.items():
            if g == group:
                return row["extra"]
        return {}


def _backend_from_name(name: str) -> str | None:
    inside = name.partition("[")[2]
    for backend in sorted(BACKENDS, key=len, reverse=True):
        if inside.startswith(backend):
            return backend
    return None


# ------------------------------------------------------------------------------ formatting

def ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    v = seconds * 1e3
    for limit, fmt in ((100, "{:.0f}"), (10, "{:.1f}"), (1, "{:.2f}"), (0.1, "{:.3f}")):
        if v >= limit:
            return fmt.format(v)
    return "{:.4f}".format(v)


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    r = a / b
    return f"{r:.2f}×" if r < 100 else f"{r:.0f}×"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["--:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class RatioRun:
    """One ``benchmarks.ratio --json`` file: per case the median edu / torch-cpu ratio of its
    alternating block pairs, the quartiles, and issue 13's target (None: reported only)."""

    def __init__(self, path: str, data: dict):
        self.path, self.data = path, data
        self.cases = {c["name"]: c for c in data.get("cases", [])}

    @staticmethod
    def is_one(data: dict) -> bool:
        return data.get("tool") == "benchmarks.ratio"

    @property
    def when(self) -> str:
        return self.data.get("datetime", "?")[:16].replace("T", " ")

    @property
    def command(self) -> str:
        d = self.data
        return ("python -m benchmarks.ratio" + (" --processes" if d.get("processes") else "")
                + (" --sweep" if d.get("sweep") else "") + f" --blocks {d.get('blocks')}"
                + (f" --threads {d.get('threads')}" if d.get("threads") != self.data.get("cores") else ""))


def _median(values: list[float]) -> float:
    got = sorted(values)
    k = len(got) // 2
    return got[k] if len(got) % 2 else (got[k - 1] + got[k]) / 2


def _load_before(run: RatioRun) -> str:
    """The 1-minute load average as the ratio run started."""
    before = (run.data.get("load_average") or {}).get("before")
    return f"{before[0]:.2f}" if before else "?"


def ratio_section(ratio_runs: list[RatioRun]) -> str:
    """Issue 13's ratios: one table per kind of ratio run (the cases; the batch sweep), each run's
    median ratio with its interquartile range, the median over the runs, and the target's verdict."""
    parts = []
    for sweep in (False, True):
        runs = [r for r in ratio_runs if bool(r.data.get("sweep")) == sweep]
        if not runs:
            continue
        names = []
        for run in runs:
            names += [n for n in run.cases if n not in names]
        rows, missed = [], []
        for name in names:
            cells, medians = [], []
            for run in runs:
                c = run.cases.get(name)
                if c is None or c["median"] != c["median"]:  # absent, or NaN (every pair dropped)
                    cells.append("–")
                    continue
                cells.append(f"{c['median']:.2f}× ({c['q25']:.2f}-{c['q75']:.2f})")
                medians.append(c["median"])
            bound = next((run.cases[name].get("target") for run in runs if name in run.cases), None)
            mid = _median(medians) if medians else None
            if bound is None:
                verdict = "reported (below batch 16)" if "train step" in name else "–"
            elif mid is None:
                verdict = "–"
            else:
                verdict = f"≤ {bound:g}: " + ("met" if mid <= bound else "**not met**")
                if mid > bound:
                    missed.append(f"{name} ({mid:.2f}×)")
            rows.append([name] + cells + ["–" if mid is None else f"{mid:.2f}×", verdict])
        header = ["case"] + [f"run {k + 1}" for k in range(len(runs))] + ["median", "target"]
        when = "; ".join(f"run {k + 1}: {os.path.basename(r.path)}, {r.when} UTC, "
                         f"commit {r.data.get('commit') or '?'}, load before {_load_before(r)}"
                         for k, r in enumerate(runs))
        parts += [f"`{runs[0].command}`: {len(runs)} run{'s' * (len(runs) > 1)} ({when}).", "",
                  table(header, rows), "",
                  ("Every target is met by the median of the runs." if not missed else
                   "Not met by the median of the runs: " + ", ".join(missed) + "."), ""]
    return "\n".join(parts)


# ------------------------------------------------------------------------------ report

class Report:
    def __init__(self, runs: list[Run], gpu_runs: list[Run], ratio_runs: list[RatioRun] | None = None):
        self.runs, self.gpu_runs, self.ratio_runs = runs, gpu_runs, ratio_runs or []
        self.main = runs[-1]  # the CPU figures: the last file named wins where files overlap

    def lookup(self, group: str, backend: str, stat: str = "median") -> float | None:
        for run in reversed(self.runs):
            v = run.median(group, backend) if stat == "median" else run.minimum(group, backend)
            if v is not None:
                return v
        return None

    def run_of(self, group: str) -> Run:
        for run in reversed(self.runs):
            if any(g == group for g, _ in run.rows):
                return run
        return self.main

    def cuda(self, group: str) -> tuple[float | None, Run | None]:
        for run in reversed(self.runs + self.gpu_runs):
            v = run.median(group, "torch-cuda")
            if v is not None:
                return v, run
        return None, None

    def cpu_backends(self) -> list[str]:
        present = {b for run in self.runs for _, b in run.rows}
        return [b for b in BACKENDS if b not in GPU_BACKENDS and b in present]

    def has_cuda(self) -> bool:
        return any(run.has_cuda_rows for run in self.runs + self.gpu_runs)

    def gpu_label(self) -> str:
        names = {run.env.get("gpu") for run in self.runs + self.gpu_runs if run.has_cuda_rows}
        names.discard(None)
        return ", ".join(sorted(names)) or "GPU"

    # -------- tables

    def case_table(self, groups: list[str], per_item: bool = False) -> str:
        """Median ms per backend, ratios to torch-cpu (same run), min-based edu ratio."""
        backends = self.cpu_backends()
        header = ["case"] + [f"{b} ms" for b in backends]
        if self.has_cuda():
            header.append("torch-cuda ms")
        ratio_backends = [b for b in backends if b != REFERENCE]
        header += [f"{b} / torch-cpu" for b in ratio_backends]
        header += ["edu / torch-cpu (min)", "load"]
        if per_item:
            header += [f"{b} items/s" for b in backends]
        rows = []
        for group in groups:
            run = self.run_of(group)
            row = [group.split(": ", 1)[-1]] + [ms(run.median(group, b)) for b in backends]
            if self.has_cuda():
                row.append(ms(self.cuda(group)[0]))
            ref = run.median(group, REFERENCE)
            row += [ratio(run.median(group, b), ref) for b in ratio_backends]
            row.append(ratio(run.minimum(group, "edu"), run.minimum(group, REFERENCE)))
            row.append(self.load(group))
            if per_item:
                items = run.extra(group).get("items")
                row += [f"{items / m:,.0f}" if items and m else "–" for m in (run.median(group, b) for b in backends)]
            rows.append(row)
        return table(header, rows)

    def load(self, group: str) -> str:
        """The highest 1-minute load average seen when the case's backends started."""
        run = self.run_of(group)
        loads = [row["extra"]["load_1min"] for (g, _), row in run.rows.items()
                 if g == group and row["extra"].get("load_1min") is not None]
        return f"{max(loads):.1f}" if loads else "–"

    def summary_groups(self) -> list[tuple[str, str]]:
        """(label, benchmark group) of the cases people ask about, those the runs have."""
        found = []
        for label, kind, model, needle in self.PICKS:
            for run in reversed(self.runs):
                group = next((g for g in run.groups(kind)
                              if (model is None or run.extra(g).get("model") == model) and
                              (needle is None or (needle in g and (kind != "op" or "adam" in g or g.endswith("fwd+bwd")))
                               )), None)
                if group:
                    found.append((label, group))
                    break
        return found

    def spread_table(self) -> str:
        """edu / torch-cpu of each summary case in each run (one JSON file each), their median and range."""
        header = ["case"] + [f"run {k + 1}" for k in range(len(self.runs))] + ["median", "range"]
        rows = []
        for label, group in self.summary_groups():
            values = [run.median(group, "edu") / run.median(group, REFERENCE)
                      if run.median(group, "edu") and run.median(group, REFERENCE) else None for run in self.runs]
            got = sorted(v for v in values if v is not None)
            if not got:
                continue
            mid = _median(got)
            rows.append([label] + ["–" if v is None else f"{v:.2f}×" for v in values]
                        + [f"{mid:.2f}×", f"{got[0]:.2f}-{got[-1]:.2f}"])
        return table(header, rows)

    PICKS = [  # (label, kind, model, a word of the group's name)
        ("MLP train step", "step", "mlp", None),
        ("CNN train step", "step", "cnn", None),
        ("MLP inference", "inference", "mlp", None),
        ("CNN inference", "inference", "cnn", None),
        ("CNN epoch", "epoch", "cnn", None),
        ("Adam step (CNN parameters)", "op", None, "adam"),
        ("per-op overhead, fwd+bwd (per op)", "op", None, "chain of"),
        ("conv2d conv2 fwd+bwd", "op", None, "conv2d conv2"),
        ("conv2d conv1 fwd+bwd", "op", None, "conv2d conv1"),
        ("max_pool2d pool1 fwd+bwd", "op", None, "max_pool2d pool1"),
        ("linear fwd+bwd", "op", None, "linear"),
    ]

    def summary(self) -> tuple[str, list[tuple[str, float | None]]]:
        """The README's figures: edu / torch-cpu for the cases people ask about."""
        rows, ratios = [], []
        backends = self.cpu_backends()
        for label, group in self.summary_groups():
            run = self.run_of(group)
            per = run.extra(group).get("ops") or 1
            unit = " (µs/op)" if per > 1 else ""
            fmt = (lambda v: "–" if v is None else f"{v / per * 1e6:.1f}") if per > 1 else ms
            name = f"{label}{unit}" if per > 1 else group.split(": ", 1)[-1]
            row = [name] + [fmt(run.median(group, b)) for b in backends]
            if self.has_cuda():
                row.append(fmt(self.cuda(group)[0]))
            edu_ratio = (run.median(group, "edu") / run.median(group, REFERENCE)
                         if run.median(group, "edu") and run.median(group, REFERENCE) else None)
            row += [ratio(run.median(group, "edu"), run.median(group, REFERENCE)),
                    ratio(run.median(group, "edu-numpy"), run.median(group, REFERENCE))]
            rows.append(row)
            ratios.append((label, edu_ratio))
        header = ["case (ms unless noted)"] + [f"{b}" for b in backends]
        if self.has_cuda():
            header.append(f"torch-cuda ({self.gpu_label()})")
        header += ["edu / torch-cpu", "edu-numpy / torch-cpu"]
        return table(header, rows), ratios

    def scaling_table(self) -> str:
        groups = self.main_groups("scale")
        by = defaultdict(dict)
        for g in groups:
            e = self.run_of(g).extra(g)
            by[e.get("model")][e.get("batch")] = g
        parts = []
        for model in sorted(by, key=lambda m: (m != "mlp", str(m))):
            rows = []
            for batch in sorted(by[model]):
                g = by[model][batch]
                run = self.run_of(g)
                edu, ref = run.median(g, "edu"), run.median(g, REFERENCE)
                row = [str(batch), ms(edu), ms(ref)]
                if self.has_cuda():
                    row.append(ms(self.cuda(g)[0]))
                row += [ratio(edu, ref),
                        "–" if edu is None else f"{edu / batch * 1e6:,.0f}",
                        "–" if ref is None else f"{ref / batch * 1e6:,.0f}"]
                rows.append(row)
            header = ["batch", "edu ms", "torch-cpu ms"] + (["torch-cuda ms"] if self.has_cuda() else []) + \
                ["edu / torch-cpu", "edu µs/sample", "torch-cpu µs/sample"]
            parts.append(f"**{model.upper()}** training step\n\n" + table(header, rows)
                         + self.scaling_verdict(model, by[model]))
        return "\n\n".join(parts)

    STEP_TARGETS = {"mlp": 0.75, "cnn": 0.85}  # issue 13: edu / torch-cpu of the training step, from batch 16 up

    def scaling_verdict(self, model: str, groups: dict) -> str:
        """One line: the batch sizes where the step's ratio is above the model's target."""
        target = self.STEP_TARGETS.get(model)
        if target is None:
            return ""
        ratios = {b: self.run_of(g).median(g, "edu") / self.run_of(g).median(g, REFERENCE)
                  for b, g in groups.items() if self.run_of(g).median(g, "edu") and self.run_of(g).median(g, REFERENCE)}
        above = [f"{b} ({r:.2f}×)" for b, r in sorted(ratios.items()) if r > target]
        return (f"\n\nTarget ≤ {target:.2f}×: " + ("met at every batch size." if not above else
                                                     "above it at batch " + ", ".join(above) + "."))

    def main_groups(self, kind: str) -> list[str]:
        seen = []
        for run in self.runs:
            seen += [g for g in run.groups(kind) if g not in seen]
        return seen

    def longrun(self) -> list[dict]:
        out = []
        for run in self.runs:
            for (group, backend), row in run.rows.items():
                if row["extra"].get("kind") == "longrun":
                    out.append(dict(row["extra"], backend=backend, total_s=row["stats"]["median"]))
        return out

    # -------- machine

    def machine_section(self) -> str:
        lines = []
        for run in self.runs + [r for r in self.gpu_runs if r not in self.runs]:
            e, m = run.env, run.machine
            v = e.get("versions", {})
            blas = "; ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('user_api')}, "
                             f"{p.get('num_threads')} threads{', ' + p['architecture'] if p.get('architecture') else ''}"
                             f"{', ' + os.path.basename(p['filepath']) if p.get('filepath') else ''})"
                             for p in e.get("blas", [])) or "?"
            load = e.get("load_average")
            commit = run.commit
            lines += [
                f"**{os.path.basename(run.path)}** ({run.datetime[:19].replace('T', ' ')} UTC"
                f"{', QUICK mode' if e.get('quick') else ''})",
                "",
                f"- device: {run.device}" + (f" (GPU: {e['gpu']})" if e.get("gpu") else ""),
                f"- CPU: {e.get('cpu_model', m.get('cpu', {}).get('brand_raw', '?'))}, {e.get('cores', '?')} cores, "
                f"{m.get('system', '')} {m.get('release', '')}; load average at the end of the run "
                f"{', '.join(f'{x:.2f}' for x in load) if load else '?'}",
                f"- threads: torch {e.get('torch_threads')} (interop {e.get('torch_interop_threads')}, "
                f"torch BLAS {e.get('torch_blas', '?')}), numba {e.get('numba_threads')} "
                f"(layer {e.get('numba_threading_layer')})",
                f"- BLAS pools (threadpoolctl): {blas}",
                f"- engine's process set-up (tinygrad_edu.runtime): {e.get('engine_runtime')}",
                f"- versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
                f"- environment: " + (", ".join(f"{k}={val}" for k, val in e.get("env", {}).items() if val) or "none set"),
                f"- commit: {commit.get('id', '?')[:12]}{' (uncommitted changes)' if commit.get('dirty') else ''}"
                f" on {commit.get('branch', '?')}",
                "",
            ]
        return "\n".join(lines)

    def gpu_kernel_table(self) -> str:
        """edu-cuda and torch-cuda medians and their ratio for every "cuda-kernel" case, from any run."""
        rows, seen = [], set()
        for run in self.runs + self.gpu_runs:
            for group in run.groups("cuda-kernel"):
                if group in seen:
                    continue
                seen.add(group)
                edu, ref = run.median(group, "edu-cuda"), run.median(group, "torch-cuda")
                rows.append([group.split(": ", 1)[-1], ms(edu), ms(ref), ratio(edu, ref)])
        if not rows:
            return ""
        return table(["case", "edu-cuda ms", f"torch-cuda ms ({self.gpu_label()})", "edu-cuda / torch-cuda"], rows)

    # -------- the document

    def markdown(self, charts: list[str]) -> str:
        summary, _ = self.summary()
        parts = [
            "# tinygrad_edu benchmarks",
            "",
            f"Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by "
            f"`python -m benchmarks.report {' '.join(os.path.relpath(r.path) for r in self.runs)}`. "
            f"CPU figures: {self.main.device}"
            + (f"; torch-cuda figures: {self.gpu_label()}" if self.has_cuda() else "; no torch-cuda figures "
               "(no CUDA GPU on this machine and no GPU JSON in benchmarks/results)") + ".",
            "",
            "Times are medians over the rounds in milliseconds; a ratio is a backend's median over "
            "torch-cpu's from the same run (above 1: slower than PyTorch). `(min)` uses the fastest "
            "round instead, a better guide to what the code can do when other processes share the "
            "machine. `load`: the highest 1-minute load average when the case's backends started; above "
            f"the core count ({self.main.env.get('cores', '?')}), other processes were competing for the cores "
            "and thread pools that wait for each other (OpenMP, OpenBLAS) lose whole time slices. Backends: "
            "`edu` the engine with its numba kernels, `edu-numpy` the same with the numpy twins of the "
            "conv/pool kernels, `torch-cpu` PyTorch on the same cores.",
            "",
            "## Summary",
            "",
            summary,
            "",
        ]
        if len(self.runs) > 1:
            parts += ["The tables use the last file named; the same ratios in every run, to show their spread:", "",
                      self.spread_table(), ""]
        if self.ratio_runs:
            parts += ["## Alternating blocks: issue 13's targets", "",
                      "This suite times each backend in its own block of rounds, so load that comes and goes "
                      "between the blocks moves its ratios. `benchmarks/ratio.py` alternates short blocks of the "
                      "engine's and torch's calls on the same inputs (with `--processes`, each backend in a process "
                      "of its own, resting 0.15 s before each block); each cell is the median ratio of the block "
                      "pairs, with its interquartile range. Below 1: faster than PyTorch.", "",
                      ratio_section(self.ratio_runs)]
        for run in self.longrun():
            sub = run.get("subnormals", {})
            per_key = ", ".join(f"{k} {v:,}" for k, v in sub.items()
                                if k not in ("adam_state", "adam_state_numbers", "params", "grads"))
            adam = (f" The Adam update alone: {run['adam_ratio']:.2f}× ({run['late_adam_median_ms']:.2f} ms vs "
                    f"{run['fresh_adam_median_ms']:.2f} ms)." if "adam_ratio" in run else "")
            parts += [
                f"Long run ({run['backend']}): after {run['steps']:,} CNN training steps (batch {run['batch']}) a step "
                f"takes **{run['ratio']:.2f}×** a fresh model's ({run['late_median_ms']:.1f} ms vs "
                f"{run['fresh_median_ms']:.1f} ms, {run['pairs']} alternating steps each; target ≤ "
                f"{run['target']:.2f}).{adam} Naive ratio, the run's last steps against its first (exposed to load "
                f"changes): {run['naive_ratio']:.2f}× ({run['last_steps_median_ms']:.1f} ms vs "
                f"{run['first_steps_median_ms']:.1f} ms). Float32 subnormals after the run: "
                f"**{sub.get('adam_state', 0):,} of {sub.get('adam_state_numbers', 0):,}** numbers in Adam's state"
                f"{' (' + per_key + ')' if per_key else ''}, {sub.get('params', '?')} in the weights, "
                f"{sub.get('grads', '?')} in the gradients.",
                "",
            ]
        sections = [("Ops", "op", False), ("Models", "step", True), ("", "inference", True), ("", "epoch", True)]
        for title, kind, per_item in sections:
            groups = self.main_groups(kind)
            if not groups:
                continue
            if title:
                parts += [f"## {title}", ""]
            if kind == "op":
                parts += ["Forward with grad mode on (the graph is recorded); fwd+bwd adds the backward "
                          "pass for every input.", ""]
            if kind == "step":
                parts += ["Training step = zero_grad, forward, loss, backward, Adam step; inference in eval "
                          "mode under no_grad; epoch = one pass over the built-in digits through the "
                          "framework's DataLoader. items/s: samples per second.", ""]
            parts += [self.case_table(groups, per_item), ""]
        if self.main_groups("scale"):
            parts += ["## Scaling with batch size", "", self.scaling_table(), ""]
        gpu_kernels = self.gpu_kernel_table()
        if gpu_kernels:
            parts += ["## GPU kernels: edu-cuda against torch-cuda", "",
                      "The engine's numba-cuda kernels (`tinygrad_edu/kernels/cuda/`) on CuPy arrays against the "
                      "torch calls doing the same work, float32, TF32 off, synchronized inside each timed call "
                      "(`benchmarks/test_cuda_kernels.py`). Ratio above 1: slower than PyTorch.", "", gpu_kernels, ""]
        if charts:
            parts += ["## Charts", ""] + [f"![{os.path.splitext(c)[0]}]({c})" for c in charts] + [""]
        parts += ["## Machine", "", self.machine_section()]
        return "\n".join(parts)


# ------------------------------------------------------------------------------ charts

def charts(report: Report, out: str) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    backends = report.cpu_backends() + (["torch-cuda"] if report.has_cuda() else [])

    def value(group, backend):
        return report.cuda(group)[0] if backend == "torch-cuda" else report.lookup(group, backend)

    def bars(groups, title, name):
        if not groups:
            return
        fig, ax = plt.subplots(figsize=(10, 0.45 * len(groups) * len(backends) / 2 + 1.5))
        height = 0.8 / len(backends)
        for i, b in enumerate(backends):
            ys = [k + (i - (len(backends) - 1) / 2) * height for k in range(len(groups))]
            xs = [(value(g, b) or 0) * 1e3 for g in groups]
            ax.barh(ys, xs, height=height, label=b, color=COLORS[b])
        ax.set_yticks(range(len(groups)))
        ax.set_yticklabels([g.split(": ", 1)[-1] for g in groups], fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("median time (ms, log scale)")
        ax.set_title(title)
        ax.grid(axis="x", which="both", alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, name), dpi=110)
        plt.close(fig)
        written.append(name)

    bars(report.main_groups("op"), f"ops on {report.main.device}", "ops.png")
    bars(report.main_groups("step") + report.main_groups("inference") + report.main_groups("epoch"),
         f"models on {report.main.device}", "models.png")

    scale = report.main_groups("scale")
    if scale:
        models = sorted({report.run_of(g).extra(g).get("model") for g in scale}, key=lambda m: (m != "mlp", str(m)))
        fig, axes = plt.subplots(2, len(models), figsize=(5.5 * len(models), 8), squeeze=False)
        for col, model in enumerate(models):
            groups = sorted((g for g in scale if report.run_of(g).extra(g).get("model") == model),
                            key=lambda g: report.run_of(g).extra(g).get("batch"))
            batches = [report.run_of(g).extra(g).get("batch") for g in groups]
            for b in backends:
                pts = [(n, value(g, b)) for n, g in zip(batches, groups) if value(g, b)]
                if not pts:
                    continue
                n, t = zip(*pts)
                axes[0][col].plot(n, [x * 1e3 for x in t], "o-", label=b, color=COLORS[b])
                axes[1][col].plot(n, [x / k * 1e6 for x, k in zip(t, n)], "o-", label=b, color=COLORS[b])
            for row, label in ((0, "ms per step"), (1, "µs per sample")):
                ax = axes[row][col]
                ax.set_xscale("log", base=2)
                ax.set_yscale("log")
                ax.set_xlabel("batch size")
                ax.set_ylabel(label)
                ax.grid(which="both", alpha=0.3)
                ax.legend(fontsize=8)
            axes[0][col].set_title(f"{model.upper()} training step")
        fig.tight_layout()
        fig.savefig(os.path.join(out, "scaling.png"), dpi=110)
        plt.close(fig)
        written.append("scaling.png")

    for run in report.longrun():
        windows = run.get("window_medians_ms") or []
        if len(windows) < 2:
            continue
        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.plot([100 * i + 50 for i in range(len(windows))], windows, "o-", color=COLORS["edu"],
                label=f"{run['backend']}: median per 100 steps")
        ax.axhline(run["late_median_ms"], color=COLORS["edu"], ls=":", label="trained model, measured at the end")
        ax.axhline(run["fresh_median_ms"], color="gray", ls="--", label="fresh model, alternating with it")
        ax.set_xlabel("training step")
        ax.set_ylabel("ms per step")
        ax.set_ylim(bottom=0)
        ax.set_title(f"CNN step time over {run['steps']:,} steps (batch {run['batch']})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "longrun.png"), dpi=110)
        plt.close(fig)
        written.append("longrun.png")
        break
    return written


# ------------------------------------------------------------------------------ main

def _ratio_runs(paths: list[str]) -> list[RatioRun]:
    """The ``benchmarks.ratio --json`` files among ``paths``, in their order."""
    found = []
    for p in paths:
        try:
            with open(p) as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and RatioRun.is_one(data):
            found.append(RatioRun(p, data))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("json", nargs="*", help="pytest-benchmark JSON files (default: benchmarks/results/*.json)")
    parser.add_argument("--out", default=RESULTS, help="folder for REPORT.md and the charts (default: %(default)s)")
    parser.add_argument("--no-charts", action="store_true", help="write the markdown only")
    args = parser.parse_args(argv)

    paths = args.json or sorted(glob.glob(os.path.join(RESULTS, "*.json")))
    if not paths:
        parser.error(f"no JSON named and none in {RESULTS}")
    ratio_runs, bench_paths = _ratio_runs(paths), []
    for p in paths:
        if not any(os.path.abspath(p) == os.path.abspath(r.path) for r in ratio_runs):
            bench_paths.append(p)
    if args.json and not ratio_runs:  # named pytest-benchmark files only: the ratio runs kept in RESULTS join them
        ratio_runs = _ratio_runs(sorted(glob.glob(os.path.join(RESULTS, "*.json"))))
    paths = bench_paths
    named = [Run(p) for p in paths]
    # A file with torch-cuda rows comes from a GPU machine: only its torch-cuda figures are used
    # beside the CPU ones, unless no CPU file is there (then its own CPU rows are the CPU figures).
    runs = [run for run in named if not run.has_cuda_rows]
    gpu_runs = [run for run in named if run.has_cuda_rows]
    seen = {os.path.abspath(p) for p in paths}
    for p in sorted(glob.glob(os.path.join(RESULTS, "*.json"))):
        if os.path.abspath(p) not in seen:
            try:
                run = Run(p)
            except (OSError, ValueError, KeyError):
                continue
            if run.has_cuda_rows:
                gpu_runs.append(run)
    if not runs:
        runs, gpu_runs = gpu_runs[:1], gpu_runs[1:]
    if not runs or not any(run.rows for run in runs):
        print("no benchmark results in " + ", ".join(paths or ["the files named"]), file=sys.stderr)
        return 1
    report = Report(runs, gpu_runs, ratio_runs)
    os.makedirs(args.out, exist_ok=True)
    pictures = [] if args.no_charts else charts(report, args.out)
    path = os.path.join(args.out, "REPORT.md")
    with open(path, "w") as f:
        f.write(report.markdown(pictures))
    print(f"wrote {path}" + (f" and {', '.join(pictures)}" if pictures else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
