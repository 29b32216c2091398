"""Output-space adversarial adaptation (AdaptSegNet)."""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn.functional as F

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from ..discriminators import DiscriminatorDict
from ..losses import adversarial_loss
from .base_adaptation import BaseAdaptation, Outputs, Tensors

DISC_INPUT_SIZES = ('input', 'logits')


@MODELS.register_module()
class OutputSpaceAdaptation(BaseAdaptation):
    """Adversarial alignment of the segmentation output space.

    Tsai et al., "Learning to Adapt Structured Output Space for Semantic Segmentation",
    CVPR 2018: a fully-convolutional discriminator sees the softmax of the segmentation logits;
    the segmentor is trained so that target outputs are classified as source. Multi-level
    adaptation adds a second discriminator on the auxiliary head's output.

    Args:
        num_classes (int): Number of classes (filled in by the UDA segmentor).
        levels (Sequence[str]): Outputs to align: ``'logits'`` (single level) and optionally
            ``'aux_logits'`` (multi-level; the first auxiliary head).
        loss_weights (Sequence[float]): λadv per level; the paper uses 0.001 single-level and
            (0.001, 0.0002) multi-level.
        gan_type (str): ``'bce'`` or ``'ls'`` (least squares).
        disc_input_size (str): ``'input'`` upsamples the logits to the network input size before
            the discriminator, as AdaptSegNet does (faithful, default); ``'logits'`` keeps the
            head's own output resolution, which is several times cheaper on small models.
        discriminator (dict): Config of the discriminator; ``in_channels`` is set to
            ``num_classes``.
        align_corners (bool): ``align_corners`` of the upsampling.
        init_cfg (dict, optional): Initialisation config.
    """

    loss_names_by_key = True

    def __init__(self, num_classes: int, levels: Sequence[str] = ('logits', ),
                 loss_weights: Sequence[float] = (0.001, ), gan_type: str = 'bce',
                 disc_input_size: str = 'input',
                 discriminator: ConfigType = dict(type='ConvDiscriminator'),
                 align_corners: bool = False, init_cfg=None) -> None:
        super().__init__(gan_type=gan_type, init_cfg=init_cfg)
        levels = tuple(levels)
        if not levels or any(lv not in ('logits', 'aux_logits') for lv in levels):
            raise ValueError(f"levels must be a non-empty subset of ('logits', 'aux_logits'), "
                             f'got {levels}')
        if len(loss_weights) != len(levels):
            raise ValueError(f'loss_weights {tuple(loss_weights)} must give one weight per level '
                             f'{levels}')
        if disc_input_size not in DISC_INPUT_SIZES:
            raise ValueError(f'disc_input_size must be one of {DISC_INPUT_SIZES}, '
                             f'got {disc_input_size!r}')
        self.num_classes = num_classes
        self.levels = levels
        self.loss_weights = dict(zip(levels, loss_weights))
        self.disc_input_size = disc_input_size
        self.discriminator_cfg = dict(discriminator)
        self.align_corners = align_corners
        self.required_outputs = levels

    def build_discriminator(self) -> DiscriminatorDict:
        """One discriminator per level, reading ``num_classes`` channels."""
        return DiscriminatorDict({
            level: MODELS.build(dict(self.discriminator_cfg, in_channels=self.num_classes))
            for level in self.levels
        })

    def _level_logits(self, outputs: Outputs, level: str) -> torch.Tensor:
        return outputs['logits'] if level == 'logits' else outputs['aux_logits'][0]

    def forward(self, outputs: Outputs, data_samples: SampleList,
                domain: str) -> Tuple[Tensors, Tensors]:
        """Softmax maps of every level; no loss of its own on either domain."""
        reps: Dict[str, torch.Tensor] = {}
        for level in self.levels:
            logits = self._level_logits(outputs, level)
            if self.disc_input_size == 'input':
                logits = F.interpolate(logits, size=tuple(outputs['input_shape']),
                                       mode='bilinear', align_corners=self.align_corners)
            reps[level] = F.softmax(logits, dim=1)
        return {}, reps

    def adversarial_losses(self, preds: Tensors, is_source: bool = False) -> Tensors:
        """λadv · L_adv(D(P_t), source) per level."""
        return {
            self.loss_name('loss_adv', level):
            self.loss_weights[level] * adversarial_loss(preds[level], True, self.gan_type)
            for level in self.levels
        }
