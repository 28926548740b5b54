"""Interruptions lose nothing: SIGINT, SIGTERM and SIGHUP at any moment of a run.

The invariant: whenever a signal comes, the checkpoint on disk is the previous good one or
the new good one, ``--resume`` continues from it to the very weights of a run that was never
interrupted (bit for bit), and the process exits with 128 + the signal's number and one line
on stderr, never a traceback. Most tests start the real command and send it real signals;
the moments that are too short to hit from outside (inside the final checkpoint write,
during the plot) are hit by the process itself: a test-side wrapper around a library call
(``os.replace``, ``plot_curves``) raises the signal there. The package has no test hook.
"""
import importlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import checkpoint_weights, read_until, run_main
from tinygrad_edu.serialization import load
from tinygrad_edu.training import TrainConfig, TrainingInterrupted, train

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
MLP = ["--model", "mlp", "--limit-train", "256", "--batch-size", "32", "--seed", "3"]  # 8 steps per epoch


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def start(*argv: str, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tinygrad_edu", "train", *argv], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    try:
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    return process.returncode, err.decode()


def assert_stopped_by(status: int, err: str, signum: int, checkpoint: str) -> None:
    """Exit status 128 + signum and, after the progress bar, one line saying where to resume."""
    assert status == STATUS[signum], err[-1500:]
    assert "Traceback" not in err, err[-1500:]
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith(f"tinygrad-edu: interrupted by {signal.Signals(signum).name} "), err[-1500:]
    assert f"checkpoint saved to {checkpoint}; resume with: tinygrad-edu train --model" in last, err[-1500:]
    assert err.count("tinygrad-edu:") == 1, err[-1500:]


def assert_same_weights(a, b) -> None:
    wa, wb = checkpoint_weights(a), checkpoint_weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)


def resume_and_compare(tmp_path: Path, model_argv: list, checkpoint: str, epochs: int) -> None:
    """``--resume`` the interrupted run to ``epochs`` in a new process and check it against a run
    of ``epochs`` that was never interrupted (in this process): same weights, same losses."""
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "train", "--model", model_argv[1], "--checkpoint",
                             checkpoint, "--resume", "--epochs", str(epochs)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-1500:]
    flags = dict(zip(model_argv[::2], model_argv[1::2]))
    straight = train(TrainConfig(model=flags["--model"], epochs=epochs, checkpoint="straight.ckpt",
                                 limit_train=int(flags.get("--limit-train", 0)) or None,
                                 batch_size=int(flags.get("--batch-size", 0)) or None,
                                 seed=int(flags.get("--seed", 0))))
    assert_same_weights(tmp_path / checkpoint, "straight.ckpt")
    resumed = json.loads((tmp_path / checkpoint).with_suffix(".metrics.json").read_text())
    assert resumed["step_losses"] == straight["step_losses"]


# ---------------------------------------------------------------------------- real processes, real signals


def test_sigint_during_the_first_numba_compilation(tmp_path):
    """A fresh numba cache: the first step compiles the kernels, and Ctrl-C comes meanwhile. The
    step finishes, the checkpoint holds it, and resuming compiles the rest and ends identically."""
    cache = tmp_path / "numba-cache"
    process = start(*MLP, "--epochs", "2", "--checkpoint", "run.ckpt", cwd=tmp_path,
                    env={**os.environ, "NUMBA_CACHE_DIR": str(cache)})
    assert b"data:" in read_until(process.stdout, b"data:", timeout=60)  # the first step starts now...
    time.sleep(0.5)  # ...and compiles Adam's kernel for a second or more
    assert not list(cache.glob("**/adam*.nbi"))  # Adam's kernel not compiled yet (relu's, small, may be)
    process.send_signal(signal.SIGINT)
    status, err = finish(process)
    assert list(cache.glob("**/adam*.nbi"))  # Adam's kernel was compiled after the signal came
    assert_stopped_by(status, err, signal.SIGINT, "run.ckpt")
    saved = load("run.ckpt")
    assert (saved["epoch"], saved["step"], len(saved["progress"]["step_losses"])) == (0, 1, 1)
    resume_and_compare(tmp_path, MLP, "run.ckpt", epochs=2)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_kill_mid_epoch_saves_and_resumes_bit_identically(tmp_path, signum):
    """``kill`` (SIGTERM) and a closed terminal (SIGHUP) are handled as Ctrl-C is."""
    process = start(*MLP, "--epochs", "1000", "--checkpoint", "run.ckpt", cwd=tmp_path)
    assert b"samples/s" in read_until(process.stderr, b"samples/s", timeout=60)
    process.send_signal(signum)
    status, err = finish(process)
    assert_stopped_by(status, err, signum, "run.ckpt")
    saved = load("run.ckpt")
    assert len(saved["progress"]["step_losses"]) == 8 * saved["epoch"] + saved["step"] >= 1
    resume_and_compare(tmp_path, MLP, "run.ckpt", epochs=saved["epoch"] + 1)


SIGNAL_IN_FINAL_SAVE = """
import os, signal, sys
from tinygrad_edu.cli import main

replace = os.replace
def signal_then_replace(src, dst):  # the complete temporary file is about to take the checkpoint's place
    if str(dst).endswith("run.ckpt"):
        signal.raise_signal(signal.SIGHUP)
        signal.raise_signal(signal.SIGINT)  # an impatient second signal: noted, and the save goes on
    return replace(src, dst)
os.replace = signal_then_replace
sys.exit(main(sys.argv[1:]))
"""


def test_signal_inside_the_final_checkpoint_write(tmp_path):
    """The signal arrives in the middle of the final save (the only save of this short run),
    between writing the temporary file and renaming it, and a second one right after: the save
    completes, the metrics are written, and the status names the first signal."""
    result = subprocess.run([sys.executable, "-c", SIGNAL_IN_FINAL_SAVE, "train", "--model", "logreg", "--epochs", "5",
                             "--checkpoint", "run.ckpt"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert_stopped_by(result.returncode, result.stderr, signal.SIGHUP, "run.ckpt")
    assert "interrupted by SIGHUP after the last epoch" in result.stderr
    saved = load("run.ckpt")
    assert (saved["epoch"], saved["step"]) == (5, 0)
    assert json.loads((tmp_path / "run.metrics.json").read_text())["epochs"] == 5
    assert not list(tmp_path.glob(".run.ckpt.*.tmp"))
    resume_and_compare(tmp_path, ["--model", "logreg"], "run.ckpt", epochs=5)


def test_signals_at_random_moments_lose_nothing(tmp_path):
    """SIGTERM at moments spread over a run (training, evaluation, saves, final writes): every
    time, either the run finished, or it exits 143 with a checkpoint that resumes exactly. (After
    ``main`` has returned, while Python shuts down, the signal's default action ends the process:
    status -15 here, 143 in a shell, with every file already written.)"""
    rng = random.Random(1)
    for attempt in range(3):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        process = start("--model", "logreg", "--epochs", "300", "--checkpoint", "run.ckpt", cwd=folder)
        assert b"data:" in read_until(process.stdout, b"data:", timeout=60)
        time.sleep(rng.uniform(0, 0.6))
        process.send_signal(signal.SIGTERM)
        status, err = finish(process)
        assert "Traceback" not in err
        if status in (0, -signal.SIGTERM):  # over before the signal came, or ending (main had returned)
            assert load(str(folder / "run.ckpt"))["epoch"] == 300
            assert json.loads((folder / "run.metrics.json").read_text())["epochs"] == 300
            continue
        assert_stopped_by(status, err, signal.SIGTERM, "run.ckpt")
        resume_and_compare(folder, ["--model", "logreg"], "run.ckpt", epochs=300)


def test_a_closed_output_costs_the_output_not_the_run(tmp_path):
    """``train ... 2>&1 | head -1``, or a terminal that went away: writes fail, training goes on."""
    process = subprocess.Popen([sys.executable, "-m", "tinygrad_edu", "train", "--model", "logreg", "--epochs", "200",
                                "--checkpoint", "run.ckpt"], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    assert process.stdout.readline().startswith(b"training logreg")
    process.stdout.close()
    assert process.wait(timeout=120) == 0
    assert load(str(tmp_path / "run.ckpt"))["epoch"] == 200


# ---------------------------------------------------------------------------- in this process, exact moments


@pytest.mark.parametrize("signum, stop_after, epoch, step", [
    (signal.SIGTERM, 3, 0, 3), (signal.SIGHUP, 8, 0, 8), (signal.SIGTERM, 9, 1, 1)])
def test_signal_after_any_step_resumes_bit_identically(signum, stop_after, epoch, step):
    common = dict(model="mlp", epochs=2, limit_train=256, batch_size=32, seed=3)
    straight = train(TrainConfig(**common, checkpoint="straight.ckpt"))

    def send(progress):
        if len(progress.step_losses) == stop_after:
            signal.raise_signal(signum)

    with pytest.raises(TrainingInterrupted) as stopped:
        train(TrainConfig(**common, checkpoint="resumed.ckpt"), on_step=send)
    assert (stopped.value.signum, stopped.value.epoch, stopped.value.step) == (signum, epoch, step)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the guard put the handlers back
    resumed = train(TrainConfig(model="mlp", checkpoint="resumed.ckpt", resume=True))
    assert_same_weights("straight.ckpt", "resumed.ckpt")
    assert resumed["step_losses"] == straight["step_losses"]


def test_signal_before_the_first_step_and_during_the_plot(capsys, monkeypatch):
    """While the data loads (before any step) and while the plot is drawn (after the final save)."""
    import tinygrad_edu.training.loop as loop

    load_data, plot = loop.data.load, loop.plot_curves

    def load_and_signal(*args):
        signal.raise_signal(signal.SIGHUP)
        return load_data(*args)

    monkeypatch.setattr(loop.data, "load", load_and_signal)
    status, _, err = run_main(capsys, "train", "--model", "linreg", "--epochs", "3", "--checkpoint", "a.ckpt")
    assert status == 129 and "interrupted by SIGHUP in epoch 1 after step 0/1" in err
    assert load("a.ckpt")["progress"]["step_losses"] == []
    monkeypatch.setattr(loop.data, "load", load_data)

    def plot_and_signal(*args):
        signal.raise_signal(signal.SIGINT)
        return plot(*args)

    monkeypatch.setattr(loop, "plot_curves", plot_and_signal)
    status, _, err = run_main(capsys, "train", "--model", "linreg", "--resume", "--checkpoint", "a.ckpt",
                              "--plot", "a.png")
    assert status == 130 and "interrupted by SIGINT after the last epoch" in err
    assert Path("a.png").stat().st_size > 0 and load("a.ckpt")["epoch"] == 3
    monkeypatch.setattr(loop, "plot_curves", plot)
    assert run_main(capsys, "train", "--model", "linreg", "--epochs", "3", "--checkpoint", "b.ckpt")[0] == 0
    assert_same_weights("a.ckpt", "b.ckpt")


def test_signal_outside_training_stops_at_once_with_one_line(capsys, monkeypatch):
    """predict (nothing to save): SIGTERM ends it with status 143 and one line, no traceback."""
    predict = importlib.import_module("tinygrad_edu.training.predict")  # the module, not its function

    def read_and_signal(path):
        signal.raise_signal(signal.SIGTERM)
        raise AssertionError("the signal should have stopped the command")

    monkeypatch.setattr(predict, "read_gray", read_and_signal)
    status, out, err = run_main(capsys, "predict", "digit.png", "--onnx", "model.onnx")
    assert (status, out, err) == (143, "", "tinygrad-edu: interrupted by SIGTERM\n")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


# ---------------------------------------------------------------------------- divergence


def test_divergence_stops_with_one_line_and_keeps_the_last_good_checkpoint(capsys, monkeypatch):
    """--lr 1e10 on the linear regression: the loss overflows in epoch 3. Saving after every epoch,
    the checkpoint on disk is epoch 2's, the same as a run that stops there."""
    import tinygrad_edu.training.loop as loop

    monkeypatch.setattr(loop, "SAVE_EVERY_S", 0.0)
    status, out, err = run_main(capsys, "train", "--model", "linreg", "--lr", "1e10", "--checkpoint", "run.ckpt")
    assert status == 1 and "Traceback" not in err and "Warning" not in err
    lines = err.replace("\r", "\n").strip().splitlines()
    assert lines[-1] == ("tinygrad-edu: error: training diverged in epoch 3: the loss is inf at step 1/1 "
                         "(is --lr 1e+10 too large?); stopped, run.ckpt keeps the last good checkpoint "
                         "(epoch 3 after step 0)"), err[-1500:]
    assert "epoch 2/100" in out and "epoch 3/100" not in out
    assert not Path("run.metrics.json").exists()
    assert run_main(capsys, "train", "--model", "linreg", "--lr", "1e10", "--epochs", "2",
                    "--checkpoint", "two.ckpt")[0] == 0
    assert_same_weights("run.ckpt", "two.ckpt")


def test_divergence_through_the_real_command_shows_no_numpy_warning(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "train", "--model", "linreg", "--lr", "1e10"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Warning" not in result.stderr and "Traceback" not in result.stderr
    last = result.stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("tinygrad-edu: error: training diverged in epoch ") and "no checkpoint was saved" in last
    assert not (tmp_path / "linreg-edu.ckpt").exists()


def test_metrics_are_strict_json():
    from tinygrad_edu.training.loop import write_json

    write_json("m.json", {"loss": [1.5, float("nan"), float("inf")], "final": float("-inf"), "n": 3})

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    assert json.loads(Path("m.json").read_text(), parse_constant=refuse) == \
        {"loss": [1.5, None, None], "final": None, "n": 3}


def test_an_ignored_signal_stays_ignored(tmp_path):
    """Under ``nohup`` SIGHUP is ignored, and a run must outlive its terminal."""
    process = subprocess.Popen(["nohup", sys.executable, "-m", "tinygrad_edu", "train", "--model", "logreg",
                                "--epochs", "400", "--checkpoint", "run.ckpt"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert b"data:" in read_until(process.stdout, b"data:", timeout=60)
    process.send_signal(signal.SIGHUP)
    assert process.wait(timeout=120) == 0
    assert load(str(tmp_path / "run.ckpt"))["epoch"] == 400
