"""Output-space adversarial adaptation (AdaptSegNet)."""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from ..discriminators import DiscriminatorDict
from .base_adaptation import BaseAdaptation, Outputs, Tensors, loss_cfg_or_older

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
        loss_weights (Sequence[float], optional): λadv per level; the paper uses 0.001
            single-level and (0.001, 0.0002) multi-level (default: 0.001, single level).
            Shorthand for ``loss_adv``, with ``gan_type``.
        gan_type (str, optional): ``'bce'`` (default) or ``'ls'`` (least squares).
        disc_input_size (str): ``'input'`` upsamples the logits to the network input size before
            the discriminator, as AdaptSegNet does (faithful, default); ``'logits'`` keeps the
            head's own output resolution, which is several times cheaper on small models.
        discriminator (dict): Config of the discriminator; ``in_channels`` is set to
            ``num_classes``.
        align_corners (bool): ``align_corners`` of the upsampling.
        loss_adv (dict | Sequence[dict], optional): The generator-side loss,
            ``dict(type='AdversarialLoss', gan_type=..., loss_weight=λadv)``, for every level,
            or a list of one per level; its ``gan_type`` is the discriminators' too. Default:
            built from ``loss_weights`` and ``gan_type``, which it replaces (give one or the
            other).
        init_cfg (dict, optional): Initialisation config.
    """

    loss_names_by_key = True

    def __init__(self, num_classes: int, levels: Sequence[str] = ('logits', ),
                 loss_weights: Optional[Sequence[float]] = None, gan_type: Optional[str] = None,
                 disc_input_size: str = 'input',
                 discriminator: ConfigType = dict(type='ConvDiscriminator'),
                 align_corners: bool = False,
                 loss_adv: Union[None, ConfigType, Sequence[ConfigType]] = None,
                 init_cfg=None) -> None:
        levels = tuple(levels)
        if not levels or any(lv not in ('logits', 'aux_logits') for lv in levels):
            raise ValueError(f"levels must be a non-empty subset of ('logits', 'aux_logits'), "
                             f'got {levels}')
        older = loss_adv is None
        loss_adv = loss_cfg_or_older(
            'OutputSpaceAdaptation', 'loss_adv', loss_adv,
            dict(type='AdversarialLoss', loss_weight=(0.001, )),
            loss_weight=('loss_weights', loss_weights), gan_type=('gan_type', gan_type))
        if older:  # one loss per level weight
            weights = tuple(loss_adv['loss_weight'])
            if len(weights) != len(levels):
                raise ValueError(f'loss_weights {weights} must give one weight per level '
                                 f'{levels}')
            loss_adv = [dict(loss_adv, loss_weight=w) for w in weights]
        elif 'type' in loss_adv:
            loss_adv = [loss_adv] * len(levels)
        if len(loss_adv) != len(levels):
            raise ValueError(f'OutputSpaceAdaptation loss_adv must give one config per level '
                             f'{levels}, got {len(loss_adv)}')
        super().__init__(loss_adv=dict(zip(levels, loss_adv)), init_cfg=init_cfg)
        if disc_input_size not in DISC_INPUT_SIZES:
            raise ValueError(f'disc_input_size must be one of {DISC_INPUT_SIZES}, '
                             f'got {disc_input_size!r}')
        self.num_classes = num_classes
        self.levels = levels
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
