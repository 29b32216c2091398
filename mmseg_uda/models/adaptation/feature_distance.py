"""ImageNet feature distance (FD) of DAFormer (Hoyer, Dai, Van Gool, CVPR 2022, Sec. 3.4): the
segmentor's bottleneck features on source images are kept close to those of a frozen copy of
the initial (ImageNet) network, on the pixels of "thing" classes."""
import copy
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from .base_adaptation import BaseAdaptation, Outputs, Tensors
from .self_training import label_maps


def downscale_label_ratio(labels: torch.Tensor, scale_factor: int, min_ratio: float,
                          num_classes: int, ignore_index: int = 255) -> torch.Tensor:
    """DAFormer's ``downscale_label_ratio``: each ``scale_factor`` x ``scale_factor`` cell gets
    its majority label (the ignore label counting as one more class), or ``ignore_index`` when
    that label covers less than ``min_ratio`` of the cell.

    Args:
        labels (LongTensor): (N, H, W) labels.
        scale_factor (int): Cell side, > 1.
        min_ratio (float): Smallest share of the majority label.
        num_classes (int): C.
        ignore_index (int): The ignore label.

    Returns:
        LongTensor: (N, H // s, W // s) labels.
    """
    if scale_factor <= 1:
        raise ValueError(f'downscale_label_ratio: scale_factor must be > 1, got {scale_factor}')
    out = labels.clone()
    out[out == ignore_index] = num_classes
    one_hot = F.one_hot(out, num_classes + 1).permute(0, 3, 1, 2).float()
    ratio, out = F.avg_pool2d(one_hot, kernel_size=scale_factor).max(1)
    out[out == num_classes] = ignore_index
    out[ratio < min_ratio] = ignore_index
    return out


@MODELS.register_module()
class ImageNetFeatureDistance(BaseAdaptation):
    """DAFormer's thing-class ImageNet feature distance on the source images.

    As ``calc_feat_dist`` of DAFormer's ``mmseg/models/uda/dacs.py``: the last stage of the
    segmentor's ``extract_feat`` on the source batch is compared with that of a frozen copy of
    the network as initialised (its ImageNet weights), run in eval mode without gradient; the
    per-pixel L2 distance is averaged over the feature cells whose down-scaled source label
    (:func:`downscale_label_ratio`, ``scale_min_ratio``) is one of ``classes``, and scaled by
    ``loss_weight``. DAFormer's values: λ 0.005, the Cityscapes thing classes
    ``[6, 7, 11, 12, 13, 14, 15, 16, 17, 18]`` (traffic light and sign, person, rider, car,
    truck, bus, train, motorcycle, bicycle), ratio 0.75. ``classes=None`` averages over every
    cell.

    The copy is made when the UDA model is built and takes the segmentor's weights in
    ``init_weights`` (the runner initialises the model before it loads ``load_from``), so it
    keeps the initial weights whatever checkpoint training then starts from; it is saved in
    checkpoints (``--resume`` keeps it) and left out of the export. With no cell of those
    classes in the batch the loss is 0 (DAFormer's mean of an empty set would be NaN).

    Args:
        num_classes (int): Classes (filled in by ``UDASegmentor``).
        loss_weight (float): λ_FD.
        classes (list[int], optional): The classes whose cells count; None: all cells.
        scale_min_ratio (float): ``min_ratio`` of :func:`downscale_label_ratio`.
        init_cfg (dict, optional): Initialisation config.
    """

    required_outputs = ('features', )
    uses_target = False

    def __init__(self, num_classes: int, loss_weight: float = 0.005,
                 classes: Optional[Sequence[int]] = None, scale_min_ratio: float = 0.75,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if loss_weight <= 0:
            raise ValueError(f'ImageNetFeatureDistance loss_weight must be > 0, got '
                             f'{loss_weight}')
        bad = [c for c in (classes or []) if not 0 <= int(c) < num_classes]
        if bad:
            raise ValueError(f'ImageNetFeatureDistance classes {bad} are not class ids of the '
                             f'model (num_classes={num_classes})')
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.register_buffer('classes', torch.tensor(list(classes or []), dtype=torch.long),
                             persistent=False)
        self.all_classes = classes is None
        self.scale_min_ratio = scale_min_ratio
        self.imnet: nn.Module = nn.Identity()
        self._student: List[nn.Module] = []  # not a child: the segmentor is registered once

    def bind_segmentor(self, segmentor: EncoderDecoder) -> None:
        """The frozen copy of the network; its weights are set in :meth:`init_weights`."""
        self.imnet = copy.deepcopy(segmentor)
        for param in self.imnet.parameters():
            param.requires_grad_(False)
        for module in self.imnet.modules():
            if isinstance(module, BaseModule):
                module._is_init = True
        self._student = [segmentor]

    def init_weights(self) -> None:
        """Copy the initialised segmentor (called after it, as it comes first in the UDA
        generator)."""
        super().init_weights()
        if self._student:
            self.imnet.load_state_dict(self._student[0].state_dict())

    def forward(self, outputs: Outputs, data_samples: SampleList,
                domain: str) -> Tuple[Tensors, Tensors]:
        if domain != 'source':
            return {}, {}
        feat = outputs['features'][-1]
        self.imnet.eval()
        with torch.no_grad():
            feat_imnet = self.imnet.extract_feat(outputs['inputs'])[-1].detach()
        dist = torch.norm(feat - feat_imnet, p=2, dim=1)  # (N, h, w)
        if not self.all_classes:
            ignore = 255
            labels = label_maps(data_samples, outputs['input_shape'], ignore,
                                f'{type(self).__name__} source')
            scale = labels.shape[-1] // feat.shape[-1]
            small = downscale_label_ratio(labels, scale, self.scale_min_ratio,
                                          self.num_classes, ignore)
            height, width = feat.shape[-2:]
            small = F.pad(small, (0, max(0, width - small.shape[-1]), 0,
                                  max(0, height - small.shape[-2])), value=ignore)
            small = small[..., :height, :width]
            mask = torch.isin(small, self.classes.to(small.device))
            dist = dist[mask]
        loss = dist.mean() if dist.numel() else feat.sum() * 0
        return {'loss_imnet_feat_dist': self.loss_weight * loss}, {}
