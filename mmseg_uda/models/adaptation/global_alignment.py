"""Global feature alignment by domain confusion (FCNs in the Wild, GA)."""
from typing import Optional, Tuple

import torch

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList
from ...domains import LOG_PREFIXES
from ..discriminators import DiscriminatorDict
from .base_adaptation import BaseAdaptation, Outputs, Tensors, loss_cfg_or_older


@MODELS.register_module()
class GlobalFeatureAlignment(BaseAdaptation):
    """Fully-convolutional domain-adversarial alignment of one backbone feature level.

    Hoffman, Wang, Yu, Darrell, "FCNs in the Wild: Pixel-level Adversarial and Constraint-based
    Adaptation", 2016, Sec. 3.1: a fully-convolutional domain classifier D sees the last
    representation before pixel prediction (fc7 of the dilated VGG-16), every spatial unit being
    one instance. D minimises L_D (source = 1, target = 0). The representation minimises the
    domain-confusion loss ½(L_D + L_Dinv), i.e. it is pushed towards D's maximal uncertainty
    rather than towards the inverted label (no gradient reversal), on the instances of both
    domains.

    ``adversarial_on_source`` is set, so ``UDASegmentor`` adds the source instances' confusion
    loss to the source step and the target instances' to the target step.

    Args:
        num_classes (int): Number of classes (filled in by the UDA segmentor; unused).
        in_channels (int): Channels of the aligned feature level.
        in_index (int): Index of the level in the segmentor's ``extract_feat`` tuple (the backbone's
            outputs, or the neck's when the segmentor has one; default: last).
        loss_weight (float, optional): Weight of the confusion loss (per domain; default 1).
            Shorthand for ``loss_adv``, with ``gan_type``.
        gan_type (str, optional): ``'bce'`` (default, the paper's softmax domain loss) or
            ``'ls'``.
        discriminator (dict): Config of the domain classifier; ``in_channels`` is set.
        loss_adv (dict, optional): The confusion loss,
            ``dict(type='DomainConfusionLoss', gan_type=..., loss_weight=...)``; its
            ``gan_type`` is the classifier's too. Default: built from ``loss_weight`` and
            ``gan_type``, which it replaces (give one or the other).
        init_cfg (dict, optional): Initialisation config.
    """

    required_outputs = ('features', )
    adversarial_on_source = True
    rep_key = 'features'

    def __init__(self, num_classes: int, in_channels: int, in_index: int = -1,
                 loss_weight: Optional[float] = None, gan_type: Optional[str] = None,
                 discriminator: ConfigType = dict(type='FeatureDiscriminator'),
                 loss_adv: OptConfigType = None, init_cfg=None) -> None:
        super().__init__(
            loss_adv=loss_cfg_or_older(
                'GlobalFeatureAlignment', 'loss_adv', loss_adv, dict(type='DomainConfusionLoss'),
                loss_weight=('loss_weight', loss_weight), gan_type=('gan_type', gan_type)),
            init_cfg=init_cfg)
        if in_channels < 1:
            raise ValueError(f'in_channels must be positive, got {in_channels}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.in_index = in_index
        self.discriminator_cfg = dict(discriminator)

    def build_discriminator(self) -> DiscriminatorDict:
        """The domain classifier, reading ``in_channels`` feature channels."""
        return DiscriminatorDict(
            {self.rep_key: MODELS.build(dict(self.discriminator_cfg,
                                             in_channels=self.in_channels))})

    def forward(self, outputs: Outputs, data_samples: SampleList,
                domain: str) -> Tuple[Tensors, Tensors]:
        """The chosen feature level as the representation; no loss of its own."""
        feats = outputs['features']
        if not -len(feats) <= self.in_index < len(feats):
            raise IndexError(f'GlobalFeatureAlignment in_index={self.in_index} is out of range '
                             f'for {len(feats)} feature levels')
        feat: torch.Tensor = feats[self.in_index]
        if feat.dim() != 4 or feat.shape[1] != self.in_channels:
            raise ValueError(f'GlobalFeatureAlignment(in_channels={self.in_channels}): feature '
                             f'level {self.in_index} has shape {tuple(feat.shape)}')
        return {}, {self.rep_key: feat}

    def adversarial_losses(self, preds: Tensors, domain: str = 'target') -> Tensors:
        """λ · ½(L_D + L_Dinv) of one domain's features under the frozen classifier.

        Args:
            preds (dict): The classifier's logits on the (non-detached) features.
            domain (str): The domain the features come from, ``'source'`` or ``'target'``
                (names the loss only: the confusion loss is the same for both domains).

        Returns:
            dict: ``<loss_name>_src`` or ``<loss_name>_tgt`` (``loss_confusion_src``, ...; the
            domain's :data:`~mmseg_uda.domains.LOG_PREFIXES`).
        """
        name = f'{self.loss_adv.loss_name}_{LOG_PREFIXES[domain]}'
        return {name: self.loss_adv(preds[self.rep_key])}
