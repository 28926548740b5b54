"""``tinygrad_edu.optim``: optimizers named and behaving as in ``torch.optim``."""
from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD
