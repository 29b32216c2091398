"""The clustered-space head H of patch-level alignment."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmseg.registry import MODELS


@MODELS.register_module()
class PatchClusterHead(BaseModule):
    """Maps the segmentation output O to logits over the K patch modes, one per patch.

    Tsai, Sohn, Schulter, Chandraker, "Domain Adaptation for Structured Output via
    Discriminative Patch Representations", ICCV 2019, Sec. 3.2 / Fig. 2: H applies adaptive
    average pooling to the segmentation output, so that each cell of the pooled map covers one
    patch, followed by two convolutions to K channels; the softmax of its output is F, the patch
    representation in the clustered space (the softmax is applied by the loss and before the
    discriminator, so this head returns logits).

    The paper does not fix the kernel sizes or the width of the two convolutions. We use
    1x1 kernels (C -> ``hidden_channels``, ReLU, ``hidden_channels`` -> K): each location then
    predicts the mode of its own patch from that patch's pooled class distribution only, which
    is exactly what its target Γ(Y) describes, and no padding effects arise on small grids.

    Args:
        num_classes (int): Channels C of the segmentation logits.
        num_modes (int): Number of patch modes K (K = 50 in the paper).
        hidden_channels (int): Width of the first convolution.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, num_classes: int, num_modes: int = 50, hidden_channels: int = 256,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('num_classes', num_classes), ('num_modes', num_modes),
                            ('hidden_channels', hidden_channels)):
            if value < 1:
                raise ValueError(f'PatchClusterHead {name} must be >= 1, got {value}')
        self.num_classes = num_classes
        self.num_modes = num_modes
        self.convs = nn.Sequential(
            nn.Conv2d(num_classes, hidden_channels, 1), nn.ReLU(inplace=True),
            nn.Conv2d(hidden_channels, num_modes, 1))

    def forward(self, logits: torch.Tensor, grid_size: Sequence[int]) -> torch.Tensor:
        """Mode logits of every patch.

        Args:
            logits (Tensor): Segmentation logits O (N, C, h, w), already restricted to the
                region the patch grid covers.
            grid_size (tuple[int, int]): Patch grid (gh, gw) of the input image.

        Returns:
            Tensor: Mode logits (N, K, gh, gw).
        """
        if logits.shape[1] != self.num_classes:
            raise ValueError(f'PatchClusterHead expects {self.num_classes}-channel logits, got '
                             f'shape {tuple(logits.shape)}')
        pooled = F.adaptive_avg_pool2d(F.softmax(logits, dim=1), tuple(grid_size))
        return self.convs(pooled)
