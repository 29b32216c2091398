"""Pseudo-label re-training ("Ps" of Tsai et al., ICCV 2019): adversarial self-training with a
confidence map (Hung et al., BMVC 2018) and training on offline pseudo labels (CBST)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.model import BaseModule

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from ...domains import LOG_PREFIXES
from ..losses import adversarial_loss
from .base_adaptation import BaseAdaptation, Outputs, Tensors
from .output_space import DISC_INPUT_SIZES

#: Keys of the representations dict the confidence discriminator judges; other keys pass through.
JUDGED = ('label', 'pred')


def pseudo_label_loss(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = 255,
                      align_corners: bool = False) -> torch.Tensor:
    """Cross-entropy of logits against (pseudo) labels, averaged over the labelled pixels.

    The logits are bilinearly resized to the labels' size first when the two differ. Pixels
    labelled ``ignore_index`` contribute neither loss nor gradient. With no labelled pixel the
    loss is zero (with a gradient path), as in Hung et al.'s ``train.py`` (``semi_ratio == 0``:
    no self-training loss), where the mean cross-entropy would be NaN.

    Args:
        logits (Tensor): (N, C, h, w) segmentation logits.
        labels (LongTensor): (N, H, W) labels, ``ignore_index`` where left out.
        ignore_index (int): Label of the pixels left out.
        align_corners (bool): ``align_corners`` of the resize.

    Returns:
        Tensor: Scalar loss.
    """
    if logits.shape[-2:] != labels.shape[-2:]:
        logits = F.interpolate(logits, size=labels.shape[-2:], mode='bilinear',
                               align_corners=align_corners)
    total = F.cross_entropy(logits, labels, ignore_index=ignore_index, reduction='sum')
    return total / (labels != ignore_index).sum().clamp(min=1)


def confident_argmax(logits: torch.Tensor, confidence_logits: torch.Tensor, threshold: float,
                     ignore_index: int = 255) -> torch.Tensor:
    """Hung et al.'s self-training target: the prediction's arg-max where the discriminator is
    confident, ``ignore_index`` elsewhere.

    ``train.py``: ``semi_ignore_mask = (sigmoid(D_out) < mask_T)``, ``semi_gt = argmax(pred)``,
    ``semi_gt[semi_ignore_mask] = 255``. Nothing here carries a gradient.

    Args:
        logits (Tensor): (N, C, H, W) segmentation logits (or probabilities).
        confidence_logits (Tensor): (N, 1, H, W) discriminator logits on the softmax of
            ``logits``, at the same resolution.
        threshold (float): T: pixels whose confidence ``sigmoid(D)`` is below T are left out.
        ignore_index (int): Label of the pixels left out.

    Returns:
        LongTensor: (N, H, W) labels.
    """
    if confidence_logits.shape[-2:] != logits.shape[-2:]:
        raise ValueError(f'confidence map {tuple(confidence_logits.shape)} and logits '
                         f'{tuple(logits.shape)} differ in size')
    labels = logits.detach().argmax(1)
    labels[torch.sigmoid(confidence_logits.detach())[:, 0] < threshold] = ignore_index
    return labels


def masked_adversarial_loss(pred: torch.Tensor, domain: str, valid: Optional[torch.Tensor],
                            gan_type: str = 'bce') -> torch.Tensor:
    """:func:`~mmseg_uda.models.losses.adversarial_loss` over the ``valid`` pixels only.

    Hung et al.'s ``BCEWithLogitsLoss2d`` with ``make_D_label(label, ignore_mask)``: pixels
    whose label is ignored take no part in the discriminator's losses. Zero (with a gradient
    path) when no pixel is valid.

    Args:
        pred (Tensor): (N, 1, H, W) discriminator logits.
        domain (str): The domain label, ``'source'`` (1: the one-hot ground truth) or
            ``'target'`` (0).
        valid (BoolTensor, optional): (N, H, W) pixels taking part; None: all.
        gan_type (str): ``'bce'`` or ``'ls'``.
    """
    if valid is None:
        return adversarial_loss(pred, domain, gan_type)
    selected = pred[:, 0][valid]
    if selected.numel() == 0:
        return pred.sum() * 0
    return adversarial_loss(selected, domain, gan_type)


def label_maps(data_samples: SampleList, input_shape: Sequence[int], ignore_index: int,
               what: str) -> torch.Tensor:
    """The samples' ``gt_sem_seg`` as one (N, H, W) tensor, padded with ``ignore_index`` at the
    bottom/right (where the data preprocessor pads images) to the network input size."""
    height, width = (int(s) for s in input_shape)
    labels = []
    for i, sample in enumerate(data_samples):
        if 'gt_sem_seg' not in sample:
            raise KeyError(f'{what}: sample {i} ({sample.metainfo.get("img_path")!r}) has no '
                           'gt_sem_seg')
        label = sample.gt_sem_seg.data[0]
        if label.shape[0] > height or label.shape[1] > width:
            raise ValueError(f'{what}: gt_sem_seg of shape {tuple(label.shape)} is larger than '
                             f'the network input {(height, width)}')
        labels.append(F.pad(label, (0, width - label.shape[1], 0, height - label.shape[0]),
                            value=ignore_index))
    return torch.stack(labels).long()


def one_hot_labels(labels: torch.Tensor, num_classes: int,
                   ignore_index: int = 255) -> Tuple[torch.Tensor, torch.Tensor]:
    """One-hot label maps and their labelled pixels.

    Hung et al.'s ``one_hot``: channel c is 1 where the label is c; ignored pixels are all
    zero (and left out of the discriminator losses through the returned mask).

    Args:
        labels (LongTensor): (N, H, W) labels.
        num_classes (int): C.
        ignore_index (int): Label of ignored pixels.

    Returns:
        tuple[Tensor, BoolTensor]: (N, C, H, W) float maps and the (N, H, W) labelled pixels.
    """
    valid = labels != ignore_index
    one_hot = F.one_hot(torch.where(valid, labels, 0), num_classes).permute(0, 3, 1, 2)
    return one_hot.float() * valid[:, None], valid


class ConfidenceDiscriminator(BaseModule):
    """Hung et al.'s discriminator as the UDA segmentor calls it.

    ``forward`` judges the ``'label'`` (one-hot ground truth) and ``'pred'`` (softmax) maps of a
    representations dict and upsamples each output to its input's size (``train.py``:
    ``D_out = interp(model_D(...))``), giving one confidence logit per pixel. The other
    entries (the labelled-pixel mask, the logits) are returned unchanged: the UDA segmentor
    hands the adaptation's loss methods only the discriminator's output, and the masked
    losses and the self-training loss need them too.

    Args:
        discriminator (dict): Config of the fully convolutional network (``in_channels`` set).
        align_corners (bool): ``align_corners`` of the upsampling (True in Hung et al.).
    """

    def __init__(self, discriminator: ConfigType, align_corners: bool = True) -> None:
        super().__init__()
        self.net = MODELS.build(discriminator)
        self.align_corners = align_corners

    def forward(self, reps: Tensors) -> Tensors:
        """Per-pixel confidence logits of the judged maps; the rest passed through."""
        out = dict(reps)
        for key in JUDGED:
            if key in reps:
                out[key] = F.interpolate(self.net(reps[key]), size=reps[key].shape[-2:],
                                         mode='bilinear', align_corners=self.align_corners)
        return out


@MODELS.register_module()
class AdversarialSelfTraining(BaseAdaptation):
    """Adversarial learning with a confidence map for self-training.

    Hung, Tsai, Liou, Lin, Yang, "Adversarial Learning for Semi-Supervised Semantic
    Segmentation", BMVC 2018 (public code github.com/hfslyc/AdvSemiSeg, ``train.py``), the
    pseudo-label re-training (Ps) of Tsai et al., ICCV 2019 (its reference [18]), with the
    labelled set as the source domain and the unlabelled set as the target domain:

    - a fully convolutional discriminator D tells one-hot source label maps (label 1) from
      predicted probability maps (label 0); its output, upsampled to the map size, is a
      per-pixel confidence map;
    - source: ``λadv_s · L_adv(D(P_s), 1)`` over the labelled pixels (``lambda_adv_pred``);
    - target: ``λadv_t · L_adv(D(P_t), 1)`` (``lambda_semi_adv``), and, from iteration
      ``self_training_start`` on, ``λst · CE(P_t, argmax P_t)`` over the pixels whose
      confidence ``sigmoid(D(P_t))`` is at least T (``lambda_semi``, ``mask_T``); the other
      pixels get no gradient from it;
    - discriminator: ``½ L_D(D(Y_s), 1)`` over the labelled pixels, and ``¼ L_D(D(P), 0)`` for
      the source (labelled pixels) and the target predictions each (``train.py`` averages one
      loss over the concatenated labelled and unlabelled predictions, ``D_remain=True``, and
      halves both terms).

    Published defaults: ``train.py`` ``LAMBDA_SEMI=0.1``, ``MASK_T=0.2``,
    ``LAMBDA_SEMI_ADV=0.001``, ``SEMI_START=5000`` (of 20000 iterations), ``SEMI_START_ADV=0``;
    ``LAMBDA_ADV_PRED`` is 0.1 in the code and 0.01 in the README's training command, the value
    used here. What differs: D's losses are split by domain as above; the self-training start
    is an absolute iteration of this run (the adversarial losses start at the segmentor's
    ``warmup_iters``); ``disc_input_size='logits'`` (not the paper's) runs D on the head's
    resolution, the labels resized by nearest neighbour, to save time on small models; when
    ``loss_weight_adv_source`` is not 0, D also judges the one-hot labels in the generator step
    (the representations dict is shared by both steps), where that output goes unused.

    Log keys: ``adv.<name>.loss_adv_src``, ``adv.<name>.loss_adv_tgt`` (the domain's
    :data:`~mmseg_uda.domains.LOG_PREFIXES`),
    ``adv.<name>.loss_self_training`` and ``adv.<name>.self_training_ratio`` (the fraction of
    target pixels kept, Hung et al.'s "semi ratio"); ``disc.src.<name>.loss_d_label``,
    ``disc.src.<name>.loss_d_pred``, ``disc.tgt.<name>.loss_d_pred``.

    Args:
        num_classes (int): Number of classes (filled in by the UDA segmentor).
        loss_weight_adv_source (float): λadv_s (0.01); 0 leaves the source predictions out
            of the generator step.
        loss_weight_adv_target (float): λadv_t (0.001).
        loss_weight_self_training (float): λst (0.1); 0 disables self-training.
        confidence_threshold (float): T in [0, 1] (0.2).
        self_training_start (int): Iteration from which the self-training loss is used.
        gan_type (str): ``'bce'`` (Hung et al.) or ``'ls'``.
        disc_input_size (str): ``'input'`` (Hung et al.: logits upsampled to the input size)
            or ``'logits'`` (the head's own resolution).
        discriminator (dict): Config of D; ``in_channels`` is set to ``num_classes``.
            Hung et al.'s FCDiscriminator is the package's ``ConvDiscriminator`` (4x4
            stride-2 convolutions 64-128-256-512-1, leaky ReLU 0.2).
        align_corners (bool): ``align_corners`` of the upsampling of logits and D's output.
        ignore_index (int): Ignored label value.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, num_classes: int, loss_weight_adv_source: float = 0.01,
                 loss_weight_adv_target: float = 0.001, loss_weight_self_training: float = 0.1,
                 confidence_threshold: float = 0.2, self_training_start: int = 0,
                 gan_type: str = 'bce', disc_input_size: str = 'input',
                 discriminator: ConfigType = dict(type='ConvDiscriminator'),
                 align_corners: bool = True, ignore_index: int = 255, init_cfg=None) -> None:
        weights = dict(loss_weight_adv_source=loss_weight_adv_source,
                       loss_weight_adv_target=loss_weight_adv_target,
                       loss_weight_self_training=loss_weight_self_training)
        negative = {k: v for k, v in weights.items() if v < 0}
        if negative:
            raise ValueError(f'AdversarialSelfTraining loss weights must be >= 0, got {negative}')
        # the target's adversarial loss (Hung et al.'s lambda_semi_adv term, unmasked); the
        # masked source term and D's losses use its gan_type
        super().__init__(
            loss_adv=dict(type='AdversarialLoss', gan_type=gan_type,
                          loss_weight=loss_weight_adv_target, loss_name='loss_adv'),
            init_cfg=init_cfg)
        if disc_input_size not in DISC_INPUT_SIZES:
            raise ValueError(f'disc_input_size must be one of {DISC_INPUT_SIZES}, '
                             f'got {disc_input_size!r}')
        if not 0.0 <= confidence_threshold <= 1.0:
            raise ValueError('AdversarialSelfTraining confidence_threshold must be in [0, 1], '
                             f'got {confidence_threshold}')
        if self_training_start < 0:
            raise ValueError(f'self_training_start must be >= 0, got {self_training_start}')
        self.num_classes = num_classes
        self.loss_weight_adv_source = loss_weight_adv_source
        self.loss_weight_self_training = loss_weight_self_training
        self.confidence_threshold = confidence_threshold
        self.self_training_start = self_training_start
        self.disc_input_size = disc_input_size
        self.discriminator_cfg = dict(discriminator)
        self.align_corners = align_corners
        self.ignore_index = ignore_index
        self.adversarial_on_source = loss_weight_adv_source != 0

    def build_discriminator(self) -> ConfidenceDiscriminator:
        """D on ``num_classes``-channel maps, its output upsampled to a per-pixel confidence."""
        return ConfidenceDiscriminator(dict(self.discriminator_cfg, in_channels=self.num_classes),
                                       self.align_corners)

    def forward(self, outputs: Outputs, data_samples: SampleList,
                domain: str) -> Tuple[Tensors, Tensors]:
        """No loss of its own; the maps D judges.

        Source: ``label`` (one-hot ground truth), ``pred`` (softmax) and ``valid`` (labelled
        pixels); target: ``pred`` and ``logits`` (for the self-training loss).
        """
        logits = outputs['logits']
        input_shape = tuple(int(s) for s in outputs['input_shape'])
        if self.disc_input_size == 'input':
            logits = F.interpolate(logits, size=input_shape, mode='bilinear',
                                   align_corners=self.align_corners)
        reps = dict(pred=F.softmax(logits, dim=1))
        if domain == 'source':
            labels = label_maps(data_samples, input_shape, self.ignore_index,
                                'AdversarialSelfTraining (source)')
            if labels.shape[-2:] != logits.shape[-2:]:
                labels = F.interpolate(labels[:, None].float(), size=logits.shape[-2:],
                                       mode='nearest')[:, 0].long()
            reps['label'], reps['valid'] = one_hot_labels(labels, self.num_classes,
                                                          self.ignore_index)
        else:
            reps['logits'] = logits
        return {}, reps

    def _self_training_active(self) -> bool:
        if self.loss_weight_self_training == 0:
            return False
        return MessageHub.get_current_instance().get_info('iter', 0) >= self.self_training_start

    def adversarial_losses(self, preds: Tensors, domain: str = 'target') -> Tensors:
        """λadv · L_adv(D(P), 1) of the domain, ``loss_adv_src`` or ``loss_adv_tgt``; on the
        target, the confidence-masked self-training loss and the kept fraction."""
        name = f'{self.loss_adv.loss_name}_{LOG_PREFIXES[domain]}'
        if domain == 'source':
            return {name: self.loss_weight_adv_source * masked_adversarial_loss(
                preds['pred'], 'source', preds['valid'], self.loss_adv.gan_type)}
        losses = {name: self.loss_adv(preds['pred'], 'source')}
        if self._self_training_active():
            labels = confident_argmax(preds['logits'], preds['pred'], self.confidence_threshold,
                                      self.ignore_index)
            losses['loss_self_training'] = self.loss_weight_self_training * pseudo_label_loss(
                preds['logits'], labels, self.ignore_index, self.align_corners)
            losses['self_training_ratio'] = (labels != self.ignore_index).float().mean()
        return losses

    def discriminator_losses(self, preds: Tensors, domain: str) -> Tensors:
        """½ L_D on the one-hot labels (source), ¼ L_D on each domain's predictions."""
        gan_type = self.loss_adv.gan_type
        if domain == 'target':
            return {'loss_d_pred': 0.25 * adversarial_loss(preds['pred'], 'target', gan_type)}
        return {
            'loss_d_label':
            0.5 * masked_adversarial_loss(preds['label'], 'source', preds['valid'], gan_type),
            'loss_d_pred':
            0.25 * masked_adversarial_loss(preds['pred'], 'target', preds['valid'], gan_type),
        }


@MODELS.register_module()
class PseudoLabelTraining(BaseAdaptation):
    """Segmentation loss on target pseudo labels: the re-training step of offline
    class-balanced self-training (CBST).

    Zou, Yu, Kumar, Wang, ECCV 2018 (public code github.com/yzou2/CBST; Tsai et al. ICCV
    2019's reference [50]): the target training images, labelled offline by
    ``tools/generate_pseudo_labels.py`` with class-wise confidence thresholds
    (:mod:`mmseg_uda.pseudo_labels`), are trained on like the source, pixels left out of the
    pseudo labels (255) ignored. The labels come with the target samples: build the dataset with
    ``UDADataset(target_pseudo_labels=DIR)``. ``loss_pseudo = λ · CE(logits, Ŷ_t)`` averaged over
    the pseudo-labelled pixels, logged as ``tgt.<name>.loss_pseudo``; it composes with any other
    adaptation (e.g. :class:`AdversarialSelfTraining`, patch alignment). CBST trains the
    target pseudo labels with the source loss, unweighted (λ = 1); its source-image selection
    and small-class patch mining are not done here.

    Args:
        num_classes (int): Number of classes (filled in by the UDA segmentor).
        loss_weight (float): λ (1.0).
        ignore_index (int): Label of the pixels left out.
        align_corners (bool): ``align_corners`` of the logits' resize to the label size.
        init_cfg (dict, optional): Initialisation config.
    """

    reads_target_labels = True  # the pseudo labels, as the target samples' gt_sem_seg

    def __init__(self, num_classes: int, loss_weight: float = 1.0, ignore_index: int = 255,
                 align_corners: bool = False, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if loss_weight <= 0:
            raise ValueError(f'PseudoLabelTraining loss_weight must be > 0, got {loss_weight}')
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self.align_corners = align_corners

    def forward(self, outputs: Outputs, data_samples: SampleList,
                domain: str) -> Tuple[Tensors, Tensors]:
        """``loss_pseudo`` on the target; nothing on the source."""
        if domain == 'source':
            return {}, {}
        labels = label_maps(
            data_samples, outputs['input_shape'], self.ignore_index,
            'PseudoLabelTraining needs target pseudo labels (UDADataset(target_pseudo_labels='
            'DIR), written by tools/generate_pseudo_labels.py)')
        return {'loss_pseudo': self.loss_weight * pseudo_label_loss(
            outputs['logits'], labels, self.ignore_index, self.align_corners)}, {}
