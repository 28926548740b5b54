"""The tutorial's models built with real PyTorch: the yardstick the engine is measured against.

The class bodies live in ``tinygrad_edu.tutorial.build_models``; the engine builds the same
classes with ``build_models(tinygrad_edu)``.
"""

import torch

from tinygrad_edu.tutorial import build_models, linreg_data, logreg_data

_torch_models = build_models(torch)

LinearRegressionModel = _torch_models.LinearRegressionModel
LogisticRegressionModel = _torch_models.LogisticRegressionModel
mlp = _torch_models.mlp
CNN_Mnist = _torch_models.CNN_Mnist

__all__ = [
    "LinearRegressionModel",
    "LogisticRegressionModel",
    "mlp",
    "CNN_Mnist",
    "build_models",
    "linreg_data",
    "logreg_data",
]
