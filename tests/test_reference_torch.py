"""Checks of the PyTorch yardstick: tutorial architectures, loops, and numpy weight transfer."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from reference_torch import models
from reference_torch.train import evaluate, fit_regression, train_epoch
from reference_torch.weights import (
    load_numpy_optimizer_state,
    load_numpy_state_dict,
    optimizer_state_to_numpy,
    state_dict_to_numpy,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def shapes(model: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def test_mlp_state_dict_matches_tutorial():
    assert shapes(models.mlp()) == {
        "0.weight": (100, 784),
        "0.bias": (100,),
        "2.weight": (10, 100),
        "2.bias": (10,),
    }


def test_cnn_state_dict_matches_tutorial():
    assert shapes(models.CNN_Mnist()) == {
        "cnn_layers.0.weight": (8, 1, 3, 3),
        "cnn_layers.0.bias": (8,),
        "cnn_layers.3.weight": (32, 8, 3, 3),
        "cnn_layers.3.bias": (32,),
        "fc_layers.0.weight": (200, 1568),
        "fc_layers.0.bias": (200,),
        "fc_layers.2.weight": (100, 200),
        "fc_layers.2.bias": (100,),
        "fc_layers.4.weight": (10, 100),
        "fc_layers.4.bias": (10,),
    }


def test_regression_models():
    torch.manual_seed(0)
    x = torch.from_numpy(models.linreg_data()[0])
    linear = models.LinearRegressionModel()
    assert shapes(linear) == {"linear.weight": (1, 1), "linear.bias": (1,)}
    expected = x * linear.linear.weight[0, 0] + linear.linear.bias[0]
    torch.testing.assert_close(linear(x), expected)

    logistic = models.LogisticRegressionModel()
    assert shapes(logistic) == {"linear.weight": (1, 1), "linear.bias": (1,)}
    torch.testing.assert_close(logistic(x), torch.sigmoid(logistic.linear(x)))


@pytest.mark.parametrize(
    "make_model, input_shape",
    [(models.CNN_Mnist, (2, 1, 28, 28)), (models.mlp, (2, 784))],
)
def test_forward_gives_log_probabilities(make_model, input_shape):
    torch.manual_seed(0)
    with torch.no_grad():
        out = make_model()(torch.randn(*input_shape))
    assert out.shape == (2, 10)
    torch.testing.assert_close(out.exp().sum(dim=1), torch.ones(2))


def test_cross_entropy_on_log_probabilities_equals_nll():
    """Why the tutorial's CrossEntropyLoss on the CNN's LogSoftmax output is harmless."""
    torch.manual_seed(0)
    log_probs = torch.log_softmax(torch.randn(5, 10), dim=1)
    labels = torch.tensor([0, 3, 9, 3, 1])
    torch.testing.assert_close(
        torch.nn.CrossEntropyLoss()(log_probs, labels), torch.nn.NLLLoss()(log_probs, labels)
    )


def test_numpy_round_trip_gives_identical_outputs():
    torch.manual_seed(0)
    source = models.CNN_Mnist()
    torch.manual_seed(1)
    target = models.CNN_Mnist()
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        assert not torch.equal(source(x), target(x))

    arrays = state_dict_to_numpy(source)
    assert all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in arrays.values())
    load_numpy_state_dict(target, arrays)
    with torch.no_grad():
        assert torch.equal(source(x), target(x))
        # The export is a copy: changing the model afterwards leaves the arrays alone.
        source.fc_layers[4].bias.add_(1.0)
    assert not np.array_equal(arrays["fc_layers.4.bias"], state_dict_to_numpy(source)["fc_layers.4.bias"])


def test_load_rejects_wrong_shape_naming_key_and_shapes():
    model = models.CNN_Mnist()
    arrays = state_dict_to_numpy(model)
    arrays["fc_layers.0.weight"] = np.zeros((200, 1567), dtype=np.float32)
    with pytest.raises(ValueError, match=r"fc_layers\.0\.weight.*\(200, 1567\).*\(200, 1568\)"):
        load_numpy_state_dict(model, arrays)


def test_load_rejects_missing_and_unexpected_keys():
    model = models.mlp()
    arrays = state_dict_to_numpy(model)
    arrays["3.weight"] = arrays.pop("2.weight")
    with pytest.raises(KeyError, match=r"missing \['2\.weight'\], unexpected \['3\.weight'\]"):
        load_numpy_state_dict(model, arrays)


def test_linear_regression_on_tutorial_data_converges():
    torch.manual_seed(0)
    x, y = models.linreg_data()
    model = models.LinearRegressionModel(1, 1)
    losses = fit_regression(torch, model, x, y, torch.nn.MSELoss(), lr=0.01, epochs=100)
    assert len(losses) == 100
    # Full-batch gradient descent on a convex quadratic with a small step never goes up.
    assert all(later <= earlier + 1e-6 for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < 0.1 * losses[0]
    # Least squares gives y = 1.84x + 1.16; after 100 small steps the fit is already close.
    with torch.no_grad():
        final = torch.nn.MSELoss()(model(torch.from_numpy(x)), torch.from_numpy(y)).item()
    assert final < 0.5


def test_logistic_regression_on_tutorial_data_converges():
    torch.manual_seed(0)
    x, y = models.logreg_data(seed=0)
    model = models.LogisticRegressionModel()
    losses = fit_regression(torch, model, x, y, torch.nn.BCELoss(), lr=0.01, epochs=1000)
    assert all(later <= earlier + 1e-6 for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < 0.8 * losses[0]
    assert model.linear.weight.item() > 0  # y rises with x


def test_regression_data():
    x, y = models.linreg_data()
    assert x.shape == y.shape == (6, 1) and x.dtype == y.dtype == np.float32
    np.testing.assert_array_equal(x[:, 0], np.float32([1, 2, 0.5, 2.5, 2.6, 3.1]))
    np.testing.assert_array_equal(y[:, 0], np.float32([3.7, 4.6, 1.65, 5.68, 5.98, 6.95]))

    x, y = models.logreg_data(seed=3)
    assert x.shape == y.shape == (20, 1) and x.dtype == y.dtype == np.float32
    np.testing.assert_allclose(x[:, 0], np.linspace(-5, 5, 20), rtol=1e-6)
    assert y.min() >= 0 and y.max() <= 1
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-x)), atol=0.03)
    np.testing.assert_array_equal(y, models.logreg_data(seed=3)[1])
    assert not np.array_equal(y, models.logreg_data(seed=4)[1])


def teacher_images(n: int, seed: int) -> TensorDataset:
    """MNIST-shaped stand-in (no download here): images labelled by a fixed random linear map."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 1, 28, 28, generator=generator)
    teacher = torch.randn(784, 10, generator=torch.Generator().manual_seed(99))
    labels = torch.argmax(images.view(n, -1) @ teacher, dim=1)
    return TensorDataset(images, labels)


