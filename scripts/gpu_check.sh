#!/usr/bin/env bash
# The GPU half of issue 14 in one time-bounded run: what the CPU and numba's simulator cannot check.
#
#   bash scripts/gpu_check.sh [OUT_DIR]      (from anywhere; runs in the repo root)
#
# OUT_DIR: $OUT when set (the device machine's return folder), else benchmarks/results/gpu.
# Every step has its own time limit; the whole run stays under 9.5 minutes, so it fits one
# 10-minute call of a 15-minute GPU lease with time left to rerun. Steps:
#   1. the GPU: nvidia-smi's name, driver and memory      -> device.txt
#   2. the Python packages (CuPy, numba-cuda, torch, pytest, pytest-benchmark); installed only if
#      missing (and NO_INSTALL unset): from wheels in .whl/ when carried there, else from the index
#   3. versions and what tinygrad_edu.cuda sees            -> env.json
#   4. tests/test_cuda_gpu.py: every kernel case on the GPU against torch CUDA -> gpu_tests.xml
#   5. tests/test_cuda_sim.py: the simulator cases and the sm_90 compile, here too
#   6. benchmarks/test_cuda_kernels.py: edu-cuda and torch-cuda rows -> gpu_kernels.json
#   7. the report on that JSON                             -> REPORT.md
# Everything printed also goes to log.txt; the exit status is 0 only if every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-benchmarks/results/gpu}}
mkdir -p "$OUT_DIR"
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
LOG="$OUT_DIR/log.txt"
: > "$LOG"
status=0

step() {  # step NAME LIMIT_SECONDS COMMAND...: run it under a time limit, log it, remember a failure
    local name=$1 limit=$2 start rc
    shift 2
    start=$(date +%s)
    echo "=== $name (limit ${limit}s): $*" | tee -a "$LOG"
    timeout -k 10 "$limit" "$@" 2>&1 | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    [ "$rc" = 124 ] && name="$name (stopped at its time limit)"
    echo "=== $name: exit $rc after $(( $(date +%s) - start ))s" | tee -a "$LOG"
    [ "$rc" = 0 ] || status=1
    return "$rc"
}

step gpu 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT_DIR/device.txt" 2>&1

NEEDED="import cupy, numba_cuda, torch, pytest, pytest_benchmark, hypothesis, safetensors"
if [ -z "${NO_INSTALL:-}" ] && ! "$PY" -c "$NEEDED" 2>/dev/null; then
    if ls .whl/*.whl >/dev/null 2>&1; then
        step install 120 "$PY" -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl \
            && export PYTHONPATH="$PYTHONPATH:/tmp/site"
    else
        step install 240 "$PY" -m pip install -q "numba-cuda[cu13]>=0.30,<0.31" "cupy-cuda13x>=13" pytest \
            pytest-benchmark hypothesis
    fi
fi

step env 60 "$PY" - "$OUT_DIR/env.json" <<'PYEOF'
import json, sys, platform
import numpy, numba, torch
import tinygrad_edu
from tinygrad_edu import cuda
info = {"python": platform.python_version(), "numpy": numpy.__version__, "numba": numba.__version__,
        "torch": torch.__version__, "torch_cuda": torch.version.cuda, "torch_sees_gpu": torch.cuda.is_available(),
        "edu_cuda_kernels_available": cuda.kernels_available(), "edu_cuda_kernels_unavailable_reason": cuda.kernels_unavailable_reason(), "edu_tensors_on_cuda": cuda.is_available()}
for name in ("cupy", "numba_cuda"):
    try:
        info[name] = __import__(name).__version__
    except Exception as e:
        info[name] = f"not importable: {e}"
if cuda.kernels_available():
    info.update(device_count=cuda.device_count(), device_name=cuda.get_device_name())
print(json.dumps(info, indent=1))
json.dump(info, open(sys.argv[1], "w"), indent=1)
sys.exit(0 if cuda.kernels_available() else 1)
PYEOF

step gpu-tests 200 "$PY" -m pytest tests/test_cuda_gpu.py -q -p no:cacheprovider -rs \
    --junitxml="$OUT_DIR/gpu_tests.xml"
step sim-tests 100 "$PY" -m pytest tests/test_cuda_sim.py -q -p no:cacheprovider -rs
step benchmarks 240 "$PY" -m pytest benchmarks/test_cuda_kernels.py -q -p no:cacheprovider -rs \
    --benchmark-json="$OUT_DIR/gpu_kernels.json" --benchmark-columns=median,rounds
if [ -s "$OUT_DIR/gpu_kernels.json" ]; then
    step report 60 "$PY" -m benchmarks.report "$OUT_DIR/gpu_kernels.json" --out "$OUT_DIR" --no-charts
fi

verdict=$([ $status = 0 ] && echo "every step passed" || echo "a step FAILED")
echo "=== gpu_check: $verdict; results in $OUT_DIR" | tee -a "$LOG"
exit $status
