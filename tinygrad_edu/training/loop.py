"""The training loop behind ``tinygrad-edu train``: the tutorial's loop, made resumable.

Each step is the tutorial's: ``optimizer.zero_grad()``, forward, loss, ``loss.backward()``,
``optimizer.step()``. Around it:

* Same data, same order, on both backends: epoch ``e`` visits the samples in an order drawn
  from a numpy generator seeded with ``(seed, e)`` (:func:`epoch_order`), handed to each
  framework's ``DataLoader`` as its ``sampler``. Initial weights come from the engine for
  both backends (see ``backends.py``).
* Signals: SIGINT (Ctrl-C), SIGTERM (``kill``) and SIGHUP, from the first line of ``train``
  to the last file written, only raise a flag (``signals.SignalGuard``). The loop looks at it
  before each step and after each epoch's evaluation, saves a checkpoint holding every
  completed step, and raises TrainingInterrupted. So a checkpoint never holds half an update,
  and a signal during a save, a numba compilation or the final writes waits for them to end.
  ``--resume`` continues from that very step, and the run ends with the same weights, bit for
  bit, as one that was never interrupted: the data order needs only ``(seed, epoch)``, and the
  weights and optimizer state are saved exactly.
* Divergence: a non-finite loss stops training before its step is applied, with a UserError
  naming the epoch, step and loss; no checkpoint holding non-finite weights is ever written,
  so the one on disk stays the last good one.
* After each epoch: the test accuracy (classifiers), a summary line, TensorBoard scalars.
  Checkpoints are saved after an epoch when ``SAVE_EVERY_S`` seconds have passed since the
  last save (the regressions run 1,000 one-step epochs), at the end, and on a signal.
  Checkpoints are written atomically (``tinygrad_edu.save``): a file on disk is always a
  whole one. The metrics JSON is strict JSON: a non-finite number is written as ``null``.
* Output paths (checkpoint, metrics, plot, TensorBoard folder) are checked before the data is
  loaded (``paths.py``), so an unwritable one fails in a second rather than after training.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, TextIO

import numpy as np

from . import checkpoint as checkpoints
from . import data, warm_up
from .. import runtime
from ..tutorial import evaluate
from .backends import Backend, get_backend
from .errors import TrainingInterrupted, UserError
from .logging import ProgressBar, plot_curves, say
from .paths import PLOT_FORMATS, check_distinct, check_file, check_folder
from .recipes import RECIPES, Recipe
from .signals import SignalGuard

SAVE_EVERY_S = 30.0
TEST_BATCH_SIZE = 1000


@dataclass
class TrainConfig:
    """One run of ``tinygrad-edu train``, flag by flag. ``None`` means: the recipe's default,
    or, with ``resume``, the checkpoint's value."""

    model: str
    backend: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    seed: int | None = None
    dtype: str | None = None
    device: str = "cpu"
    data_root: str | None = None
    limit_train: int | None = None
    checkpoint: str | None = None  # default: ./{model}-{backend}.ckpt
    resume: bool = False
    logdir: str | None = None
    plot: str | None = None
    metrics: str | None = None  # default: the checkpoint's path with .metrics.json


@dataclass
class Settings:
    """What defines a run's result; a resumed run must repeat them (``epochs`` may grow)."""

    backend: str
    optimizer: str
    lr: float
    batch_size: int | None  # None: full batch
    seed: int
    dtype: str
    limit_train: int | None
    epochs: int


@dataclass
class Progress:
    """Where training stands: the epoch in progress (0-based), steps done in it and the
    seconds spent in it so far, plus the history that the metrics and plots are made of."""

    epoch: int = 0
    step: int = 0
    seconds: float = 0.0
    step_losses: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float | None] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)

    @property
    def global_step(self) -> int:
        return len(self.step_losses)

    def finish_epoch(self, accuracy: float | None) -> None:
        self.train_loss.append(float(np.mean(self.step_losses[len(self.step_losses) - self.step:])))
        self.test_accuracy.append(accuracy)
        self.epoch_seconds.append(self.seconds)
        self.epoch, self.step, self.seconds = self.epoch + 1, 0, 0.0


def epoch_order(seed: int, epoch: int, n: int) -> list[int]:
    """The order epoch ``epoch`` visits ``n`` samples in: a permutation that depends on
    ``(seed, epoch)`` only, so it can be drawn again on resume without any saved RNG state."""
    return np.random.default_rng([seed, epoch]).permutation(n).tolist()