def test_mlp_training_loop_learns():
    torch.manual_seed(0)
    data = teacher_images(256, seed=0)
    train_dl = DataLoader(data, batch_size=64, shuffle=True)
    test_dl = DataLoader(data, batch_size=100)
    model = models.mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = evaluate(torch, model, test_dl, flatten=True)

    losses = []
    for _ in range(5):
        losses += train_epoch(model, train_dl, torch.nn.NLLLoss(), optimizer, flatten=True)

    assert len(losses) == 5 * 4
    assert np.mean(losses[-4:]) < 0.6 * np.mean(losses[:4])
    after = evaluate(torch, model, test_dl, flatten=True)
    assert before < 0.3 and after > 0.9


def test_evaluate_counts_argmax_matches():
    images = torch.zeros(4, 1, 28, 28)
    images[:, 0, 0, :10] = torch.eye(10)[[2, 5, 7, 7]]  # one-hot rows in the first 10 pixels
    labels = torch.tensor([2, 5, 7, 1])
    picker = torch.nn.Linear(784, 10, bias=False)
    with torch.no_grad():
        picker.weight.zero_()
        picker.weight[:, :10] = torch.eye(10)
    loader = DataLoader(TensorDataset(images, labels), batch_size=3)
    assert evaluate(torch, picker, loader, flatten=True) == 0.75


def test_cnn_training_step_with_cross_entropy():
    torch.manual_seed(0)
    loader = DataLoader(teacher_images(32, seed=1), batch_size=16)
    model = models.CNN_Mnist()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = state_dict_to_numpy(model)
    losses = train_epoch(model, loader, torch.nn.CrossEntropyLoss(), optimizer, flatten=False)
    assert len(losses) == 2 and all(np.isfinite(losses))
    after = state_dict_to_numpy(model)
    assert all(not np.array_equal(before[k], after[k]) for k in before)
    assert 0.0 <= evaluate(torch, model, loader, flatten=False) <= 1.0


def test_optimizer_state_round_trip_continues_training_identically():
    torch.manual_seed(0)
    loader = DataLoader(teacher_images(64, seed=2), batch_size=16)
    model = models.mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_epoch(model, loader, torch.nn.NLLLoss(), optimizer, flatten=True)

    saved_state = optimizer_state_to_numpy(optimizer)
    resumed = models.mlp()
    load_numpy_state_dict(resumed, state_dict_to_numpy(model))
    resumed_optimizer = torch.optim.Adam(resumed.parameters(), lr=1e-3)
    load_numpy_optimizer_state(resumed_optimizer, saved_state)
    saved_steps = [s["step"].copy() for s in saved_state["state"].values()]

    train_epoch(model, loader, torch.nn.NLLLoss(), optimizer, flatten=True)
    train_epoch(resumed, loader, torch.nn.NLLLoss(), resumed_optimizer, flatten=True)
    for name, value in model.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name
    # Adam's in-place step counter must not have written into the saved numpy state.
    assert [s["step"] for s in saved_state["state"].values()] == saved_steps


def test_shared_modules_import_without_torch():
    """The shared tutorial module and the framework-free loops must not pull torch in."""
    code = (
        "import sys; sys.modules['torch'] = None\n"  # makes any `import torch` fail
        "from tinygrad_edu import tutorial\n"
        "from reference_torch import train\n"
        "x, y = tutorial.linreg_data()\n"
        "assert x.shape == (6, 1)\n"
        "assert callable(tutorial.build_models) and callable(train.fit_regression)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
