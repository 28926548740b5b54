"""The exercises' grader works both ways: the engine's own code (reference.py) passes every
stage's tests, and the blank exercise files fail every one of them (failures, not errors)."""
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tinygrad_edu.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
STAGES = sorted(p.name for p in EXERCISES.glob("stage*"))


def grade(which: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TINYGRAD_EDU_EXERCISES=which,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "pytest", str(EXERCISES), "-q", "--tb=no", "-p", "no:cacheprovider",
                           "-o", "addopts="], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def counts(output: str) -> dict:
    summary = output.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?)", summary)}


def test_six_stages_each_with_its_files():
    assert len(STAGES) == 6
    for k, stage in enumerate(STAGES, 1):
        folder = EXERCISES / stage
        assert stage.startswith(f"stage{k}_")
        for name in ("README.md", "exercise.py", "reference.py", f"test_stage{k}.py"):
            assert (folder / name).is_file(), f"{stage}/{name} is missing"
        assert "raise NotImplementedError" in (folder / "exercise.py").read_text()


def test_the_engine_passes_every_stage():
    result = grade("reference")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    found = counts(result.stdout)
    assert found.get("passed", 0) >= 60 and set(found) == {"passed"}, found


def test_the_blank_files_fail_every_test():
    result = grade("exercise")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    found = counts(result.stdout)
    assert found.get("failed", 0) >= 60 and set(found) == {"failed"}, found  # no passes, no import errors


def test_check_prints_one_verdict_per_test(capsys):
    assert main(["exercises", "check", "2", "--reference"]) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[-1] == "stage 2 (stage2_broadcasting, the engine's reference): 19 of 19 tests passed"
    assert len(lines) == 20 and all(line.startswith("  ok    test_") for line in lines[:-1]), lines


def test_check_of_a_blank_stage_fails_naming_what_to_write(capsys):
    assert main(["exercises", "check", "4"]) == 1
    out = capsys.readouterr().out
    assert "  FAIL  test_mul[float64]  NotImplementedError: Mul.forward" in out
    assert out.strip().endswith("0 of 8 tests passed")


def test_list_and_bad_stage(capsys):
    assert main(["exercises", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out] == STAGES
    assert main(["exercises", "check", "7"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["tinygrad-edu: error: exercises check needs a stage number from 1 to 6"]


def test_the_default_test_run_does_not_collect_the_exercises():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_reference_only_imports_the_engine(stage):
    source = (EXERCISES / stage / "reference.py").read_text()
    assert "tinygrad_edu" in source and source.count("\ndef ") <= 1  # stage 1 wraps Tensor in one line
