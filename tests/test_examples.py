"""Every script in examples/ runs in its default (quick) mode and says what the tutorial's
version says, and what it learns clears a floor well above chance; each runs in a fresh folder,
where it writes its plots and model files. The scripts are notebooks too: ``# %%`` cells that
each parse on their own, opening with a markdown cell."""
import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# What each script's output must contain.
EXPECTED = {
    "01_tensor_basics.py": ["tensor([12, 14, 16", "GPU is not available"],
    "02_autograd.py": ["backward() agrees with the chain rule"],
    "03_linear_regression.py": ["epoch 100, loss", "plot saved to linear_regression.png"],
    "04_logistic_regression.py": ["epoch 1000, loss", "plot saved to logistic_regression.png"],
    "05_dataset_dataloader.py": ["4 tinygrad_edu.Size([32, 1, 28, 28])", "tinygrad_edu.Size([4, 3, 64, 64])"],
    "06_mnist_mlp.py": ["run in epoch : 0", "total acc : 0."],
    "07_save_load_predict.py": ["torch.save(model, PATH) is refused", "restored the checkpoint", "predict digit number:"],
    "08_conv_blur.py": ["largest difference from cv.blur"],
    "09_mnist_cnn.py": ["cnn_layers.0.weight", "total acc : 0."],
    "10_tensorboard.py": ["'training/loss'", "'mnist_images'"],
    "11_polynomial_fit.py": ["1999 9.14", "Result: y = -0.01"],
    "12_cifar10_classifier.py": ["[1,   100] loss: 2.3", "Accuracy of the network on the 200 test images"],
    "13_mnist_scheduler.py": ["Train Epoch: 3 [3840/4000 (95%)]", "learning rates by epoch: [0.05, 0.0349"],
    "14_resnet18_step.py": ["step 1: loss 2.51", "step 3: loss"],
}

# What each quick run must reach: (pattern of a number in its output, the last match's bound).
# Chance is a loss of 24 (linear regression's first epoch), 0.69 (logistic), ln 10 = 2.30 for
# digits, accuracy 0.10; the quick runs measured 0.187, 0.309, 0.81, 0.59, 0.71, 0.58.
FLOORS = {
    "03_linear_regression.py": (r"epoch 100, loss ([0-9.]+)", "<", 0.2),
    "04_logistic_regression.py": (r"epoch 1000, loss ([0-9.]+)", "<", 0.32),
    "06_mnist_mlp.py": (r"total acc : ([0-9.]+)", ">", 0.7),
    "07_save_load_predict.py": (r"epoch 0: loss ([0-9.]+)", "<", 1.0),
    "09_mnist_cnn.py": (r"total acc : ([0-9.]+)", ">", 0.6),
    "10_tensorboard.py": (r"test acc ([0-9.]+)", ">", 0.45),
    "14_resnet18_step.py": (r"step 3: loss ([0-9.]+)", "<", 1.0),  # from 2.51: one batch, learned
}

# Examples that need a module another part of the engine is still writing: skipped until it exists.
NEEDS = {"13_mnist_scheduler.py": "tinygrad_edu.optim.lr_scheduler"}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs(script, tmp_path):
    if script in NEEDS and importlib.util.find_spec(NEEDS[script]) is None:
        pytest.skip(f"needs {NEEDS[script]}")
    result = subprocess.run([sys.executable, str(EXAMPLES / script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    for expected in EXPECTED[script]:
        assert expected in result.stdout, f"{script}: {expected!r} missing from\n{result.stdout[-2000:]}"
    if script in FLOORS:
        pattern, direction, bound = FLOORS[script]
        value = float(re.findall(pattern, result.stdout)[-1])
        assert value < bound if direction == "<" else value > bound, f"{script}: {pattern} gave {value}"


# The tutorial's sections, 01-10, open as notebooks; 11-14 (PyTorch's own tutorials) are plain scripts.
NOTEBOOKS = sorted(s for s in EXPECTED if int(s[:2]) <= 10)


@pytest.mark.parametrize("script", NOTEBOOKS)
def test_example_is_a_notebook_of_cells(script):
    source = (EXAMPLES / script).read_text()
    assert source.startswith("# %% [markdown]\n# ")
    cells = source.split("\n# %%")
    assert len(cells) >= 4
    for cell in cells[1:]:
        ast.parse(cell)  # each code cell runs on its own in Jupyter (jupytext) or VS Code
