"""Image classifiers laid out like ``torchvision.models``: same module tree, parameter names and
initialisation, so a ``state_dict`` converted from torchvision's loads with ``load_state_dict``.
No pretrained weights are downloaded: build with ``weights=None``.
"""
from .resnet import BasicBlock, ResNet, resnet18
from .vgg import VGG, vgg11, vgg16
