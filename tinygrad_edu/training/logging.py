"""What training shows while it runs and leaves behind: a progress bar, TensorBoard event
files and a PNG of the loss and accuracy curves.
"""
from __future__ import annotations

import os
import time
from typing import TextIO

import numpy as np

from .errors import UserError


def say(stream: TextIO, text: str = "", end: str = "\n") -> None:
    """Write ``text`` to ``stream`` and flush. A terminal that went away (SIGHUP, a closed pipe
    as in ``train ... | head``) costs the output, not the run: OSError is ignored."""
    try:
        stream.write(text + end)
        stream.flush()
    except OSError:
        try:  # so that later writes, and the flush at exit, go nowhere instead of failing again
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        except (OSError, ValueError):
            pass


class ProgressBar:
    """One line on ``stream`` (stderr), redrawn in place with ``\\r`` at most every
    ``interval`` seconds: ``epoch 2/5 [#######.......] 120/469  loss 0.3412  1523 samples/s``.

    Plain text, no dependency; ``clear()`` blanks the line so a summary can take its place.
    """

    def __init__(self, stream: TextIO, epoch: int, epochs: int, steps: int, interval: float = 0.1):
        self.stream, self.label, self.steps, self.interval = stream, f"epoch {epoch + 1}/{epochs}", steps, interval
        self.started = time.perf_counter()
        self.samples = 0
        self.last_draw = float("-inf")
        self.width = 0

    def update(self, step: int, batch_size: int, loss: float) -> None:
        """Step ``step`` (1-based, of ``steps``) is done; it trained on ``batch_size`` samples."""
        self.samples += batch_size
        now = time.perf_counter()
        if now - self.last_draw < self.interval and step < self.steps:
            return
        self.last_draw = now
        filled = 24 * step // max(self.steps, 1)
        rate = self.samples / max(now - self.started, 1e-9)
        line = (f"{self.label} [{'#' * filled}{'.' * (24 - filled)}] {step}/{self.steps}"
                f"  loss {loss:.4f}  {rate:.0f} samples/s")
        self.width = max(self.width, len(line))
        say(self.stream, "\r" + line.ljust(self.width), end="")

    def clear(self) -> None:
        if self.width:
            say(self.stream, "\r" + " " * self.width + "\r", end="")
            self.width = 0


class EventWriter:
    """TensorBoard event files written without torch, through the ``tensorboard`` package's
    own event-file writer and protocol buffers. Same methods as torch's ``SummaryWriter``.

    (``tensorboard.summary.Writer`` would do for scalars, but it has no images yet.)
    """

    def __init__(self, logdir: str):
        try:
            from tensorboard.compat.proto import event_pb2, summary_pb2
            from tensorboard.summary.writer.event_file_writer import EventFileWriter
        except ImportError:
            raise UserError("--logdir needs the tensorboard package: pip install 'tinygrad_edu[tensorboard]'") from None
        self._event, self._summary = event_pb2.Event, summary_pb2.Summary
        self._writer = EventFileWriter(logdir)

    def add_scalar(self, tag: str, value: float, global_step: int = 0) -> None:
        self._add(global_step, self._summary.Value(tag=tag, simple_value=float(value)))

    def add_image(self, tag: str, image, global_step: int = 0) -> None:
        """``image``: ``(3, H, W)`` floats in [0, 1] (a tensor or numpy array), stored as a PNG."""
        import cv2

        chw = image.numpy() if hasattr(image, "numpy") else np.asarray(image)
        hwc = np.clip(chw.astype(np.float32) * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)
        ok, png = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(hwc), cv2.COLOR_RGB2BGR))
        picture = self._summary.Image(height=hwc.shape[0], width=hwc.shape[1], colorspace=3,
                                      encoded_image_string=png.tobytes())
        self._add(global_step, self._summary.Value(tag=tag, image=picture))

    def _add(self, step: int, value) -> None:
        self._writer.add_event(self._event(wall_time=time.time(), step=step, summary=self._summary(value=[value])))

    def close(self) -> None:
        self._writer.close()


def plot_curves(path: str, title: str, step_losses: list[float], steps_per_epoch: int,
                train_loss: list[float], test_accuracy: list[float | None]) -> None:
    """Save a PNG: the training loss (every step, and each epoch's mean) and, for a
    classifier, the test accuracy after each epoch. Uses matplotlib's Agg canvas directly,
    so no window opens and pyplot's global state is left alone.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    has_accuracy = any(a is not None for a in test_accuracy)
    figure = Figure(figsize=(10 if has_accuracy else 5, 4), layout="tight")
    FigureCanvasAgg(figure)
    loss_axes = figure.add_subplot(1, 2 if has_accuracy else 1, 1)
    epochs = np.arange(1, len(train_loss) + 1)
    steps = np.arange(1, len(step_losses) + 1) / steps_per_epoch
    loss_axes.plot(steps, step_losses, lw=0.8, alpha=0.5, label="each step")
    loss_axes.plot(epochs, train_loss, "o-", label="epoch mean")
    loss_axes.set(xlabel="epoch", ylabel="training loss", title=f"{title}: loss")
    loss_axes.legend()
    if has_accuracy:
        accuracy_axes = figure.add_subplot(1, 2, 2)
        accuracy_axes.plot(epochs, test_accuracy, "o-", color="tab:green")
        accuracy_axes.set(xlabel="epoch", ylabel="test accuracy", title=f"{title}: accuracy")
    figure.savefig(path, dpi=100)
