"""The ``tinygrad-edu`` command's machinery: train the tutorial's models, save, resume, predict.

One training loop serves both backends, ``edu`` (this engine) and ``torch`` (PyTorch, the
yardstick): the loop is written against the tutorial's API, and a backend supplies the
framework module and the few things that differ (how weights become numpy, how a batch is
loaded, which TensorBoard writer to use).

* ``recipes.py``: the tutorial's models with their default settings (loss, optimizer, lr...)
* ``data.py``: the samples as numpy arrays, the same for both backends
* ``backends.py``: what differs between ``edu`` and ``torch``
* ``checkpoint.py``: the checkpoint file (weights, optimizer state, where training stopped)
* ``loop.py``: the training and evaluation loop, with progress, signals, divergence and resume
* ``signals.py``: SIGINT, SIGTERM and SIGHUP only raise a flag while training runs
* ``paths.py``: output paths checked before any work starts
* ``logging.py``: the progress bar, TensorBoard event files and the loss/accuracy plot
* ``predict.py``: the tutorial's single-image inference
"""
from .errors import TrainingInterrupted, UserError
from .loop import TrainConfig, train
from .predict import predict

__all__ = ["TrainConfig", "TrainingInterrupted", "UserError", "predict", "train"]
