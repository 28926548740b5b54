"""``tinygrad-edu run`` / ``python -m tinygrad_edu.run``: an unchanged PyTorch program runs on the
engine; a name the engine lacks ends it with one line naming the PyTorch name.

The programs are written to disk and run in real processes, the supported one under real
PyTorch too, to compare what it prints.
"""
import subprocess
import sys
import textwrap

import pytest
import torch

from tinygrad_edu import run as run_module

# A small regression as a PyTorch tutorial writes it: weights and data from numpy, so both engines
# start equal; it prints its final loss with 12 significant digits.
REGRESSION = '''
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
X = rng.normal(size=(64, 3))
y = X @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.normal(size=(64, 1))

model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, size=tuple(p.shape))))
lr = float(sys.argv[1]) if len(sys.argv) > 1 else 0.01
optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=16, shuffle=False)
loss_fn = nn.MSELoss()
for epoch in range(30):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
print("argv", sys.argv[1:], "name", __name__)
print(f"final loss {loss.item():.12e}")
'''


def _write(tmp_path, name: str, code: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


def _run(*argv, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True, timeout=120, cwd=cwd)


def _final_loss(stdout: str) -> float:
    return float(stdout.split("final loss ")[1].split()[0])


def test_a_pytorch_regression_gives_torch_s_loss(tmp_path):
    """Run by ``python -m tinygrad_edu.run``, by ``tinygrad-edu run`` (here ``python -m
    tinygrad_edu run``) and by PyTorch itself."""
    script = _write(tmp_path, "regression.py", REGRESSION)
    ref = _run(script, "0.05")
    assert ref.returncode == 0, ref.stderr
    for runner in (["-m", "tinygrad_edu.run"], ["-m", "tinygrad_edu", "run"]):
        edu = _run(*runner, script, "0.05")
        assert edu.returncode == 0, edu.stderr
        assert "argv ['0.05'] name __main__" in edu.stdout
        loss = _final_loss(edu.stdout)
        assert loss == pytest.approx(_final_loss(ref.stdout), rel=1e-10)
        assert loss < 0.02  # it really learnt: the noise alone gives 0.01


MISSING = [  # (program, the one line it must end with)
    ("import torch\nprint('started')\nlayer = torch.nn.TransformerEncoderLayer(8, 2)\n",
     "tinygrad_edu has no torch.nn.TransformerEncoderLayer yet"),
    ("import torch\nprint('started')\nfrom torch.nn import TransformerEncoderLayer\n",
     "tinygrad_edu has no torch.nn.TransformerEncoderLayer yet"),
    ("import torch\nprint('started')\nimport torch.distributions as D\n",
     "tinygrad_edu has no torch.distributions yet"),
    ("import torch\nprint('started')\nfrom torchvision.models import resnet50\n",
     "tinygrad_edu has no torchvision.models.resnet50 yet"),
    ("import torch\nprint('started')\nm, e = torch.zeros(3).frexp()\n", "tinygrad_edu has no torch.Tensor.frexp yet"),
    ("import torch\nprint('started')\ntorch.ops.aten.add\n", "tinygrad_edu has no torch.ops yet"),
]


@pytest.mark.parametrize("program, line", MISSING)
def test_a_missing_pytorch_name_ends_the_program_with_one_line(tmp_path, program, line):
    script = _write(tmp_path, "uses_missing.py", program)
    result = _run("-m", "tinygrad_edu.run", script)
    assert result.returncode == 1
    assert result.stdout == "started\n"  # it ran until the first use
    assert result.stderr == line + "\n"


def test_the_cli_prints_the_same_single_line(tmp_path):
    script = _write(tmp_path, "uses_missing.py", MISSING[0][0])
    result = _run("-m", "tinygrad_edu", "run", script)
    assert (result.returncode, result.stderr) == (1, MISSING[0][1] + "\n")


def test_optional_imports_fall_back_as_under_pytorch(tmp_path):
    script = _write(tmp_path, "optional.py", """
        try:
            import torch.distributions as D
        except ImportError as e:
            D = None
            print("no distributions:", e)
        import torch
        print(hasattr(torch, "tensor"), torch.__name__, torch.nn.functional.__name__)
        from torch.nn import *
        print(Linear(2, 3), MSELoss())
    """)
    result = _run("-m", "tinygrad_edu.run", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("no distributions: tinygrad_edu has no torch.distributions yet\n"
                             "True torch torch.nn.functional\n"
                             "Linear(in_features=2, out_features=3, bias=True) MSELoss()\n")


def test_the_script_s_folder_is_importable_and_its_errors_are_its_own(tmp_path):
    _write(tmp_path, "helper_module.py", "VALUE = 41\n")
    script = _write(tmp_path, "main.py", """
        import sys
        from helper_module import VALUE
        print(VALUE + 1, sys.argv)
        raise KeyError("the script's own bug")
    """)
    for runner in (["-m", "tinygrad_edu.run"], ["-m", "tinygrad_edu", "run"]):
        result = _run(*runner, script, "--flag", "x", cwd="/")
        assert result.stdout == f"42 [{str(script)!r}, '--flag', 'x']\n"
        assert result.returncode == 1
        # Python's traceback, from the script's own frames on
        assert result.stderr.startswith(f'Traceback (most recent call last):\n  File "{script}", line 5')
        assert result.stderr.endswith("KeyError: \"the script's own bug\"\n")
        assert "runpy" not in result.stderr and "tinygrad-edu" not in result.stderr


def test_the_script_s_warnings_are_python_s(tmp_path):
    script = _write(tmp_path, "warns.py", """
        import warnings
        import numpy as np
        warnings.warn("careful")
        print(np.float64(1) / 0)
    """)
    result = _run("-m", "tinygrad_edu", "run", script)
    assert result.returncode == 0 and result.stdout == "inf\n"
    assert "UserWarning: careful" in result.stderr and "RuntimeWarning: divide by zero" in result.stderr


def test_exit_status_of_the_script_is_kept(tmp_path):
    script = _write(tmp_path, "exits.py", "import sys\nsys.exit(3)\n")
    assert _run("-m", "tinygrad_edu.run", script).returncode == 3


def test_usage_and_a_missing_file(tmp_path):
    assert _run("-m", "tinygrad_edu.run").returncode == 2
    result = _run("-m", "tinygrad_edu.run", tmp_path / "nope.py")
    assert result.returncode == 2 and "can't open file" in result.stderr and "Traceback" not in result.stderr


def test_run_in_process_puts_real_torch_back(tmp_path):
    """The finder exists only during the run; afterwards ``torch`` is PyTorch again."""
    script = _write(tmp_path, "inside.py", """
        import torch, torch.nn
        import tinygrad_edu
        assert torch.Tensor is tinygrad_edu.Tensor and torch.nn.Linear is tinygrad_edu.nn.Linear
    """)
    before = sys.modules["torch"]
    argv = sys.argv[:]
    run_module.run(str(script), ["a"])
    assert sys.modules["torch"] is before is torch
    assert sys.argv == argv
    assert not any(isinstance(f, run_module._TorchFinder) for f in sys.meta_path)
    import torch.nn as real_nn
    assert real_nn.Linear is torch.nn.Linear
