"""DeepLabV2 classifier head (ASPP with summed branches)."""
from typing import List, Sequence

import torch
import torch.nn as nn

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """Atrous spatial pyramid pooling classifier of DeepLabV2.

    Chen et al., "DeepLab: Semantic Image Segmentation with Deep Convolutional Nets, Atrous
    Convolution, and Fully Connected CRFs", TPAMI 2018: parallel 3x3 convolutions with
    different dilations (6/12/18/24 in DeepLab-v2) map the features directly to class scores,
    and the score maps are **summed**. There is no 1x1 ``conv_seg``.

    AdaptSegNet's ``Classifier_Module`` (``model/deeplab_multi.py``), the classifier behind the
    numbers of AdaptSegNet and Tsai et al., ICCV 2019, builds the four branches but its forward
    returns inside the loop after adding the second one: it computes branch(6) + branch(12), and
    the 18/24 convolutions never run. ``dilations=(6, 12)`` is that network exactly (the paper
    configs, ``configs/_base_/models/deeplabv2_r101.py``); ``(6, 12, 18, 24)`` is the
    four-branch head DeepLab-v2 describes.

    Args:
        dilations (Sequence[int]): Dilation of each branch; the default is DeepLab-v2's four.
        **kwargs: ``BaseDecodeHead`` arguments; ``channels`` is not used by this head and
            defaults to ``num_classes``, ``dropout_ratio`` defaults to 0.
    """

    def __init__(self, dilations: Sequence[int] = (6, 12, 18, 24), **kwargs) -> None:
        kwargs.setdefault('channels', kwargs.get('num_classes', 1) or 1)
        kwargs.setdefault('dropout_ratio', 0.0)
        kwargs.setdefault('init_cfg', dict(type='Normal', std=0.01, layer='Conv2d'))
        super().__init__(**kwargs)
        if not dilations:
            raise ValueError('DeepLabV2Head needs at least one dilation')
        del self.conv_seg
        self.dilations = tuple(dilations)
        self.aspp = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.out_channels, 3, padding=d, dilation=d, bias=True)
            for d in self.dilations)

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Sum of the ASPP branches' class scores."""
        x = self._transform_inputs(inputs)
        if self.dropout is not None:
            x = self.dropout(x)
        out = self.aspp[0](x)
        for branch in self.aspp[1:]:
            out = out + branch(x)
        return out
