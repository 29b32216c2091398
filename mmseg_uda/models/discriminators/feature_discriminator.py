"""Fully-convolutional domain classifier on feature maps (FCNs in the Wild, global alignment)."""
from typing import Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmseg.registry import MODELS

ACTIVATIONS = ('leaky_relu', 'relu')
KERNEL_SIZES = (1, 3)


@MODELS.register_module()
class FeatureDiscriminator(BaseModule):
    """Domain classifier giving one logit per spatial unit of a feature map.

    Hoffman, Wang, Yu, Darrell, "FCNs in the Wild: Pixel-level Adversarial and Constraint-based
    Adaptation", 2016, Sec. 3.1: the domain classifier is fully convolutional on the last
    representation before pixel prediction, so every spatial unit is an instance. Stride-1
    convolutions (1x1, or 3x3 with padding 1 for some spatial context) keep the feature map's
    resolution.

    Args:
        in_channels (int): Channels of the features (e.g. 4096 for VGG-16's fc7).
        channels (Sequence[int]): Widths of the hidden layers.
        kernel_size (int): 1 (per-location classifier) or 3.
        act (str): ``'leaky_relu'`` or ``'relu'`` after every hidden layer.
        negative_slope (float): Slope of the leaky ReLU.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, in_channels: int, channels: Sequence[int] = (256, 256),
                 kernel_size: int = 1, act: str = 'leaky_relu', negative_slope: float = 0.2,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if kernel_size not in KERNEL_SIZES:
            raise ValueError(f'kernel_size must be one of {KERNEL_SIZES}, got {kernel_size}')
        if act not in ACTIVATIONS:
            raise ValueError(f'act must be one of {ACTIVATIONS}, got {act!r}')
        if in_channels < 1:
            raise ValueError(f'in_channels must be positive, got {in_channels}')
        self.in_channels = in_channels
        layers = []
        prev = in_channels
        for width in channels:
            layers += [
                nn.Conv2d(prev, width, kernel_size, padding=kernel_size // 2),
                nn.LeakyReLU(negative_slope, inplace=True)
                if act == 'leaky_relu' else nn.ReLU(inplace=True)
            ]
            prev = width
        layers.append(nn.Conv2d(prev, 1, kernel_size, padding=kernel_size // 2))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Domain logits (N, 1, H, W) of features x (N, in_channels, H, W)."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'FeatureDiscriminator(in_channels={self.in_channels}) got '
                             f'features of shape {tuple(x.shape)}')
        return self.layers(x)
