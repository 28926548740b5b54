"""Examples 11-13 (PyTorch's beginner programs) on both backends: from the same initial weights
and batches they give the same losses (float64 tight; the polynomial fit in float32 too, 1e-5),
and they really learn. (Float32 training parity of the MLP and CNN is test_backend_parity's.)

Each script's ``main(argv)`` is called in this process (PyTorch is loaded here already) and
returns what it printed as numbers; ``test_examples.py`` runs the scripts as scripts.
"""
import importlib.util
import runpy
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_both(script: str, *argv: str) -> dict:
    """``main([--backend b, *argv])`` of the example, for b = edu and torch."""
    main = runpy.run_path(str(EXAMPLES / script))["main"]
    return {b: main(["--backend", b, *argv]) for b in ("edu", "torch")}


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 1e-5)])
def test_polynomial_fit_same_losses_and_a_good_fit(dtype, rtol):
    runs = run_both("11_polynomial_fit.py", "--dtype", dtype)
    edu, ref = runs["edu"], runs["torch"]
    assert len(edu["losses"]) == 2000
    np.testing.assert_allclose(edu["losses"], ref["losses"], rtol=rtol)
    np.testing.assert_allclose(edu["coefficients"], ref["coefficients"], rtol=rtol * 10, atol=rtol)
    # sum of squared errors over 2,000 points: from ~1e3 down to ~9 (the tutorial's ~8.8)
    assert edu["losses"][-1] < 10 < 100 < edu["losses"][0]
    a, b, c, d = edu["coefficients"]
    assert abs(b - 0.857) < 0.05 and abs(d + 0.093) < 0.01  # sin(x) ~ 0.857 x - 0.093 x^3 on [-pi, pi]


def test_cifar10_classifier_float64_same_losses_and_it_learns():
    """80 steps at a larger learning rate than the blitz's, so that they get somewhere."""
    runs = run_both("12_cifar10_classifier.py", "--dtype", "float64", "--train-size", "160", "--epochs", "2",
                    "--lr", "0.02")
    edu, ref = runs["edu"], runs["torch"]
    assert len(edu["losses"]) == 80
    np.testing.assert_allclose(edu["losses"], ref["losses"], rtol=1e-9)
    assert edu["accuracy"] == ref["accuracy"] >= 0.9  # chance is 0.1
    assert np.mean(edu["losses"][-10:]) < 0.5 < 2.2 < np.mean(edu["losses"][:10])


@pytest.mark.skipif(importlib.util.find_spec("tinygrad_edu.optim.lr_scheduler") is None,
                    reason="needs tinygrad_edu.optim.lr_scheduler (StepLR), written on the optim branch")
def test_mnist_with_step_lr_same_losses_and_schedule():
    runs = run_both("13_mnist_scheduler.py", "--dtype", "float64", "--epochs", "2")
    edu, ref = runs["edu"], runs["torch"]
    assert len(edu["losses"]) == 2 * 63  # 4,000 digits in batches of 64
    np.testing.assert_allclose(edu["losses"], ref["losses"], rtol=1e-10)
    assert edu["lrs"] == ref["lrs"] and edu["lrs"][1] == pytest.approx(0.05 * 0.7)
    assert edu["accuracy"] >= 0.9 and abs(edu["accuracy"] - ref["accuracy"]) <= 0.002


def test_resnet18_training_steps_same_losses_and_bn_statistics():
    """torchvision's ResNet-18 on both backends: three SGD steps on one batch, float64."""
    runs = run_both("14_resnet18_step.py", "--dtype", "float64", "--steps", "3")
    edu, ref = runs["edu"], runs["torch"]
    np.testing.assert_allclose(edu["losses"], ref["losses"], rtol=1e-9)
    np.testing.assert_allclose(edu["bn1_running_mean"], ref["bn1_running_mean"], rtol=1e-9, atol=1e-12)
    assert edu["losses"][-1] < 0.5 * edu["losses"][0]  # the same batch each step: it is learned
