"""``tinygrad_edu.optim``: optimizers named and behaving as in ``torch.optim``, and
``optim.lr_scheduler`` for their learning rates."""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