def train(config: TrainConfig, on_step: Callable[[Progress], None] | None = None,
          out: TextIO | None = None, err: TextIO | None = None) -> dict:
    """Train as ``config`` says; returns the final metrics (also written as JSON).

    ``on_step(progress)`` is called after every step (tests send signals from it). Summaries
    go to ``out`` (stdout), the progress bar to ``err`` (stderr). Raises UserError for a
    mistake in ``config`` or a diverging run, and TrainingInterrupted after a signal.
    """
    out, err = out or sys.stdout, err or sys.stderr
    runtime.reset()  # BLAS's threads as in a fresh process, so the run repeats bit for bit wherever it runs
    with SignalGuard() as guard:  # until the last file is written, a signal only raises a flag
        recipe = RECIPES[config.model]
        path = config.checkpoint or f"{config.model}-{config.backend or 'edu'}.ckpt"
        saved = _read_resumable(path, config.model) if config.resume else None
        settings = _settings(config, recipe, saved)
        metrics_path = config.metrics or _metrics_path(path)
        _check_outputs(path, metrics_path, config.plot, config.logdir)

        backend = get_backend(settings.backend, config.device)
        samples = data.load(recipe, config.data_root, settings.seed, settings.dtype, settings.limit_train)
        model = backend.make_model(recipe, settings.seed, settings.dtype)
        # on an empty numba cache, a child compiles the backward pass's kernels while this process
        # compiles the forward pass's at the first step (warm_up.py)
        compiling = backend.start_warm_up(model, settings.optimizer, settings.dtype)
        try:
            optimizer = {"sgd": backend.torch.optim.SGD, "adam": backend.torch.optim.Adam}[settings.optimizer](
                model.parameters(), lr=settings.lr)
            progress = Progress()
            if saved:
                if saved["data"] != samples.identity():
                    raise UserError(f"can't resume: the checkpoint was trained on {saved['data_source']}, but this "
                                    f"run found {samples.source}; point --data-root where the first run found its data")
                backend.load_weights(model, saved["model_state_dict"])
                backend.load_optimizer_state(optimizer, saved["optimizer_state_dict"])
                progress = Progress(**saved["progress"])

            say(out, f"training {recipe.name} ({recipe.title}) on {backend.name} ({settings.dtype}, {backend.device}): "
                     f"{settings.optimizer} lr {settings.lr:g}, batch size {settings.batch_size or 'all'}, "
                     f"epochs {settings.epochs}, seed {settings.seed}")
            say(out, f"data: {samples.source}")
            if saved:
                say(out, f"resuming from {path}: epoch {progress.epoch + 1}, after step {progress.step}")

            run = _Run(recipe, settings, backend, samples, model, optimizer, progress, path, out, err, on_step, guard,
                       resumed=saved is not None)
            run.fit(config.logdir)

            metrics = run.metrics()
            write_json(metrics_path, metrics)
            if config.plot:
                plot_curves(config.plot, recipe.name, progress.step_losses, run.steps_per_epoch,
                            progress.train_loss, progress.test_accuracy)
            final = (f"final test accuracy {metrics['final_accuracy']:.2%}" if recipe.classifier
                     else f"final loss {metrics['final_loss']:.6f}")
            say(out, f"{final}; checkpoint {path}; metrics {metrics_path}"
                + (f"; plot {config.plot}" if config.plot else ""))
            run.stop_if_signalled()
        except BaseException:
            warm_up.finish(compiling, wait=False)
            raise
        warm_up.finish(compiling, wait=True)
    return metrics


def write_json(path: str, content: dict) -> None:
    """Strict JSON (no NaN or Infinity, which strict readers refuse): a non-finite float is ``null``."""
    with open(path, "w") as f:
        json.dump(_finite_or_none(content), f, indent=2, allow_nan=False)


def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    return value


