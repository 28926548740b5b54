"""Images, laid out like torchvision: ``vision.transforms`` (ToTensor, Normalize, Resize...),
``vision.datasets`` (MNIST, FashionMNIST, CIFAR10, and built-in digits for working offline),
``vision.io`` (read_image), ``vision.utils`` (make_grid) and ``vision.models`` (resnet18, vgg11,
vgg16). ``import tinygrad_edu.vision as torchvision`` runs the tutorial's image code.
"""
from . import datasets, io, models, transforms, utils
