"""Adversarial losses for domain discriminators.

Convention used across mmseg_uda: the discriminator predicts the *source* domain, so source
samples carry label 1 and target samples label 0 (Tsai et al., ICCV 2019, Sec. 3.3).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg.registry import MODELS
from ...domains import check_domain

GAN_TYPES = ('bce', 'ls')
#: The label of each domain (see :data:`mmseg_uda.domains.DOMAINS`) in the discriminators'
#: losses: D predicts the source domain.
DOMAIN_LABELS = {'source': 1.0, 'target': 0.0}


def adversarial_loss(pred: torch.Tensor, domain: str, gan_type: str = 'bce') -> torch.Tensor:
    """Mean adversarial loss of discriminator logits against a constant domain label.

    Args:
        pred (Tensor): Raw discriminator outputs (logits), any shape.
        domain (str): The domain whose label the logits are scored against: ``'source'`` (1)
            or ``'target'`` (0); anything else is a ``ValueError``.
        gan_type (str): ``'bce'`` for binary cross-entropy on logits (AdaptSegNet,
            Tsai et al., CVPR 2018) or ``'ls'`` for the least-squares GAN loss
            (Mao et al., ICCV 2017) on the raw outputs.

    Returns:
        Tensor: Scalar loss.
    """
    label = torch.full_like(pred, DOMAIN_LABELS[check_domain(domain)])
    if gan_type == 'bce':
        return F.binary_cross_entropy_with_logits(pred, label)
    if gan_type == 'ls':
        return F.mse_loss(pred, label)
    raise ValueError(f'gan_type must be one of {GAN_TYPES}, got {gan_type!r}')


def domain_confusion_loss(pred: torch.Tensor, gan_type: str = 'bce') -> torch.Tensor:
    """Domain-confusion loss ½(L_D + L_Dinv): the mean of both domain labels.

    Hoffman et al., "FCNs in the Wild", 2016, Sec. 3.1: the representation is trained so the
    domain classifier is maximally uncertain, rather than with an inverted label.

    Args:
        pred (Tensor): Raw discriminator outputs (logits).
        gan_type (str): See :func:`adversarial_loss`.

    Returns:
        Tensor: Scalar loss.
    """
    return 0.5 * (adversarial_loss(pred, 'source', gan_type)
                  + adversarial_loss(pred, 'target', gan_type))


@MODELS.register_module()
class AdversarialLoss(nn.Module):
    """Thin module around :func:`adversarial_loss`, the generator-side loss an adversarial
    adaptation builds from its ``loss_adv`` config (as MMSeg heads build ``loss_decode``).

    ``gan_type`` is also the discriminator's loss (``BaseAdaptation.discriminator_losses``).

    Args:
        gan_type (str): ``'bce'`` or ``'ls'``.
        loss_weight (float): Multiplier of the loss (λadv for the generator side), >= 0.
        loss_name (str): Name of the loss item; must start with ``loss_`` to be summed.
    """

    def __init__(self, gan_type: str = 'bce', loss_weight: float = 1.0,
                 loss_name: str = 'loss_adv') -> None:
        super().__init__()
        if gan_type not in GAN_TYPES:
            raise ValueError(f'gan_type must be one of {GAN_TYPES}, got {gan_type!r}')
        if loss_weight < 0:
            raise ValueError(f'loss_weight must be >= 0, got {loss_weight}')
        if not loss_name.startswith('loss_'):
            raise ValueError(f'loss_name must start with "loss_", got {loss_name!r}')
        self.gan_type = gan_type
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, pred: torch.Tensor, domain: str) -> torch.Tensor:
        """Weighted adversarial loss of ``pred`` against the label of ``domain``
        (``'source'`` or ``'target'``)."""
        return self.loss_weight * adversarial_loss(pred, domain, self.gan_type)

    @property
    def loss_name(self) -> str:
        """Name of the loss item in the loss dict."""
        return self._loss_name


@MODELS.register_module()
class DomainConfusionLoss(AdversarialLoss):
    """Thin module around :func:`domain_confusion_loss` (Hoffman et al., "FCNs in the Wild",
    2016, Sec. 3.1): the same for either domain, so ``forward`` ignores its ``domain``.

    Args:
        gan_type (str): ``'bce'`` or ``'ls'``.
        loss_weight (float): Multiplier of the loss, >= 0.
        loss_name (str): Name of the loss item; must start with ``loss_``.
    """

    def __init__(self, gan_type: str = 'bce', loss_weight: float = 1.0,
                 loss_name: str = 'loss_confusion') -> None:
        super().__init__(gan_type, loss_weight, loss_name)

    def forward(self, pred: torch.Tensor, domain: Optional[str] = None) -> torch.Tensor:
        """Weighted ½(L_D + L_Dinv) of ``pred``, whichever ``domain``."""
        return self.loss_weight * domain_confusion_loss(pred, self.gan_type)
