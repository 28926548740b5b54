"""The tutorial's four models, each with the settings the tutorial trains it with.

The model classes themselves live in ``tinygrad_edu.tutorial.build_models``, written
once for any PyTorch-like framework; a recipe says which one to build and how to train it.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from ..tutorial import build_models


@dataclass(frozen=True)
class Recipe:
    """How the tutorial trains one model.

    ``batch_size=None`` means full batch (every step sees all samples). ``flatten``: the
    images ``(N, 1, 28, 28)`` become rows ``(N, 784)`` before the forward pass (the MLP).
    ``classifier``: the model outputs log-probabilities over 10 digits, so it has a test
    accuracy and can ``predict`` an image; the regressions have neither.
    """

    name: str
    title: str
    builder: str  # the name in build_models' namespace
    loss: str  # the loss class in ``nn``
    optimizer: str  # "sgd" or "adam"
    lr: float
    epochs: int
    batch_size: int | None
    shuffle: bool
    flatten: bool = False
    classifier: bool = False

    def build(self, torch: ModuleType):
        """A fresh model made with ``torch`` (torch itself or tinygrad_edu)."""
        make = getattr(build_models(torch), self.builder)
        return make() if self.classifier else make(1, 1)


RECIPES = {
    "linreg": Recipe("linreg", "linear regression, 线性回归", "LinearRegressionModel", "MSELoss",
                     "sgd", lr=0.01, epochs=100, batch_size=None, shuffle=False),
    "logreg": Recipe("logreg", "logistic regression, 逻辑回归", "LogisticRegressionModel", "BCELoss",
                     "sgd", lr=0.01, epochs=1000, batch_size=None, shuffle=False),
    "mlp": Recipe("mlp", "handwritten digits with an MLP, 手写数字识别", "mlp", "NLLLoss",
                  "adam", lr=1e-3, epochs=5, batch_size=128, shuffle=True, flatten=True, classifier=True),
    # The tutorial's CNN ends in LogSoftmax and is trained with CrossEntropyLoss anyway; on
    # log-probabilities that equals NLLLoss, so we keep the tutorial's choice.
    "cnn": Recipe("cnn", "handwritten digits with a CNN, 卷积神经网络", "CNN_Mnist", "CrossEntropyLoss",
                  "adam", lr=1e-3, epochs=5, batch_size=64, shuffle=True, classifier=True),
}
