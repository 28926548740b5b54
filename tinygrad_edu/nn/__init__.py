"""``tinygrad_edu.nn``: layers, losses and the Module base class, named as in ``torch.nn``."""
from . import functional, init
from .modules import (BatchNorm1d, BatchNorm2d, BCELoss, Conv2d, CrossEntropyLoss, Dropout, Flatten, Identity,
                      Linear, LogSoftmax, MaxPool2d, Module, ModuleList, MSELoss, NLLLoss, ReLU, Sequential,
                      Sigmoid, Softmax, Tanh)
from .modules import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, Dropout2d
from .modules import (BCEWithLogitsLoss, ELU, GELU, Hardtanh, HuberLoss, L1Loss, LayerNorm, LeakyReLU, SiLU,
                      SmoothL1Loss, Softplus)
from .parameter import Parameter
