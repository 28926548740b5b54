"""The training loop behind ``tinygrad-edu train``: the tutorial's loop, made resumable.

Each step is the tutorial's: ``optimizer.zero_grad()``, forward, loss, ``loss.backward()``,
``optimizer.step()``. Around it:

* Same data, same order, on both backends: epoch ``e`` visits the samples in an order drawn
  from a numpy generator seeded with ``(seed, e)`` (:func:`epoch_order`), handed to each
  framework's ``DataLoader`` as its ``sampler``. Initial weights come from the engine for
  both backends (see ``backends.py``).
* Ctrl-C: training stops at once and a checkpoint holding every completed step is saved;
  ``--resume`` continues from that very step. The optimizer update is shielded from
  Ctrl-C (it waits until the update and its bookkeeping are done), so a checkpoint never
  holds half an update. A resumed run ends with the same weights, bit for bit, as one that
  was never interrupted: the data order needs only ``(seed, epoch)``, and the weights and
  optimizer state are saved exactly.
* After each epoch: the test accuracy (classifiers), a summary line, TensorBoard scalars.
  Checkpoints are saved after an epoch when ``SAVE_EVERY_S`` seconds have passed since the
  last save (the regressions run 1,000 one-step epochs), at the end, and on Ctrl-C.
"""
from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Callable, TextIO

import numpy as np