class _Run:
    """One training run's objects, and the loop over its epochs and steps."""

    def __init__(self, recipe: Recipe, settings: Settings, backend: Backend, samples: data.Samples, model,
                 optimizer, progress: Progress, path: str, out: TextIO, err: TextIO,
                 on_step: Callable[[Progress], None] | None, guard: SignalGuard, resumed: bool):
        self.recipe, self.settings, self.backend, self.samples = recipe, settings, backend, samples
        self.model, self.optimizer, self.progress, self.path = model, optimizer, progress, path
        self.out, self.err, self.on_step, self.guard = out, err, on_step, guard
        self.loss_fn = getattr(backend.torch.nn, recipe.loss)()
        self.train_set = backend.dataset(samples.x_train, samples.y_train)
        self.test_set = backend.dataset(samples.x_test, samples.y_test)
        # a batch larger than the data is the whole data (and loaders take sizes up to sys.maxsize only)
        self.batch_size = min(settings.batch_size or len(samples.x_train), len(samples.x_train))
        self.steps_per_epoch = math.ceil(len(samples.x_train) / self.batch_size)
        self.writer = None
        self.last_save = time.perf_counter()
        # where the checkpoint on disk stands, once there is one (a resumed run starts at its own)
        self.saved_at = (progress.epoch, progress.step, progress.global_step) if resumed else None

    def fit(self, logdir: str | None) -> None:
        """Train until ``settings.epochs``, then save; on a signal, save and raise TrainingInterrupted."""
        self.writer = self.backend.summary_writer(logdir) if logdir else None
        try:
            while self.progress.epoch < self.settings.epochs:
                self._epoch()
                self.stop_if_signalled()
                if time.perf_counter() - self.last_save >= SAVE_EVERY_S:
                    self.save()
        finally:
            if self.writer is not None:
                self.writer.close()
        self.save()

    def _epoch(self) -> None:
        p, recipe = self.progress, self.recipe
        n = len(self.samples.x_train)
        order = epoch_order(self.settings.seed, p.epoch, n) if recipe.shuffle else list(range(n))
        loader = self.backend.loader(self.train_set, self.batch_size, order[p.step * self.batch_size:])
        bar = ProgressBar(self.err, p.epoch, self.settings.epochs, self.steps_per_epoch)
        started = time.perf_counter() - p.seconds
        self.model.train()
        try:
            for x, labels in loader:
                self.stop_if_signalled()
                self._step(x, labels)
                p.seconds = time.perf_counter() - started
                bar.update(p.step, len(labels), p.step_losses[-1])
                if self.writer is not None:
                    self.writer.add_scalar("training/loss", p.step_losses[-1], p.global_step)
                if self.on_step is not None:
                    self.on_step(p)
            self.stop_if_signalled()  # not after an evaluation of the whole test set
            accuracy = self._evaluate()
        finally:
            bar.clear()
        p.seconds = time.perf_counter() - started
        p.finish_epoch(accuracy)
        summary = f"epoch {p.epoch}/{self.settings.epochs}  train loss {p.train_loss[-1]:.4f}"
        if accuracy is not None:
            summary += f"  test accuracy {accuracy:.2%}"
            if self.writer is not None:
                self.writer.add_scalar("training/accuracy", accuracy, p.global_step)
        say(self.out, f"{summary}  {p.epoch_seconds[-1]:.1f} s")

    def _step(self, x, labels) -> None:
        """The tutorial's step; a non-finite loss stops training before the update is applied."""
        p = self.progress
        if self.writer is not None and self.recipe.classifier and p.global_step == 0:
            self.writer.add_image("training/images", self.backend.image_grid(x), 0)
        if self.recipe.flatten:
            x = x.view(x.shape[0], -1)
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), labels)
        value = loss.item()
        if not math.isfinite(value):
            raise self._diverged(f"the loss is {value} at step {p.step + 1}/{self.steps_per_epoch}")
        loss.backward()
        self.optimizer.step()
        p.step_losses.append(value)
        p.step += 1

    def _evaluate(self) -> float | None:
        if not self.recipe.classifier:
            return None
        n = len(self.samples.x_test)
        loader = self.backend.loader(self.test_set, TEST_BATCH_SIZE, list(range(n)))
        return evaluate(self.backend.torch, self.model, loader, self.recipe.flatten)

    def stop_if_signalled(self) -> None:
        """After a signal: save (unless the checkpoint on disk is already this point) and stop."""
        if self.guard.signum is None:
            return
        p = self.progress
        if self.saved_at != (p.epoch, p.step, p.global_step):
            self.save()
        raise TrainingInterrupted(self.path, self.guard.signum, p.epoch, p.step, self.steps_per_epoch,
                                  self.settings.epochs)

    def save(self) -> None:
        """Write the checkpoint atomically; never one with non-finite weights (the last good one stays)."""
        p = self.progress
        weights = self.backend.weights_to_numpy(self.model)
        for name, w in weights.items():
            if not np.isfinite(w).all():
                raise self._diverged(f"the weights {name} hold non-finite values after step {p.step}")
        checkpoints.save(self.path, {
            "epoch": p.epoch,
            "step": p.step,
            "loss": p.step_losses[-1] if p.step_losses else None,
            "model_state_dict": weights,
            "optimizer_state_dict": self.backend.optimizer_state_to_numpy(self.optimizer),
            "model": self.recipe.name,
            "backend": self.backend.name,
            "settings": asdict(self.settings),
            "data_source": self.samples.source,
            "data": self.samples.identity(),
            "progress": asdict(p),
        })
        self.last_save = time.perf_counter()
        self.saved_at = (p.epoch, p.step, p.global_step)

    def _diverged(self, what: str) -> UserError:
        if self.saved_at is None:
            kept = "no checkpoint was saved"
        else:
            epoch, step, _ = self.saved_at
            kept = f"{self.path} keeps the last good checkpoint (epoch {epoch + 1} after step {step})"
        epoch = min(self.progress.epoch + 1, self.settings.epochs)
        return UserError(f"training diverged in epoch {epoch}: {what} "
                         f"(is --lr {self.settings.lr:g} too large?); stopped, {kept}")

    def metrics(self) -> dict:
        p, s = self.progress, self.settings
        return {
            "model": self.recipe.name,
            "backend": s.backend,
            "device": self.backend.device,
            "dtype": s.dtype,
            "optimizer": s.optimizer,
            "lr": s.lr,
            "batch_size": self.batch_size,
            "epochs": p.epoch,
            "seed": s.seed,
            "data_source": self.samples.source,
            "train_samples": len(self.samples.x_train),
            "test_samples": len(self.samples.x_test),
            "train_loss": p.train_loss,
            "test_accuracy": p.test_accuracy,
            "epoch_seconds": p.epoch_seconds,
            "final_loss": p.train_loss[-1] if p.train_loss else None,
            "final_accuracy": p.test_accuracy[-1] if p.test_accuracy else None,
            "step_losses": p.step_losses,
            "checkpoint": self.path,
        }


