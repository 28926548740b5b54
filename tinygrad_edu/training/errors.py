"""The two ways a command ends early without being a bug."""
from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user asked for (a missing file, a checkpoint of another model).

    The command prints the message on one line and exits with status 1, never a traceback.
    """


class TrainingInterrupted(Exception):
    """Ctrl-C stopped training; a checkpoint was saved at ``checkpoint`` so it can resume."""

    def __init__(self, checkpoint: str, epoch: int, step: int, steps_per_epoch: int):
        super().__init__(f"interrupted in epoch {epoch + 1} after step {step}/{steps_per_epoch}; "
                         f"checkpoint saved to {checkpoint}")
        self.checkpoint, self.epoch, self.step = checkpoint, epoch, step
