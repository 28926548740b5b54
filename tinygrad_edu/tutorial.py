"""The tutorial's models, regression data and evaluation, written once for any PyTorch-like framework.

The model classes are defined inside ``build_models(torch)``: the argument is the framework
module, so the class bodies read exactly like the tutorial's and the same code builds them
for both backends::

    import torch
    import tinygrad_edu
    from tinygrad_edu.tutorial import build_models

    ref = build_models(torch)          # what reference_torch.models does
    edu = build_models(tinygrad_edu)   # the engine's copy of the very same classes
    ref.CNN_Mnist(), edu.CNN_Mnist()

The framework must provide ``nn.Module, nn.Linear, nn.Conv2d, nn.MaxPool2d, nn.ReLU,
nn.Sequential, nn.LogSoftmax``, ``sigmoid`` and ``Tensor.view``; nothing else is used.

Classes defined inside a function cannot be pickled whole (``torch.save(model)``); save
``model.state_dict()`` instead, as the tutorial does for the CNN.

This module imports only numpy (never torch, never ``reference_torch``): the models, the data
and :func:`evaluate` are shared by both backends, and ``training/`` uses them on either.
"""

from types import ModuleType, SimpleNamespace

import numpy as np


def build_models(torch: ModuleType) -> SimpleNamespace:
    """Define the tutorial's models with ``torch`` (torch itself, or tinygrad_edu).

    Returns a namespace with ``LinearRegressionModel``, ``LogisticRegressionModel``,
    ``mlp`` (a function: the tutorial's MLP is a bare ``nn.Sequential``) and ``CNN_Mnist``.
    """
    nn = torch.nn

    class LinearRegressionModel(nn.Module):
        """y = kx + b.  (N, input_dim) -> (N, output_dim)."""

        def __init__(self, input_dim: int = 1, output_dim: int = 1):
            super().__init__()
            self.linear = nn.Linear(input_dim, output_dim)

        def forward(self, x):
            return self.linear(x)

    class LogisticRegressionModel(nn.Module):
        """y = sigmoid(kx + b), a probability for BCELoss.  (N, input_dim) -> (N, output_dim)."""

        def __init__(self, input_dim: int = 1, output_dim: int = 1):
            super().__init__()
            self.linear = nn.Linear(input_dim, output_dim)

        def forward(self, x):
            return torch.sigmoid(self.linear(x))

    def mlp() -> nn.Sequential:
        """The handwritten-digit MLP: (N, 784) -> (N, 10) log-probabilities.

        State-dict keys: ``0.weight (100, 784)``, ``0.bias``, ``2.weight (10, 100)``, ``2.bias``.
        Images are flattened by the loop with ``x.view(x.shape[0], -1)``; train with NLLLoss.
        """
        return nn.Sequential(
            nn.Linear(784, 100),
            nn.ReLU(),
            nn.Linear(100, 10),
            nn.LogSoftmax(dim=1),
        )

    class CNN_Mnist(nn.Module):
        """The digit CNN: (N, 1, 28, 28) -> (N, 10) log-probabilities.

        Two conv + pool stages halve 28 -> 14 -> 7, leaving 32 channels of 7x7 for the
        fully connected head.  The tutorial trains it with CrossEntropyLoss on these
        log-probabilities; that equals NLLLoss here, because log_softmax of log-probabilities
        changes nothing (their exponentials already sum to 1).
        """

        def __init__(self):
            super().__init__()
            self.cnn_layers = nn.Sequential(
                nn.Conv2d(in_channels=1, out_channels=8, kernel_size=3, stride=1, padding=1),
                nn.MaxPool2d(kernel_size=2, stride=2),
                nn.ReLU(),
                nn.Conv2d(in_channels=8, out_channels=32, kernel_size=3, stride=1, padding=1),
                nn.MaxPool2d(kernel_size=2, stride=2),
                nn.ReLU(),
            )
            self.fc_layers = nn.Sequential(
                nn.Linear(7 * 7 * 32, 200),
                nn.ReLU(),
                nn.Linear(200, 100),
                nn.ReLU(),
                nn.Linear(100, 10),
                nn.LogSoftmax(dim=1),
            )

        def forward(self, x):
            out = self.cnn_layers(x)
            out = out.view(-1, 7 * 7 * 32)
            return self.fc_layers(out)

    return SimpleNamespace(
        LinearRegressionModel=LinearRegressionModel,
        LogisticRegressionModel=LogisticRegressionModel,
        mlp=mlp,
        CNN_Mnist=CNN_Mnist,
    )


def linreg_data() -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's six points for fitting Y = kX + b: float32 ``x, y`` of shape (6, 1)."""
    x = np.array([1, 2, 0.5, 2.5, 2.6, 3.1], dtype=np.float32).reshape(-1, 1)
    y = np.array([3.7, 4.6, 1.65, 5.68, 5.98, 6.95], dtype=np.float32).reshape(-1, 1)
    return x, y


def logreg_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Twenty noisy points of a sigmoid: float32 ``x, y`` of shape (20, 1).

    x = linspace(-5, 5, 20); y ~ Normal(sigmoid(x), 0.005) from a seeded generator.
    Unlike the tutorial, y is clipped to [0, 1]: BCELoss rejects targets outside that range,
    and near x = +-5 the noise can push sigmoid(x) just past it.
    """
    rng = np.random.default_rng(seed)
    x = np.linspace(-5, 5, 20, dtype=np.float32)
    y = np.clip(rng.normal(1 / (1 + np.exp(-x)), 0.005), 0.0, 1.0)
    return x.reshape(-1, 1), y.astype(np.float32).reshape(-1, 1)


def evaluate(torch: ModuleType, model, loader, flatten: bool) -> float:
    """Fraction of samples in ``loader`` whose highest-scoring class equals the label."""
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for x, labels in loader:
            if flatten:
                x = x.view(x.shape[0], -1)
            predicted = torch.max(model(x), 1)[1]
            correct += (predicted == labels).sum().item()
            total += labels.shape[0]
    return correct / total
