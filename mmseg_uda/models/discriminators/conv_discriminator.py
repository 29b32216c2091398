"""Fully-convolutional domain discriminator of AdaptSegNet."""
from typing import Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmseg.registry import MODELS


@MODELS.register_module()
class ConvDiscriminator(BaseModule):
    """Fully-convolutional discriminator on the output space (softmax maps).

    Tsai et al., "Learning to Adapt Structured Output Space for Semantic Segmentation",
    CVPR 2018 (AdaptSegNet): 4x4 convolutions with stride 2, channels
    {64, 128, 256, 512, 1}, each but the last followed by a leaky ReLU with slope 0.2.
    It outputs one domain logit per cell of a grid 32x coarser than its input.

    Args:
        in_channels (int): Channels of the input (number of classes for output space).
        channels (Sequence[int]): Hidden widths.
        negative_slope (float): Leaky ReLU slope.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, in_channels: int, channels: Sequence[int] = (64, 128, 256, 512),
                 negative_slope: float = 0.2, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        layers = []
        prev = in_channels
        for ch in channels:
            layers += [nn.Conv2d(prev, ch, 4, stride=2, padding=1),
                       nn.LeakyReLU(negative_slope, inplace=True)]
            prev = ch
        layers.append(nn.Conv2d(prev, 1, 4, stride=2, padding=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Domain logits of shape (N, 1, H/2^L, W/2^L) for L = len(channels) + 1."""
        min_size = 2**len(self.layers[::2])
        if min(x.shape[-2:]) < min_size:
            raise ValueError(
                f'ConvDiscriminator with {len(self.layers[::2])} stride-2 layers needs inputs '
                f'of at least {min_size}x{min_size}, got {tuple(x.shape[-2:])}; use fewer '
                "`channels` or the adaptation's disc_input_size='input'")
        return self.layers(x)
