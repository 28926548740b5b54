"""The engine runs without PyTorch: importing it, or any of its namespaces, never imports torch.

Each check runs in a fresh interpreter, since this test process has torch loaded already.
"""
import importlib.util
import subprocess
import sys

import pytest

NAMESPACES = ["tinygrad_edu", "tinygrad_edu.nn", "tinygrad_edu.nn.functional", "tinygrad_edu.optim",
              "tinygrad_edu.utils.data", "tinygrad_edu.vision", "tinygrad_edu.tutorial"]


@pytest.mark.parametrize("module", NAMESPACES)
def test_import_does_not_load_torch(module):
    # a listed module that is missing (renamed, moved) fails here, instead of passing unchecked
    assert importlib.util.find_spec(module) is not None, f"{module} does not exist"
    code = (f"import sys, {module}\n"
            "loaded = sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))\n"
            "assert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_tensor_work_does_not_load_torch():
    # building a graph and running backward must not pull torch in lazily either
    code = ("import sys, tinygrad_edu as t\n"
            "x = t.randn(3, 4, requires_grad=True)\n"
            "y = (x @ x.T).softmax(1).log().sum()\n"
            "y.backward()\n"
            "print(repr(x.grad)[:6], t.autograd.gradcheck(lambda a: a.tanh(), (t.tensor([0.5], dtype=t.float64,"
            " requires_grad=True),)))\n"
            "assert 'torch' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tensor") and "True" in result.stdout
