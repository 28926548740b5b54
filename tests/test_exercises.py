"""The exercises' grader works both ways: the engine's own code (reference.py) passes every
stage's tests, and the blank exercise files fail every one of them (failures, not errors),
through ``tinygrad-edu exercises check``."""
import tomllib
from pathlib import Path

import pytest

from tinygrad_edu.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
STAGES = sorted(p.name for p in EXERCISES.glob("stage*"))


def test_six_stages_each_with_its_files():
    assert len(STAGES) == 6
    for k, stage in enumerate(STAGES, 1):
        folder = EXERCISES / stage
        assert stage.startswith(f"stage{k}_")
        for name in ("README.md", "exercise.py", "reference.py", f"test_stage{k}.py"):
            assert (folder / name).is_file(), f"{stage}/{name} is missing"
        assert "raise NotImplementedError" in (folder / "exercise.py").read_text()


def verdicts(capsys) -> tuple[list[str], str]:
    lines = capsys.readouterr().out.rstrip().splitlines()
    return lines[:-1], lines[-1]


def test_the_engine_passes_every_stage(capsys):
    assert main(["exercises", "check", "all", "--reference"]) == 0
    tests, summary = verdicts(capsys)
    assert len(tests) >= 60 and all(line.startswith("  ok    stage") for line in tests), tests
    assert {line.split()[1] for line in tests} == set(STAGES)
    assert summary == f"all stages (the engine's reference): {len(tests)} of {len(tests)} tests passed"


def test_the_blank_files_fail_every_test(capsys):
    assert main(["exercises", "check", "all"]) == 1
    tests, summary = verdicts(capsys)
    # every test fails on the learner's NotImplementedError: none passes, none breaks at import
    assert len(tests) >= 60 and all(line.startswith("  FAIL  stage") and "NotImplementedError: " in line
                                    for line in tests), tests
    assert {line.split()[1] for line in tests} == set(STAGES)
    assert summary == f"all stages (exercise.py): 0 of {len(tests)} tests passed"


def test_check_of_one_stage_names_what_to_write(capsys):
    assert main(["exercises", "check", "4"]) == 1
    tests, summary = verdicts(capsys)
    assert "  FAIL  test_mul[float64]  NotImplementedError: Mul.forward: save x and y for backward, return x * y" in tests
    assert summary == "stage 4 (stage4_ops, exercise.py): 0 of 8 tests passed"


def test_list_and_bad_stage(capsys):
    assert main(["exercises", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out] == STAGES
    assert main(["exercises", "check", "7"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["tinygrad-edu: error: exercises check needs a stage number from 1 to 6, or all"]


def test_the_default_test_run_does_not_collect_the_exercises():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_reference_only_imports_the_engine(stage):
    source = (EXERCISES / stage / "reference.py").read_text()
    assert "tinygrad_edu" in source and source.count("\ndef ") <= 1  # stage 1 wraps Tensor in one line
