"""Crafted checkpoints for ``train --resume``, ``predict`` and ``export``: whatever the file holds,
the command says in one line which file and what is wrong, exits non-zero without a traceback,
and a failed resume leaves the checkpoint as it was.

The crafted files start from a real checkpoint of ``tinygrad-edu train`` and change one thing,
saved with ``tinygrad_edu.save`` (the format checkpoints use), or are other files altogether: a
saved tensor, a PyTorch safetensors file, an empty file, a folder.
"""
import copy
import dataclasses
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

import tinygrad_edu
from helpers import assert_one_line_error, run_main
from tinygrad_edu.serialization import load
from tinygrad_edu.training import TrainConfig, train
from tinygrad_edu.training import checkpoint as checkpoints
from tinygrad_edu.training.backends import EduBackend
from tinygrad_edu.training.loop import Progress, Settings
from tinygrad_edu.training.recipes import RECIPES

MLP = ["--model", "mlp", "--limit-train", "64", "--batch-size", "32"]  # 2 steps per epoch


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict:
    """A real checkpoint of the mlp after one epoch and a half (interrupted after step 1 of epoch 2)."""
    folder = tmp_path_factory.mktemp("good")
    path = str(folder / "mlp.ckpt")
    train(TrainConfig(model="mlp", limit_train=64, batch_size=32, epochs=1, checkpoint=path))
    return load(path)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cv2.imwrite("digit.png", np.zeros((28, 28), np.uint8))


def other_model_state(name: str, optimizer: str = "adam") -> tuple[dict, dict]:
    """The initial weights of the recipe ``name`` and a fresh optimizer's state, as numpy."""
    edu = EduBackend()
    model = edu.make_model(RECIPES[name], 0, "float32")
    opt = {"adam": tinygrad_edu.optim.Adam, "sgd": tinygrad_edu.optim.SGD}[optimizer](model.parameters(), lr=1e-3)
    return edu.weights_to_numpy(model), edu.optimizer_state_to_numpy(opt)


def changed(checkpoint: dict, **changes) -> dict:
    """The checkpoint with ``key=value`` set or ``key=DROP`` removed; ``a__b`` is ``[a][b]`` (digits: int keys)."""
    for dotted, value in changes.items():
        *parents, key = [int(k) if k.isdigit() else k for k in dotted.split("__")]
        target = checkpoint
        for parent in parents:
            target = target[parent]
        if value is DROP:
            del target[key]
        else:
            target[key] = value
    return checkpoint