def _read_resumable(path: str, model: str) -> dict:
    """The checkpoint to resume, checked whole (``checkpoint.validate``) before any part is used,
    and of ``model``."""
    saved = checkpoints.read(path)
    if saved["model"] != model:
        raise UserError(f"{path} holds a checkpoint of the {saved['model']} model, not {model}; "
                        f"resume it with --model {saved['model']}")
    return saved


def _settings(config: TrainConfig, recipe: Recipe, saved: dict | None) -> Settings:
    """The run's settings: flags given, else the checkpoint's (resuming), else the recipe's."""
    given = {"backend": config.backend, "optimizer": config.optimizer, "lr": config.lr,
             "batch_size": config.batch_size, "seed": config.seed, "dtype": config.dtype,
             "limit_train": config.limit_train, "epochs": config.epochs}
    if saved is None:
        defaults = {"backend": "edu", "optimizer": recipe.optimizer, "lr": recipe.lr,
                    "batch_size": recipe.batch_size, "seed": 0, "dtype": "float32", "limit_train": None,
                    "epochs": recipe.epochs}
        return Settings(**{k: defaults[k] if v is None else v for k, v in given.items()})
    before = saved["settings"]
    for key, value in given.items():
        if key != "epochs" and value is not None and value != before[key]:
            flag = "--" + key.replace("_", "-")
            raise UserError(f"can't resume with {flag} {value}: the checkpoint was trained with "
                            f"{flag} {before[key]}; drop the flag, or start a new run without --resume")
    return Settings(**{**before, "epochs": config.epochs or before["epochs"]})


def _metrics_path(checkpoint_path: str) -> str:
    root, _ = os.path.splitext(checkpoint_path)
    return root + ".metrics.json"


def _check_outputs(checkpoint: str, metrics: str, plot: str | None, logdir: str | None) -> None:
    """Every file the run will write can be written, before any time is spent training."""
    check_file(checkpoint, "--checkpoint")
    check_file(metrics, "--metrics")
    if plot:
        check_file(plot, "--plot", PLOT_FORMATS)
    if logdir:
        check_folder(logdir, "--logdir")
    check_distinct({"--checkpoint": checkpoint, "--metrics": metrics, "--plot": plot})
