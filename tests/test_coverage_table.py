"""scripts/coverage_table.py, which writes the README's table of what of PyTorch the engine covers: what it
says is left out on purpose must really be absent, and what it counts as covered must be there on both sides."""
import importlib.util
import os
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "coverage_table.py")


@pytest.fixture(scope="module")
def coverage_table():
    pytest.importorskip("torchvision")
    spec = importlib.util.spec_from_file_location("coverage_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_what_is_left_out_on_purpose_is_absent(coverage_table):
    assert coverage_table.check_claims() == []


@pytest.mark.parametrize("torch_path, engine_path", [("torch.optim", "tinygrad_edu.optim"),
                                                     ("torch.nn", "tinygrad_edu.nn"),
                                                     ("torch.Tensor", "tinygrad_edu.Tensor")])
def test_covered_names_exist_on_both_sides(coverage_table, torch_path, engine_path):
    covered, theirs = coverage_table.coverage(torch_path, engine_path)
    engine, torch_side = coverage_table._resolve(engine_path), coverage_table._resolve(torch_path)
    assert covered and set(covered) <= theirs
    assert all(hasattr(engine, name) and hasattr(torch_side, name) for name in covered)
    assert "SGD" in covered or "Linear" in covered or "backward" in covered


def test_imports_from_outside_pytorch_are_not_counted(coverage_table):
    _, theirs = coverage_table.coverage("torch.optim.lr_scheduler", "tinygrad_edu.optim.lr_scheduler")
    assert "StepLR" in theirs and not {"Counter", "bisect_right", "Optimizer", "Any"} & theirs


def test_missing_lists_what_the_engine_lacks(coverage_table, capsys):
    assert coverage_table.main(["--missing", "torch.optim"]) == 0
    missing = capsys.readouterr().out.split()
    assert "LBFGS" in missing and "SGD" not in missing
    assert coverage_table.main(["--missing", "torch.nope"]) == 2
    assert "no namespace 'torch.nope'" in capsys.readouterr().err
