"""scripts/run_collections.py, the harness that runs PyTorch's tutorial programs on both engines: it is
tried here on two small programs of our own, on its synthetic datasets, in real processes."""
import importlib.util
import os
import sys
import textwrap

import pytest

HARNESS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "run_collections.py")

# Reads the three synthetic datasets through torchvision's classes with download=True (nothing may be
# downloaded: the files are there), from the working directory's data/ and ../data, and prints numbers
# that must come out the same on both engines.
DATASETS = """
import torch
from torchvision import datasets
from torchvision.transforms import ToTensor

fashion = datasets.FashionMNIST(root="data", train=True, download=True, transform=ToTensor())
mnist = datasets.MNIST("../data", train=False, download=True, transform=ToTensor())
cifar = datasets.CIFAR10(root="./data", train=False, download=True, transform=ToTensor())
loader = torch.utils.data.DataLoader(cifar, batch_size=50)
images, labels = next(iter(loader))
print("sizes", len(fashion), len(mnist), len(cifar), tuple(images.shape), cifar.classes[labels[0]])
print(f"means {fashion[3][0].mean().item():.6f} {mnist[5][0].sum().item():.3f} {images.mean().item():.6f}")
"""

MISSING = """
import torch
print("start")
torch.fft.fft(torch.zeros(4))
"""


def _harness():
    spec = importlib.util.spec_from_file_location("run_collections", HARNESS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_harness_runs_a_program_on_both_engines_and_tabulates(tmp_path, capsys):
    programs = []
    for name, code in (("datasets_check.py", DATASETS), ("missing_name.py", MISSING)):
        programs += ["--program", str(tmp_path / name)]
        (tmp_path / name).write_text(textwrap.dedent(code))
    assert _harness().main(["--scratch", str(tmp_path / "scratch"), *programs, "--timeout", "120"]) == 0
    rows = [line for line in (tmp_path / "scratch" / "results.md").read_text().splitlines() if "(given)" in line]
    assert len(rows) == 2, rows
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    torch_result, engine_result = cells[0][2], cells[0][3]
    assert torch_result.startswith("ok: sizes 600 200 200 (50, 3, 32, 32)"), torch_result
    assert engine_result == torch_result
    assert cells[1][2] == "ok: start"
    assert cells[1][3] == "FAILED: tinygrad_edu has no torch.fft yet"


def test_synthetic_datasets_have_torchvisions_layout(tmp_path):
    """The files torchvision's MNIST, FashionMNIST and CIFAR10 look for, and the nn tutorial's pickle."""
    pytest.importorskip("torchvision")
    import torchvision
    harness = _harness()
    run = harness.make_data(str(tmp_path))
    data = os.path.join(run, "data")
    for cls, n in ((torchvision.datasets.MNIST, harness.N_TEST), (torchvision.datasets.FashionMNIST, harness.N_TEST)):
        assert len(cls(data, train=False)) == n
    assert sorted(os.listdir(os.path.join(data, "cifar-10-batches-py"))) == [
        "batches.meta", "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]
    assert os.path.isfile(os.path.join(data, "mnist", "mnist.pkl.gz"))
