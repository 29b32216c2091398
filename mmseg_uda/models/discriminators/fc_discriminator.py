"""Per-location fully-connected discriminator of patch-level alignment."""
from typing import Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmseg.registry import MODELS


@MODELS.register_module()
class FCDiscriminator(BaseModule):
    """Fully-connected discriminator applied at every location of a map of vectors.

    Tsai, Sohn, Schulter, Chandraker, "Domain Adaptation for Structured Output via
    Discriminative Patch Representations", ICCV 2019, Sec. 3.3 / 4: D sees the K-dimensional
    softmax vectors of the patch representation F and consists of three fully-connected layers
    with {256, 512, 1} outputs, each but the last followed by a leaky ReLU (slope 0.2). Applied
    independently at every patch, the layers are 1x1 convolutions.

    Args:
        in_channels (int): Length of the input vectors (K, the number of patch modes).
        channels (Sequence[int]): Widths of the hidden layers.
        negative_slope (float): Leaky ReLU slope.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, in_channels: int, channels: Sequence[int] = (256, 512),
                 negative_slope: float = 0.2, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        layers = []
        prev = in_channels
        for width in channels:
            layers += [nn.Conv2d(prev, width, 1), nn.LeakyReLU(negative_slope, inplace=True)]
            prev = width
        layers.append(nn.Conv2d(prev, 1, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Domain logits (N, 1, H, W) of the vectors x (N, in_channels, H, W)."""
        return self.layers(x)