DROP = object()
CNN_WEIGHTS, _ = other_model_state("cnn")
_, LOGREG_ADAM = other_model_state("logreg")
_, MLP_SGD = other_model_state("mlp", "sgd")
CASES = {
    "only its format key": (lambda c: {"format": c["format"]}, "missing backend, data, data_source, epoch"),
    "a missing key": (lambda c: changed(c, progress=DROP), "not a whole 'tinygrad-edu train' checkpoint: "
                      "missing progress"),
    "an extra key": (lambda c: {**c, "scheduler": 1}, "unexpected scheduler"),
    "a missing setting": (lambda c: changed(c, settings__lr=DROP), "missing settings.lr"),
    "an extra progress entry": (lambda c: changed(c, progress__rng=[1]), "unexpected progress.rng"),
    "a string epoch": (lambda c: {**c, "epoch": "1"}, "epoch is the text '1'; expected a whole number from 0"),
    "a bool step": (lambda c: {**c, "step": True}, "step is True; expected a whole number from 0"),
    "a negative step": (lambda c: changed(c, step=-1, progress__step=-1), "step is -1; expected a whole number"),
    "a list as model state": (lambda c: {**c, "model_state_dict": list(c["model_state_dict"].values())},
                              "model_state_dict is a list of 4; expected a dict"),
    "an unknown model": (lambda c: {**c, "model": "resnet"}, "model is the text 'resnet'; expected 'linreg' or"),
    "a string lr": (lambda c: changed(c, settings__lr="0.1"), "settings.lr is the text '0.1'; expected a finite"),
    "a zero batch size": (lambda c: changed(c, settings__batch_size=0), "settings.batch_size is 0"),
    "an unknown dtype": (lambda c: changed(c, settings__dtype="int8"), "settings.dtype is the text 'int8'"),
    "a NaN loss in the history": (lambda c: changed(c, progress__step_losses=[float("nan")] * 2),
                                  "progress.step_losses is a list of 2; expected a list, each item a finite number"),
    "epoch and progress disagree": (lambda c: changed(c, progress__epoch=0),
                                    "inconsistent: it says epoch 1 and step 0, but its progress says epoch 0"),
    "a history of the wrong length": (lambda c: changed(c, progress__train_loss=[]),
                                      "it says 1 epochs done, but its progress holds 0 train_loss"),
    "more epochs done than planned": (lambda c: changed(c, epoch=2, progress__epoch=2),
                                      "inconsistent: it says epoch 2 of 1"),
    "a step beyond the epoch": (lambda c: changed(c, epoch=0, step=3, progress__epoch=0, progress__step=3,
                                                  progress__train_loss=[], progress__test_accuracy=[],
                                                  progress__epoch_seconds=[], settings__epochs=2), "step 3 of an epoch of 2 steps"),
    "the backend and its settings disagree": (lambda c: {**c, "backend": "torch"}, "backend 'torch', but its settings"),
    "weights of other shapes": (lambda c: changed(c, **{"model_state_dict__0.weight": np.zeros((50, 784), np.float32)}),
                                "0.weight has shape (50, 784), the model's is (100, 784)"),
    "weights of another dtype": (lambda c: changed(c, **{"model_state_dict__2.bias": np.zeros(10, np.int64)}),
                                 "2.bias is int64, the checkpoint's dtype is float32"),
    "infinite weights": (lambda c: changed(c, **{"model_state_dict__2.bias": np.full(10, np.inf, np.float32)}),
                         "2.bias holds NaN or infinite values"),
    "the state_dict of another model": (lambda c: {**c, "model_state_dict": CNN_WEIGHTS},
                                        "the weights don't fit the mlp model (expected ['0.bias'"),
    "optimizer state of another model": (lambda c: {**c, "optimizer_state_dict": LOGREG_ADAM},
                                         "optimizer_state_dict is for other parameters than the mlp model's 4"),
    "optimizer state of another optimizer": (lambda c: {**c, "optimizer_state_dict": MLP_SGD},
                                             "param_groups are not those of one adam optimizer"),
    "optimizer buffers of other shapes": (lambda c: changed(c, optimizer_state_dict__state__0__exp_avg=
                                                            np.zeros((10, 100), np.float32)),
                                          "exp_avg of parameter 0 is an array of shape (10, 100) (float32), "
                                          "expected finite floats of shape (100, 784)"),
    "optimizer state for a parameter it lacks": (lambda c: changed(c, optimizer_state_dict__state__7=
                                                                   {"step": np.float32(1)}),
                                                 "holds state for parameter 7, but the mlp model has parameters 0 to 3"),
    "a list as optimizer state": (lambda c: {**c, "optimizer_state_dict": []},
                                  "optimizer_state_dict is a list of 0; expected a dict"),
}
OTHER_FILES = {
    "a saved tensor": (lambda: tinygrad_edu.save(tinygrad_edu.ones(3), "x.ckpt"),
                       "x.ckpt is not a checkpoint written by 'tinygrad-edu train' (it holds a tensor of shape (3,)",
                       "x.ckpt is neither a 'tinygrad-edu train' checkpoint nor a state_dict of the mlp or cnn "
                       "(it holds a tensor of shape (3,)"),
    "a PyTorch safetensors file": (lambda: __import__("safetensors.numpy").numpy.save_file(
                                       {"weight": np.ones((2, 3), np.float32)}, "x.ckpt"),
                                   "x.ckpt is not a checkpoint written by 'tinygrad-edu train' (it holds a dict "
                                   "with keys 'weight')", "(it holds a dict with keys 'weight')"),
    "an empty file": (lambda: open("x.ckpt", "wb").close(), "can't read checkpoint: x.ckpt is truncated or corrupt",
                      "can't read checkpoint: x.ckpt is truncated or corrupt"),
    "a folder": (lambda: os.mkdir("x.ckpt"), "x.ckpt is a folder, not a checkpoint file",
                 "x.ckpt is a folder, not a checkpoint file"),
}


