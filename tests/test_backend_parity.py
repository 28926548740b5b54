"""The two backends of ``tinygrad-edu train`` agree, on the built-in digits.

From the same initial weights and the same batches:

* float64: the MLP's and the CNN's per-step losses agree to 1e-8 (relative) over 100 steps;
* float32: training is chaotic (a max-pool or ReLU decision can flip on one rounding), so the
  first step's loss and gradients agree to 1e-5, the MLP's first 100 losses to 1e-4, and one
  epoch's loss curves (averaged over 10 steps) within a few percent;
* the tutorial's 5 epochs reach the accuracy the tutorial's settings reach on PyTorch
  (MLP >= 88%, CNN >= 94% on the 1,000 held-out digits), on both backends;
* linear and logistic regression end at the same fitted parameters.
"""
import json

import numpy as np
import pytest

from tinygrad_edu import load as load_file
from tinygrad_edu.training import TrainConfig, train
from tinygrad_edu.training.backends import EduBackend, TorchBackend
from tinygrad_edu.training.data import load
from tinygrad_edu.training.recipes import RECIPES


def run(tmp_path, backend: str, **options) -> dict:
    """Train quietly; the metrics JSON and the final weights of the run."""
    name = f"{options['model']}-{backend}"
    metrics = train(TrainConfig(backend=backend, checkpoint=str(tmp_path / f"{name}.ckpt"),
                                metrics=str(tmp_path / f"{name}.json"), **options),
                    out=open(tmp_path / f"{name}.out", "w"), err=open(tmp_path / f"{name}.err", "w"))
    assert json.loads((tmp_path / f"{name}.json").read_text()) == metrics
    return metrics


@pytest.mark.parametrize("model, epochs", [("mlp", 4), ("cnn", 2)])
def test_float64_losses_agree_for_100_steps(tmp_path, model, epochs):
    losses = {b: run(tmp_path, b, model=model, dtype="float64", epochs=epochs, seed=1)["step_losses"]
              for b in ("edu", "torch")}
    assert len(losses["edu"]) >= 100
    np.testing.assert_allclose(losses["edu"][:100], losses["torch"][:100], rtol=1e-8)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_float32_first_step_loss_and_gradients_agree(model):
    recipe = RECIPES[model]
    samples = load(recipe, None, 0, "float32", None)
    x, y = samples.x_train[:recipe.batch_size], samples.y_train[:recipe.batch_size]
    grads, losses = {}, {}
    for backend in (EduBackend(), TorchBackend()):
        torch = backend.torch
        net = backend.make_model(recipe, 0, "float32")
        inputs = torch.from_numpy(x)
        if recipe.flatten:
            inputs = inputs.view(inputs.shape[0], -1)
        loss = getattr(torch.nn, recipe.loss)()(net(inputs), torch.from_numpy(y))
        loss.backward()
        losses[backend.name] = loss.item()
        grads[backend.name] = {n: p.grad.numpy() for n, p in net.named_parameters()}
    assert losses["edu"] == pytest.approx(losses["torch"], rel=1e-5)
    for name, g in grads["edu"].items():
        np.testing.assert_allclose(g, grads["torch"][name], rtol=1e-5, atol=1e-5 * np.abs(g).max(), err_msg=name)


def test_float32_mlp_losses_agree_for_100_steps(tmp_path):
    losses = {b: run(tmp_path, b, model="mlp", epochs=4, seed=2)["step_losses"] for b in ("edu", "torch")}
    np.testing.assert_allclose(losses["edu"][:100], losses["torch"][:100], rtol=1e-4)


def test_float32_cnn_loss_curves_agree_over_an_epoch(tmp_path):
    curves = {}
    for b in ("edu", "torch"):
        steps = np.array(run(tmp_path, b, model="cnn", epochs=1, seed=3)["step_losses"])
        curves[b] = steps[: len(steps) // 10 * 10].reshape(-1, 10).mean(axis=1)
    np.testing.assert_allclose(curves["edu"], curves["torch"], rtol=0.05)


@pytest.mark.parametrize("model, floor", [("mlp", 0.88), ("cnn", 0.94)])
def test_tutorial_settings_reach_the_tutorial_accuracy_on_both_backends(tmp_path, model, floor):
    for backend in ("edu", "torch"):
        metrics = run(tmp_path, backend, model=model, seed=0)
        assert len(metrics["test_accuracy"]) == RECIPES[model].epochs
        assert metrics["final_accuracy"] >= floor, (backend, metrics["test_accuracy"])


@pytest.mark.parametrize("model", ["linreg", "logreg"])
def test_regressions_fit_the_same_parameters(tmp_path, model):
    fitted = {}
    for backend in ("edu", "torch"):
        run(tmp_path, backend, model=model, seed=4)
        fitted[backend] = load_file(str(tmp_path / f"{model}-{backend}.ckpt"))["model_state_dict"]
    for name, value in fitted["edu"].items():
        np.testing.assert_allclose(value, fitted["torch"][name], rtol=1e-5, err_msg=name)