from . import checkpoint as checkpoints
from . import data
from ..tutorial import evaluate
from .backends import Backend, get_backend
from .errors import TrainingInterrupted, UserError
from .logging import ProgressBar, plot_curves
from .recipes import RECIPES, Recipe

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

    ``on_step(progress)`` is called after every step (tests raise KeyboardInterrupt from it).
    Summaries go to ``out`` (stdout), the progress bar to ``err`` (stderr). Raises
    UserError for a mistake in ``config`` and TrainingInterrupted after Ctrl-C.
    """
    out, err = out or sys.stdout, err or sys.stderr
    recipe = RECIPES[config.model]
    path = config.checkpoint or f"{config.model}-{config.backend or 'edu'}.ckpt"
    saved = _read_resumable(path, config.model) if config.resume else None
    settings = _settings(config, recipe, saved)
    metrics_path = config.metrics or _metrics_path(path)
    for output in (path, metrics_path, config.plot):
        _make_parent(output)

    backend = get_backend(settings.backend, config.device)
    samples = data.load(recipe, config.data_root, settings.seed, settings.dtype, settings.limit_train)
    model = backend.make_model(recipe, settings.seed, settings.dtype)
    optimizer = {"sgd": backend.torch.optim.SGD, "adam": backend.torch.optim.Adam}[settings.optimizer](
        model.parameters(), lr=settings.lr)
    progress = Progress()
    if saved:
        if saved["data"] != samples.identity():
            raise UserError(f"can't resume: the checkpoint was trained on {saved['data_source']}, but this run "
                            f"found {samples.source}; point --data-root where the first run found its data")
        backend.load_weights(model, saved["model_state_dict"])
        backend.load_optimizer_state(optimizer, saved["optimizer_state_dict"])
        progress = Progress(**saved["progress"])

    print(f"training {recipe.name} ({recipe.title}) on {backend.name} ({settings.dtype}, {backend.device}): "
          f"{settings.optimizer} lr {settings.lr:g}, batch size {settings.batch_size or 'all'}, "
          f"epochs {settings.epochs}, seed {settings.seed}", file=out)
    print(f"data: {samples.source}", file=out)
    if saved:
        print(f"resuming from {path}: epoch {progress.epoch + 1}, after step {progress.step}", file=out)

    run = _Run(recipe, settings, backend, samples, model, optimizer, progress, path, out, err, on_step)
    run.fit(config.logdir)

    metrics = run.metrics()
    with open(metrics_path, "w") as f:
        json.dump(metrics, f, indent=2)
    if config.plot:
        plot_curves(config.plot, recipe.name, progress.step_losses, run.steps_per_epoch,
                    progress.train_loss, progress.test_accuracy)
    final = (f"final test accuracy {metrics['final_accuracy']:.2%}" if recipe.classifier
             else f"final loss {metrics['final_loss']:.6f}")
    print(f"{final}; checkpoint {path}; metrics {metrics_path}" + (f"; plot {config.plot}" if config.plot else ""),
          file=out)
    return metrics


class _Run:
    """One training run's objects, and the loop over its epochs and steps."""

    def __init__(self, recipe: Recipe, settings: Settings, backend: Backend, samples: data.Samples, model,
                 optimizer, progress: Progress, path: str, out: TextIO, err: TextIO,
                 on_step: Callable[[Progress], None] | None):
        self.recipe, self.settings, self.backend, self.samples = recipe, settings, backend, samples
        self.model, self.optimizer, self.progress, self.path = model, optimizer, progress, path
        self.out, self.err, self.on_step = out, err, on_step
        self.loss_fn = getattr(backend.torch.nn, recipe.loss)()
        self.train_set = backend.dataset(samples.x_train, samples.y_train)
        self.test_set = backend.dataset(samples.x_test, samples.y_test)
        self.batch_size = settings.batch_size or len(samples.x_train)
        self.steps_per_epoch = math.ceil(len(samples.x_train) / self.batch_size)
        self.writer = None
        self.last_save = time.perf_counter()

    def fit(self, logdir: str | None) -> None:
        """Train until ``settings.epochs``; save a checkpoint at the end or on Ctrl-C."""
        self.writer = self.backend.summary_writer(logdir) if logdir else None
        try:
            with _InterruptGuard() as guard:
                self._epochs(guard)
        finally:
            if self.writer is not None:
                self.writer.close()
        self.save()

    def _epochs(self, guard: "_InterruptGuard") -> None:
        try:
            while self.progress.epoch < self.settings.epochs:
                self._epoch(guard)
                if time.perf_counter() - self.last_save >= SAVE_EVERY_S:
                    self.save()
        except KeyboardInterrupt:
            guard.stopping = True  # a second Ctrl-C must not cut the checkpoint short
            self.save()
            raise TrainingInterrupted(self.path, self.progress.epoch, self.progress.step,
                                      self.steps_per_epoch) from None

    def _epoch(self, guard: "_InterruptGuard") -> None:
        p, recipe = self.progress, self.recipe
        n = len(self.samples.x_train)
        order = epoch_order(self.settings.seed, p.epoch, n) if recipe.shuffle else list(range(n))
        loader = self.backend.loader(self.train_set, self.batch_size, order[p.step * self.batch_size:])
        bar = ProgressBar(self.err, p.epoch, self.settings.epochs, self.steps_per_epoch)
        started = time.perf_counter() - p.seconds
        self.model.train()
        for x, labels in loader:
            if self.writer is not None and recipe.classifier and p.global_step == 0:
                self.writer.add_image("training/images", self.backend.image_grid(x), 0)
            if recipe.flatten:
                x = x.view(x.shape[0], -1)
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(x), labels)
            loss.backward()
            with guard.atomic():
                self.optimizer.step()
                p.step_losses.append(loss.item())
                p.step += 1
                p.seconds = time.perf_counter() - started
            bar.update(p.step, len(labels), p.step_losses[-1])
            if self.writer is not None:
                self.writer.add_scalar("training/loss", p.step_losses[-1], p.global_step)
            if self.on_step is not None:
                self.on_step(p)
        accuracy = self._evaluate()
        with guard.atomic():
            p.seconds = time.perf_counter() - started
            p.finish_epoch(accuracy)
        bar.clear()
        summary = f"epoch {p.epoch}/{self.settings.epochs}  train loss {p.train_loss[-1]:.4f}"
        if accuracy is not None:
            summary += f"  test accuracy {accuracy:.2%}"
            if self.writer is not None:
                self.writer.add_scalar("training/accuracy", accuracy, p.global_step)
        print(f"{summary}  {p.epoch_seconds[-1]:.1f} s", file=self.out, flush=True)

    def _evaluate(self) -> float | None:
        if not self.recipe.classifier:
            return None
        n = len(self.samples.x_test)
        loader = self.backend.loader(self.test_set, TEST_BATCH_SIZE, list(range(n)))
        return evaluate(self.backend.torch, self.model, loader, self.recipe.flatten)

    def save(self) -> None:
        p = self.progress
        checkpoints.save(self.path, {
            "epoch": p.epoch,
            "step": p.step,
            "loss": p.step_losses[-1] if p.step_losses else None,
            "model_state_dict": self.backend.weights_to_numpy(self.model),
            "optimizer_state_dict": self.backend.optimizer_state_to_numpy(self.optimizer),
            "model": self.recipe.name,
            "backend": self.backend.name,
            "settings": asdict(self.settings),
            "data_source": self.samples.source,
            "data": self.samples.identity(),
            "progress": asdict(p),
        })
        self.last_save = time.perf_counter()

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


class _InterruptGuard:
    """Ctrl-C raises KeyboardInterrupt at once, as usual, except inside ``atomic()``: there it
    waits until the block is done, so an optimizer step is applied whole or not at all.
    Once training is ``stopping``, further presses are ignored."""

    def __init__(self):
        self.depth, self.pending, self.stopping, self.previous = 0, False, False, None

    def __enter__(self) -> "_InterruptGuard":
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _handle(self, signum, frame) -> None:
        if self.stopping:
            return
        if self.depth:
            self.pending = True
            return
        self.stopping = True
        raise KeyboardInterrupt

    @contextmanager
    def atomic(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if self.pending and not self.depth:
            self.pending, self.stopping = False, True
            raise KeyboardInterrupt


def _read_resumable(path: str, model: str) -> dict:
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


def _make_parent(path: str | None) -> None:
    """Create the folder ``path`` will be written into, so a long run doesn't fail at the end."""
    if path and os.path.dirname(path):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        except OSError as e:
            raise UserError(f"can't create the folder for {path}: {e.strerror}") from None
