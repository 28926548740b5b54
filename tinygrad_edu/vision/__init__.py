"""Images, laid out like torchvision: ``vision.transforms`` (ToTensor, Normalize, Resize...),
``vision.datasets`` (MNIST, and built-in digits for working offline) and ``vision.utils``
(make_grid). ``import tinygrad_edu.vision as torchvision`` runs the tutorial's image code.
"""
from . import datasets, transforms, utils
