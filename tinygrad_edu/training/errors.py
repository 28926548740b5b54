"""The two ways a command ends early without being a bug."""
from __future__ import annotations

import signal


class UserError(Exception):
    """A mistake in what the user asked for (a missing file, a checkpoint of another model, a
    learning rate so large that training diverged).

    The command prints the message on one line and exits with status 1, never a traceback.
    """


class TrainingInterrupted(Exception):
    """A signal (SIGINT, SIGTERM or SIGHUP) stopped training between two steps, and a checkpoint
    holding every completed step was saved at ``checkpoint`` so the run can resume."""

    def __init__(self, checkpoint: str, signum: int, epoch: int, step: int, steps_per_epoch: int, epochs: int):
        where = (f"after the last epoch" if epoch >= epochs
                 else f"in epoch {epoch + 1} after step {step}/{steps_per_epoch}")
        super().__init__(f"interrupted by {signal.Signals(signum).name} {where}: checkpoint saved to {checkpoint}")
        self.checkpoint, self.signum, self.epoch, self.step = checkpoint, signum, epoch, step