def write(good: dict, case: str) -> str:
    make, _ = CASES[case]
    tinygrad_edu.save(make(copy.deepcopy(good)), "x.ckpt")
    return "x.ckpt"


def commands(path: str) -> dict:
    return {"train --resume": ["train", *MLP, "--checkpoint", path, "--resume", "--epochs", "2"],
            "predict": ["predict", "digit.png", "--checkpoint", path],
            "export": ["export", "--checkpoint", path, "--out", "x.onnx"]}


@pytest.mark.parametrize("case", CASES)
def test_a_crafted_checkpoint_gives_one_line(capsys, good, case):
    path = write(good, case)
    before = open(path, "rb").read(), os.stat(path).st_mtime_ns
    for command, argv in commands(path).items():
        status, out, err = run_main(capsys, *argv)
        assert_one_line_error(status, err, f"tinygrad-edu: error: {path}")
        assert CASES[case][1] in err, f"{command}: {err}"
        assert out == ""
    assert (open(path, "rb").read(), os.stat(path).st_mtime_ns) == before  # the failed resume wrote nothing
    assert not os.path.exists("x.onnx") and not os.path.exists("x.metrics.json")


@pytest.mark.parametrize("case", OTHER_FILES)
def test_a_file_that_is_no_checkpoint_gives_one_line(capsys, case):
    make, resume_says, predict_says = OTHER_FILES[case]
    make()
    for command, argv in commands("x.ckpt").items():
        status, out, err = run_main(capsys, *argv)
        assert_one_line_error(status, err, resume_says if command == "train --resume" else predict_says)
    assert os.path.isdir("x.ckpt") or os.path.isfile("x.ckpt")


@pytest.mark.parametrize("case, command", [("only its format key", "train --resume"),
                                           ("a list as model state", "predict"),
                                           ("optimizer state of another model", "export")])
def test_through_the_real_command(good, tmp_path, case, command):
    path = write(good, case)
    before = open(path, "rb").read()
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", *commands(path)[command]], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert_one_line_error(result.returncode, result.stderr, CASES[case][1])
    assert open(path, "rb").read() == before


def test_good_checkpoints_of_both_backends_pass(capsys, good, tmp_path):
    """The checks refuse nothing that ``train`` writes: either backend, sgd or adam, float64, finished
    or interrupted mid-epoch; and the resumed run goes on."""
    checkpoints.validate("good", good)
    for backend, model, optimizer, dtype in [("torch", "logreg", "adam", "float32"), ("torch", "linreg", "sgd", "float64"),
                                             ("edu", "logreg", "sgd", "float64")]:
        path = f"{backend}-{model}.ckpt"
        train(TrainConfig(model=model, backend=backend, optimizer=optimizer, dtype=dtype, epochs=3, checkpoint=path))
        checkpoints.read(path)
    tinygrad_edu.save(good, "mlp.ckpt")
    assert run_main(capsys, "train", *MLP, "--checkpoint", "mlp.ckpt", "--resume", "--epochs", "2")[0] == 0
    assert load("mlp.ckpt")["epoch"] == 2


def test_the_schema_names_the_runs_fields():
    assert set(checkpoints.SETTINGS) == {f.name for f in dataclasses.fields(Settings)}
    assert set(checkpoints.PROGRESS) == {f.name for f in dataclasses.fields(Progress)}
