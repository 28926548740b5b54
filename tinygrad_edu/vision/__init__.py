"""Images, laid out like torchvision: ``vision.transforms`` (ToTensor, Normalize, Resize...),
``vision.datasets`` (MNIST, FashionMNIST, CIFAR10, and built-in digits for working offline),
``vision.io`` (read_image) and ``vision.utils`` (make_grid). ``import tinygrad_edu.vision as
torchvision`` runs the tutorial's image code.
"""
from . import datasets, io, transforms, utils
