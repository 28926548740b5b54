"""The ``tinygrad-edu`` command: training on both backends, parity, checkpoints and resume,
TensorBoard and plots, prediction, and clear errors for user mistakes.

Runs are kept tiny (one epoch on a few hundred digits). Most go through ``cli.main`` in this
process; a few start the real command, where the entry point itself is tested. Signals are
tested in test_signals.py, every flag's bad values in test_cli_fuzz.py.
"""
import gzip
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import tinygrad_edu
from helpers import assert_one_line_error, run_command, run_main
from helpers import checkpoint_weights as weights
from tinygrad_edu.cli import main
from tinygrad_edu.serialization import load
from tinygrad_edu.training import TrainConfig, TrainingInterrupted, train
from tinygrad_edu.training.backends import EduBackend, TorchBackend
from tinygrad_edu.training.loop import epoch_order
from tinygrad_edu.training.recipes import RECIPES
from tinygrad_edu.vision.datasets import BuiltinMNIST

QUICK = {"linreg": ["--epochs", "20"], "logreg": ["--epochs", "20"],
         "mlp": ["--epochs", "1", "--limit-train", "256"], "cnn": ["--epochs", "1", "--limit-train", "128"]}


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Every test runs in its own folder, where default checkpoints and ./data are looked for."""
    monkeypatch.chdir(tmp_path)


# ---------------------------------------------------------------------------- training


@pytest.mark.parametrize("backend", ["edu", "torch"])
@pytest.mark.parametrize("model", ["linreg", "logreg", "mlp", "cnn"])
def test_train_writes_metrics_plot_events_and_checkpoint(capsys, tmp_path, model, backend):
    status, out, err = run_main(capsys, "train", "--model", model, "--backend", backend, *QUICK[model],
                                "--plot", "curves.png", "--logdir", "tb", "--metrics", "m/metrics.json")
    assert status == 0, err
    assert "samples/s" in err  # the progress bar
    assert "epoch 1/" in out and "final" in out

    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    epochs = int(QUICK[model][1])
    assert metrics["model"] == model and metrics["backend"] == backend and metrics["seed"] == 0
    assert metrics["epochs"] == epochs
    assert len(metrics["train_loss"]) == len(metrics["test_accuracy"]) == len(metrics["epoch_seconds"]) == epochs
    assert all(np.isfinite(metrics["train_loss"]))
    assert metrics["final_loss"] == metrics["train_loss"][-1]
    recipe = RECIPES[model]
    if recipe.classifier:
        assert 0 <= metrics["final_accuracy"] <= 1
        assert metrics["data_source"].startswith("built-in digits") and metrics["train_samples"] == int(QUICK[model][3])
        assert metrics["test_samples"] == 1000
    else:
        assert metrics["final_accuracy"] is None
        assert metrics["train_loss"][-1] < metrics["train_loss"][0]  # full-batch descent on a convex loss

    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    checkpoint = load(str(tmp_path / f"{model}-{backend}.ckpt"))
    assert checkpoint["epoch"] == epochs and checkpoint["step"] == 0 and checkpoint["model"] == model
    assert set(checkpoint) >= {"epoch", "model_state_dict", "optimizer_state_dict", "loss"}

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    losses = [e.value for e in events.Scalars("training/loss")]
    np.testing.assert_allclose(losses, metrics["step_losses"], rtol=1e-6)
    if recipe.classifier:
        assert [e.value for e in events.Scalars("training/accuracy")] == pytest.approx(metrics["test_accuracy"])
        assert events.Tags()["images"] == ["training/images"]


def test_python_m_and_console_script(tmp_path):
    result = run_command("train", "--model", "linreg", "--epochs", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "epoch 3/3" in result.stdout
    script = Path(sys.executable).with_name("tinygrad-edu")
    if script.exists():
        result = subprocess.run([str(script), "predict", "--help"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "--checkpoint" in result.stdout


def test_edu_backend_never_imports_torch(tmp_path):
    code = ("import sys; from tinygrad_edu.cli import main; "
            "status = main(['train', '--model', 'mlp', '--epochs', '1', '--limit-train', '128', "
            "'--logdir', 'tb', '--plot', 'p.png']); "
            "print('torch imported:', 'torch' in sys.modules); sys.exit(status)")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "torch imported: False" in result.stdout
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def write_mnist(root: Path, n_train: int, n_test: int) -> None:
    """A small MNIST in torchvision's layout (gzipped IDX files), made of built-in digits."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, split, n in (("train", True, n_train), ("t10k", False, n_test)):
        digits = BuiltinMNIST(train=split)
        images, labels = digits.data[:n], digits.targets[:n].astype(np.uint8)
        with gzip.open(raw / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write((2051).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in images.shape) + images.tobytes())
        with gzip.open(raw / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write((2049).to_bytes(4, "big") + n.to_bytes(4, "big") + labels.tobytes())


def test_full_mnist_folder_is_used_when_present(capsys, tmp_path):
    """./data/MNIST/raw in torchvision's layout replaces the built-in digits."""
    write_mnist(tmp_path / "data", 300, 100)
    status, out, err = run_main(capsys, "train", "--model", "mlp", "--epochs", "1")
    assert status == 0, err
    metrics = json.loads((tmp_path / "mlp-edu.metrics.json").read_text())
    assert metrics["data_source"].startswith("MNIST from")
    assert (metrics["train_samples"], metrics["test_samples"]) == (300, 100)
    assert "data: MNIST from" in out


# ---------------------------------------------------------------------------- parity


@pytest.mark.parametrize("model", ["linreg", "logreg", "mlp", "cnn"])
def test_backends_start_from_identical_weights(model):
    recipe = RECIPES[model]
    edu = EduBackend().weights_to_numpy(EduBackend().make_model(recipe, 3, "float32"))
    torch_side = TorchBackend().weights_to_numpy(TorchBackend().make_model(recipe, 3, "float32"))
    assert edu.keys() == torch_side.keys()
    for name in edu:
        np.testing.assert_array_equal(edu[name], torch_side[name], err_msg=name)
    other_seed = EduBackend().weights_to_numpy(EduBackend().make_model(recipe, 4, "float32"))
    assert any(not np.array_equal(edu[k], other_seed[k]) for k in edu)


def test_data_order_depends_on_seed_and_epoch_only():
    assert epoch_order(0, 1, 50) == epoch_order(0, 1, 50)
    assert sorted(epoch_order(0, 1, 50)) == list(range(50))
    assert epoch_order(0, 1, 50) != epoch_order(0, 2, 50) != epoch_order(1, 2, 50)


@pytest.mark.parametrize("model, argv", [
    ("mlp", ["--limit-train", "384", "--batch-size", "128"]),
    ("cnn", ["--limit-train", "128", "--batch-size", "64"]),
])
def test_edu_and_torch_see_the_same_batches(capsys, tmp_path, model, argv):
    """Identical first weights and identical batches give equal losses, step after step."""
    losses = {}
    for backend in ("edu", "torch"):
        status, _, err = run_main(capsys, "train", "--model", model, "--backend", backend, "--epochs", "1",
                                  "--seed", "5", *argv)
        assert status == 0, err
        losses[backend] = json.loads((tmp_path / f"{model}-{backend}.metrics.json").read_text())["step_losses"]
    assert len(losses["edu"]) == len(losses["torch"]) >= 2
    assert losses["edu"][0] == pytest.approx(losses["torch"][0], abs=1e-5)
    np.testing.assert_allclose(losses["edu"], losses["torch"], atol=1e-4)


def test_float64_runs_match_across_backends(capsys, tmp_path):
    losses = {}
    for backend in ("edu", "torch"):
        status, out, err = run_main(capsys, "train", "--model", "mlp", "--backend", backend, "--dtype", "float64",
                                    "--epochs", "1", "--limit-train", "256")
        assert status == 0, err
        assert "(float64, cpu)" in out
        assert all(w.dtype == np.float64 for w in weights(f"mlp-{backend}.ckpt").values())
        losses[backend] = json.loads((tmp_path / f"mlp-{backend}.metrics.json").read_text())["step_losses"]
    np.testing.assert_allclose(losses["edu"], losses["torch"], rtol=1e-10)


# ---------------------------------------------------------------------------- interrupt and resume


def interrupt_after(steps: int, signum: int = signal.SIGINT):
    """An ``on_step`` hook that sends this process a real signal (Ctrl-C's by default) once
    ``steps`` steps are done."""
    def hook(progress):
        if len(progress.step_losses) == steps:
            signal.raise_signal(signum)
    return hook


@pytest.mark.parametrize("backend, stop_after, epoch, step", [
    ("edu", 3, 0, 3), ("edu", 4, 0, 4), ("edu", 7, 1, 3), ("torch", 5, 1, 1)])
def test_resume_after_interrupt_gives_bit_identical_weights(tmp_path, backend, stop_after, epoch, step):
    """Stops mid-epoch, or after an epoch's last step but before its evaluation (4 steps per epoch)."""
    common = dict(model="mlp", backend=backend, epochs=2, limit_train=256, batch_size=64, seed=1)
    straight = train(TrainConfig(**common, checkpoint="straight.ckpt"))

    with pytest.raises(TrainingInterrupted) as stopped:
        train(TrainConfig(**common, checkpoint="resumed.ckpt"), on_step=interrupt_after(stop_after))
    assert (stopped.value.epoch, stopped.value.step) == (epoch, step)
    saved = load("resumed.ckpt")
    assert len(saved["progress"]["step_losses"]) == stop_after
    resumed = train(TrainConfig(model="mlp", checkpoint="resumed.ckpt", resume=True))

    for name, value in weights("straight.ckpt").items():
        np.testing.assert_array_equal(value, weights("resumed.ckpt")[name], err_msg=name)
    assert load("straight.ckpt")["optimizer_state_dict"]["state"].keys() == \
        load("resumed.ckpt")["optimizer_state_dict"]["state"].keys()
    for key in ("step_losses", "train_loss", "test_accuracy"):
        assert resumed[key] == straight[key]


def test_resume_can_extend_a_finished_run(capsys, tmp_path):
    assert run_main(capsys, "train", "--model", "logreg", "--epochs", "5")[0] == 0
    status, out, _ = run_main(capsys, "train", "--model", "logreg", "--epochs", "8", "--resume")
    assert status == 0 and "resuming from logreg-edu.ckpt: epoch 6" in out
    assert run_main(capsys, "train", "--model", "logreg", "--epochs", "8", "--checkpoint", "straight.ckpt")[0] == 0
    np.testing.assert_array_equal(weights("logreg-edu.ckpt")["linear.weight"], weights("straight.ckpt")["linear.weight"])


# ---------------------------------------------------------------------------- predict


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Checkpoints of short runs (mlp on both backends, cnn, linreg) and a test digit as a PNG."""
    folder = tmp_path_factory.mktemp("trained")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for model, backend, argv in (("mlp", "edu", ["--epochs", "2", "--limit-train", "2000"]),
                                     ("mlp", "torch", ["--epochs", "2", "--limit-train", "2000"]),
                                     ("cnn", "edu", ["--epochs", "1", "--limit-train", "128"]),
                                     ("linreg", "edu", ["--epochs", "2"])):
            assert main(["train", "--model", model, "--backend", backend, *argv]) == 0
    finally:
        os.chdir(cwd)
    test = BuiltinMNIST(train=False)
    cv2.imwrite(str(folder / "digit.png"), test.data[3])  # a clearly written 3
    cv2.imwrite(str(folder / "digit_56px.png"), cv2.resize(test.data[3], (56, 56)))
    (folder / "not_an_image.png").write_text("hello")
    return folder, int(test.targets[3])


def parse_prediction(out: str) -> tuple[int, list[float]]:
    lines = out.strip().splitlines()
    assert lines[0].startswith("predict digit number:")
    digit = int(lines[0].split(":")[1])
    probabilities = [float(line.split()[1]) for line in lines[1:11]]
    assert [int(line.split()[0]) for line in lines[1:11]] == list(range(10))
    return digit, probabilities


@pytest.mark.parametrize("checkpoint, backend", [("mlp-edu.ckpt", "edu"), ("mlp-torch.ckpt", "edu"),
                                                 ("mlp-edu.ckpt", "torch"), ("mlp-torch.ckpt", "torch")])
def test_predict_a_digit_with_checkpoints_of_either_backend(capsys, trained, checkpoint, backend):
    folder, label = trained
    for image in ("digit.png", "digit_56px.png"):
        status, out, err = run_main(capsys, "predict", str(folder / image), "--checkpoint",
                                    str(folder / checkpoint), "--backend", backend)
        assert status == 0, err
        digit, probabilities = parse_prediction(out)
        assert sum(probabilities) == pytest.approx(1, abs=1e-4)
        assert digit == int(np.argmax(probabilities)) == label


def test_predict_with_a_cnn_checkpoint_and_a_bare_state_dict(capsys, trained):
    folder, _ = trained
    status, out, err = run_main(capsys, "predict", str(folder / "digit.png"), "--checkpoint", str(folder / "cnn-edu.ckpt"))
    assert status == 0, err
    digit, probabilities = parse_prediction(out)
    assert sum(probabilities) == pytest.approx(1, abs=1e-4) and digit == int(np.argmax(probabilities))

    # The tutorial's own way of saving: just the state_dict.
    model = RECIPES["mlp"].build(tinygrad_edu)
    model.load_state_dict(weights(folder / "mlp-edu.ckpt"))
    tinygrad_edu.serialization.save(model.state_dict(), "mlp_state_dict.pt")
    status, bare, err = run_main(capsys, "predict", str(folder / "digit.png"), "--checkpoint", "mlp_state_dict.pt")
    _, expected, _ = run_main(capsys, "predict", str(folder / "digit.png"), "--checkpoint", str(folder / "mlp-edu.ckpt"))
    assert status == 0, err
    assert bare == expected


# ---------------------------------------------------------------------------- bad input


def test_bad_flag_values_exit_2_with_argparse_message(capsys):
    for argv, expected in ((["train", "--model", "rnn"], "invalid choice: 'rnn'"),
                           (["train", "--model", "mlp", "--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
                           (["train", "--model", "mlp", "--epochs", "0"], "must be at least 1"),
                           (["train", "--model", "mlp", "--lr", "fast"], "expected a number, got 'fast'"),
                           (["train", "--model", "mlp", "--dtype", "float16"], "invalid choice"),
                           (["train", "--model", "mlp", "--device", "tpu"], "invalid choice"),
                           (["predict", "x.png"], "--checkpoint")):
        status, _, err = run_main(capsys, *argv)
        assert status == 2, argv
        assert_one_line_error(status, err, expected)


def test_user_mistakes_give_one_line_and_status_1(capsys, tmp_path, trained):
    folder, _ = trained
    (tmp_path / "junk.ckpt").write_bytes(os.urandom(300))
    (tmp_path / "corrupt" / "MNIST" / "raw").mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / "corrupt" / "MNIST" / "raw" / name).write_bytes(b"\x00\x00\x08\x03 not really MNIST")
    write_mnist(tmp_path / "small", 50, 20)
    mlp = str(folder / "mlp-edu.ckpt")
    digit = str(folder / "digit.png")
    cases = [
        (["train", "--model", "mlp", "--data-root", "missing"], "--data-root missing: no such folder"),
        (["train", "--model", "mlp", "--data-root", "corrupt"], "can't read MNIST from corrupt"),
        (["train", "--model", "cnn", "--resume", "--checkpoint", mlp], "holds a checkpoint of the mlp model, not cnn"),
        (["train", "--model", "mlp", "--resume"], "no checkpoint at mlp-edu.ckpt"),
        (["train", "--model", "mlp", "--resume", "--checkpoint", "junk.ckpt"], "can't read checkpoint"),
        (["train", "--model", "mlp", "--resume", "--checkpoint", mlp, "--lr", "0.5"], "can't resume with --lr 0.5"),
        (["train", "--model", "mlp", "--resume", "--checkpoint", mlp, "--data-root", "small"],
         "can't resume: the checkpoint was trained on built-in digits"),
        (["train", "--model", "mlp", "--device", "cuda"], "the edu backend runs on the CPU only"),
        (["predict", "missing.png", "--checkpoint", mlp], "can't read image missing.png: no such file"),
        (["predict", str(folder / "not_an_image.png"), "--checkpoint", mlp], "OpenCV can't decode it"),
        (["predict", digit, "--checkpoint", str(folder / "linreg-edu.ckpt")], "predict needs an mlp or cnn checkpoint"),
        (["predict", digit, "--checkpoint", "junk.ckpt"], "can't read checkpoint"),
        (["predict", digit, "--checkpoint", digit], "is not a tinygrad_edu checkpoint"),
    ]
    import torch

    if not torch.cuda.is_available():
        cases.append((["train", "--model", "mlp", "--backend", "torch", "--device", "cuda"], "sees no CUDA GPU"))
    for argv, expected in cases:
        status, _, err = run_main(capsys, *argv)
        assert status == 1, (argv, err)
        assert_one_line_error(status, err, "tinygrad-edu: error: ")
        assert expected in err, (argv, err)


def test_bad_input_through_the_real_command_has_no_traceback(tmp_path):
    result = run_command("predict", "missing.png", "--checkpoint", "missing.ckpt", cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["tinygrad-edu: error: no checkpoint at missing.ckpt"]


@pytest.mark.parametrize("checkpoint", ["mlp-edu.ckpt", "mlp-torch.ckpt", "cnn-edu.ckpt"])
def test_export_then_predict_with_opencv_agrees_with_the_checkpoint(capsys, trained, checkpoint, tmp_path):
    folder, _ = trained
    onnx_file = tmp_path / "model.onnx"
    status, out, err = run_main(capsys, "export", "--checkpoint", str(folder / checkpoint), "--out", str(onnx_file))
    assert status == 0 and onnx_file.is_file(), err
    results = []
    for source in (["--checkpoint", str(folder / checkpoint)], ["--onnx", str(onnx_file)]):
        status, out, err = run_main(capsys, "predict", str(folder / "digit.png"), *source)
        assert status == 0, err
        results.append(parse_prediction(out))
    (digit_ckpt, p_ckpt), (digit_onnx, p_onnx) = results
    assert digit_onnx == digit_ckpt
    # the tutorial's blobFromImage maps a pixel p to (p - 127) / 127.55, training to (p - 127.5) / 127.5:
    # the probabilities differ by that preprocessing only, not by the model
    np.testing.assert_allclose(p_onnx, p_ckpt, atol=5e-3)


def test_export_and_predict_onnx_mistakes_are_one_line(capsys, trained, tmp_path):
    folder, _ = trained
    status, _, err = run_main(capsys, "export", "--checkpoint", str(folder / "linreg-edu.ckpt"),
                              "--out", str(tmp_path / "x.onnx"))
    assert_one_line_error(status, err, "ONNX export is for the mlp and cnn")
    status, _, err = run_main(capsys, "predict", str(folder / "digit.png"), "--onnx", str(tmp_path / "missing.onnx"))
    assert_one_line_error(status, err, "no ONNX file at")
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    status, _, err = run_main(capsys, "predict", str(folder / "digit.png"), "--onnx", str(tmp_path / "bad.onnx"))
    assert_one_line_error(status, err, "can't run")


def test_graph_writes_the_forward_pass_as_dot(capsys, tmp_path):
    status, out, err = run_main(capsys, "graph", "--model", "cnn", "--out", str(tmp_path / "cnn.dot"))
    assert status == 0, err
    dot = (tmp_path / "cnn.dot").read_text()
    assert dot.startswith("digraph") and "cnn_layers.0.weight" in dot and "fc_layers.4.bias" in dot
    assert dot.count("Conv2d") == 2 and dot.count("MaxPool2d") == 2


@pytest.mark.parametrize("setting, value, expected", [
    ("TINYGRAD_EDU_PARALLEL_LOOPS", "yes", "TINYGRAD_EDU_PARALLEL_LOOPS must be 1 (numba's parallel loops) or 0"),
    ("TINYGRAD_EDU_BLAS_THREADS", "two", "TINYGRAD_EDU_BLAS_THREADS must be a number of threads"),
    ("TINYGRAD_EDU_KERNELS", "fast", "TINYGRAD_EDU_KERNELS: kernel path must be one of ('numba', 'numpy'), not 'fast'"),
])
@pytest.mark.parametrize("command", ["console script", "python -m"])
def test_a_bad_engine_setting_is_one_line_from_the_command(tmp_path, setting, value, expected, command):
    """The engine checks its TINYGRAD_EDU_* settings as it loads, before the CLI runs: both ways of
    starting the command turn that error into one line and status 1, as any other user mistake."""
    script = "import sys, tinygrad_edu_launcher; sys.exit(tinygrad_edu_launcher.main(['train', '--model', 'cnn']))"
    argv = ["-c", script] if command == "console script" else ["-m", "tinygrad_edu", "train", "--model", "cnn"]
    run = subprocess.run([sys.executable, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=240,
                         env=dict(os.environ, **{setting: value}, PYTHONPATH=str(Path(__file__).parent.parent)))
    assert run.returncode == 1
    assert_one_line_error(run.returncode, run.stderr, f"tinygrad-edu: error: {expected}")
