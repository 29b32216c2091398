"""The clustered-space head H of patch-level alignment."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmseg.registry import MODELS
from ...patch_modes import to_pair

#: Pooling of the segmentation output before H's convolutions (see :class:`PatchClusterHead`).
POOLINGS = ('cell', 'patch')


@MODELS.register_module()
class PatchClusterHead(BaseModule):
    """Maps the segmentation output O to logits over the K patch modes, one per patch.

    Tsai, Sohn, Schulter, Chandraker, "Domain Adaptation for Structured Output via
    Discriminative Patch Representations", ICCV 2019, Sec. 3.2 / Fig. 2: H applies adaptive
    average pooling to the segmentation output, so that the pooled map corresponds to the
    patches, followed by two convolutions to K channels; the softmax of its output is F, the
    patch representation in the clustered space (the softmax is applied by the loss and before
    the discriminator, so this head returns logits). The paper gives neither the kernel sizes nor
    the width of the two convolutions.

    ``pooling='cell'`` (default): ``softmax(O)`` is pooled to one cell per descriptor cell, i.e.
    ``(grid_h * gh, grid_w * gw)`` for a ``gh x gw`` patch grid, and the first convolution has
    kernel = stride = ``grid`` (C -> ``hidden_channels``, ReLU, 1x1 ``hidden_channels`` -> K). Each
    output location then sees the class distribution of each of its patch's cells, in place: the
    same information, laid out the same way, as the 2x2xC descriptor Γ(Y) clusters. Patches with
    the same class proportions in a different arrangement (building|tree over building|tree vs
    tree|tree over building|building) can be told apart.

    ``pooling='patch'``: one pooled cell per patch and two 1x1 convolutions. Each location sees
    only the patch-average class distribution, so patches that differ only in their layout get
    identical outputs although Γ gives them different modes; kept for comparison with models
    trained before the ``'cell'`` default.

    Args:
        num_classes (int): Channels C of the segmentation logits.
        num_modes (int): Number of patch modes K (K = 50 in the paper).
        hidden_channels (int): Width of the first convolution.
        grid (int | tuple[int, int]): Cells per patch of the descriptor (2x2 in the paper).
        pooling (str): ``'cell'`` or ``'patch'``, see above.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, num_classes: int, num_modes: int = 50, hidden_channels: int = 256,
                 grid=(2, 2), pooling: str = 'cell', init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('num_classes', num_classes), ('num_modes', num_modes),
                            ('hidden_channels', hidden_channels)):
            if value < 1:
                raise ValueError(f'PatchClusterHead {name} must be >= 1, got {value}')
        if pooling not in POOLINGS:
            raise ValueError(f'PatchClusterHead pooling must be one of {POOLINGS}, got '
                             f'{pooling!r}')
        self.num_classes = num_classes
        self.num_modes = num_modes
        self.grid = to_pair(grid, 'grid')
        self.pooling = pooling
        first_kernel = self.grid if pooling == 'cell' else (1, 1)
        self.convs = nn.Sequential(
            nn.Conv2d(num_classes, hidden_channels, first_kernel, stride=first_kernel),
            nn.ReLU(inplace=True), nn.Conv2d(hidden_channels, num_modes, 1))

    def pooled_size(self, grid_size: Sequence[int]) -> Tuple[int, int]:
        """Size of the pooled map for a ``(gh, gw)`` patch grid."""
        gh, gw = (int(s) for s in grid_size)
        if self.pooling == 'cell':
            return gh * self.grid[0], gw * self.grid[1]
        return gh, gw

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
        pooled = F.adaptive_avg_pool2d(F.softmax(logits, dim=1), self.pooled_size(grid_size))
        return self.convs(pooled)
