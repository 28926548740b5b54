"""VGG (Simonyan & Zisserman, 2014), as ``torchvision.models.vgg``.

x (N, 3, H, W) -> features (3x3 convs + ReLU, 2x2 max-pools at "M") -> avgpool (7, 7) -> flatten
-> classifier (Linear 25088->4096, ReLU, Dropout, Linear 4096->4096, ReLU, Dropout,
Linear 4096->num_classes) -> (N, num_classes). H and W must be at least 32 (five halvings).
"""
from __future__ import annotations

from ... import functions, nn
from ._weights import refuse_weights

# channels of each conv, "M" a max-pool; torchvision's names for the configurations
cfgs: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """``features`` then the classifier; with init_weights as torchvision: convs kaiming_normal(fan_out,
    relu) with bias 0, BN weight 1 and bias 0, linears N(0, 0.01^2) with bias 0."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(functions.flatten(x, 1))


def make_layers(cfg: list, batch_norm: bool = False) -> nn.Sequential:
    """The ``features`` Sequential for a configuration: conv (+ BN) + ReLU per int, a max-pool per "M"."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
    return nn.Sequential(*layers)


def vgg11(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-11 (configuration "A"): 8 convs and 3 linears. ``kwargs`` go to VGG (num_classes, init_weights,
    dropout); ``progress`` is torchvision's, unused: nothing is downloaded."""
    refuse_weights("vgg11", weights, kwargs)
    return VGG(make_layers(cfgs["A"]), **kwargs)


def vgg16(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-16 (configuration "D"): 13 convs and 3 linears; arguments as vgg11's."""
    refuse_weights("vgg16", weights, kwargs)
    return VGG(make_layers(cfgs["D"]), **kwargs)
