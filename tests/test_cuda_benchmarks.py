"""The report shows GPU kernel rows: edu-cuda and torch-cuda medians from a GPU machine's JSON, with their ratio.

No GPU is needed: the JSON is written here in pytest-benchmark's format, as
``benchmarks/test_cuda_kernels.py`` would write it on a GPU machine, beside a CPU run's.
"""
import json

from benchmarks import report


def _row(group, backend, median, kind):
    return {"group": group, "name": f"test_x[{backend}]", "stats": {"median": median, "min": median},
            "extra_info": {"backend": backend, "kind": kind, "case": group}}


def test_report_puts_gpu_kernel_rows_in_their_own_table(tmp_path):
    cpu = {"machine_info": {"tinygrad_edu": {"device": "some CPU", "cores": 2}},
           "benchmarks": [_row("op: relu fwd", b, m, "op") for b, m in (("edu", 2e-3), ("torch-cpu", 1e-3))]}
    gpu = {"machine_info": {"tinygrad_edu": {"device": "NVIDIA H200", "gpu": "NVIDIA H200"}},
           "benchmarks": [_row("gpu kernel: conv2d conv1 fwd", "edu-cuda", 3e-4, "cuda-kernel"),
                          _row("gpu kernel: conv2d conv1 fwd", "torch-cuda", 1e-4, "cuda-kernel")]}
    (tmp_path / "cpu.json").write_text(json.dumps(cpu))
    (tmp_path / "gpu.json").write_text(json.dumps(gpu))
    assert report.main([str(tmp_path / "cpu.json"), str(tmp_path / "gpu.json"), "--out", str(tmp_path),
                        "--no-charts"]) == 0
    text = (tmp_path / "REPORT.md").read_text()
    assert "## GPU kernels: edu-cuda against torch-cuda" in text
    assert "| conv2d conv1 fwd | 0.300 | 0.100 | 3.00× |" in text
    assert "torch-cuda ms (NVIDIA H200)" in text
    assert "| relu fwd | 2.00 | 1.00 |" in text  # the CPU table is as before, without GPU columns for this case
