"""DACS: domain adaptation via cross-domain mixed sampling (Tranheden et al., WACV 2021), in
the form DAFormer (Hoyer et al., CVPR 2022) and MIC (Hoyer et al., CVPR 2023) build on."""
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg.models.losses import accuracy
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList, add_prefix
from .base_adaptation import BaseAdaptation, Outputs, Tensors
from .class_mix import (check_same_size, class_mix_masks, confidence_weight, one_mix,
                        strong_transform)
from .ema_teacher import EMATeacher
from .masked_consistency import MaskedImageConsistency
from .self_training import label_maps

#: ``student(inputs, need_aux)``: the segmentor outputs of ``UDAGenerator.segmentor_outputs``.
Student = Callable[[torch.Tensor, bool], Outputs]


def weighted_segmentation_losses(segmentor: EncoderDecoder, outputs: Outputs,
                                 labels: torch.Tensor, weight: torch.Tensor) -> Tensors:
    """The segmentor's supervised losses against ``labels`` with a per-pixel ``weight``.

    What ``BaseDecodeHead.loss_by_feat`` computes (logits resized to the labels, each
    ``loss_decode`` summed by name, ``acc_seg``) with ``weight`` as its ``seg_weight``, which
    MMSeg 1.x sets only from a pixel sampler; DAFormer passes it to ``forward_train`` in the
    same place. MMSeg's ``CrossEntropyLoss`` averages ``weight * ce`` over all pixels
    (``avg_non_ignore=False``, the default), as DAFormer's MMSeg 0.16 does. The auxiliary heads,
    when the segmentor has them and ``outputs`` holds their logits, are weighted alike.

    Args:
        segmentor (EncoderDecoder): The student.
        outputs (dict): Its outputs on the mixed images (``logits``, ``aux_logits``).
        labels (LongTensor): (N, H, W) mixed labels.
        weight (Tensor): (N, H, W) pixel weights.

    Returns:
        dict: ``decode.loss_*``, ``decode.acc_seg`` and the auxiliary heads' (``aux.*`` or
        ``aux_<i>.*``), as ``EncoderDecoder.loss`` names them.
    """
    heads: List[Tuple[str, nn.Module, torch.Tensor]] = [
        ('decode', segmentor.decode_head, outputs['logits'])]
    if segmentor.with_auxiliary_head and 'aux_logits' in outputs:
        single = not isinstance(segmentor.auxiliary_head, nn.ModuleList)
        aux = [segmentor.auxiliary_head] if single else list(segmentor.auxiliary_head)
        heads += [('aux' if single else f'aux_{i}', head, logits)
                  for i, (head, logits) in enumerate(zip(aux, outputs['aux_logits']))]
    losses: Tensors = {}
    for prefix, head, logits in heads:
        logits = F.interpolate(logits, size=labels.shape[-2:], mode='bilinear',
                               align_corners=head.align_corners)
        modules = head.loss_decode if isinstance(head.loss_decode, nn.ModuleList) else [
            head.loss_decode]
        head_losses: Tensors = {}
        for module in modules:
            value = module(logits, labels, weight=weight, ignore_index=head.ignore_index)
            head_losses[module.loss_name] = head_losses.get(module.loss_name, 0) + value
        head_losses['acc_seg'] = accuracy(logits, labels, ignore_index=head.ignore_index)
        losses.update(add_prefix(head_losses, prefix))
    return losses


@MODELS.register_module()
class DACS(BaseAdaptation):
    """Cross-domain mixed sampling with a mean teacher (Tranheden et al., WACV 2021).

    Each iteration past warm-up (DAFormer's ``dacs.py``, the order kept):

    1. the EMA teacher (:class:`EMATeacher`) labels the un-augmented target images: arg-max
       pseudo labels, every target pixel weighted by the share of the batch's pixels whose
       top probability is at least ``pseudo_threshold`` (:func:`confidence_weight`);
    2. ClassMix (:func:`class_mix_masks`): half of the classes of each source label map are
       pasted, pixels, labels and weight 1, onto the target image, pseudo labels and quality
       weight;
    3. colour jitter and Gaussian blur (:func:`strong_transform`) on the mixed images;
    4. the student is trained on them with the pixel-weighted segmentation loss
       (:func:`weighted_segmentation_losses`), logged as ``tgt.<name>.mix.decode.loss_*``;
    5. with ``masked_consistency`` (MIC), the same for colour-augmented, block-masked target
       images against the teacher's pseudo labels (``tgt.<name>.masked.decode.loss_*``);
    6. after the student's step, the teacher's EMA update (:meth:`after_generator_step`).

    The student's source loss is the UDA segmentor's own; the student never runs on the plain
    target images (``uses_target`` is False), only on the mixed ones. Its source and mixed
    losses take one backward (DAFormer runs one backward per loss; the gradient is the same sum,
    the activations of both are held together).

    Args:
        num_classes (int): Classes (filled in by ``UDASegmentor``).
        teacher (dict): Config of the mean teacher (:class:`EMATeacher`).
        pseudo_threshold (float): Confidence above which a pixel counts towards the quality
            weight; 0.968 (DACS, DAFormer).
        pseudo_weight_ignore_top (int): Rows at the top of the pseudo labels with weight 0
            (DAFormer's Cityscapes configs: 15, its ``croppl``); 0 in DACS.
        pseudo_weight_ignore_bottom (int): Rows at the bottom likewise (DAFormer: 120).
        color_jitter_strength (float): s of the colour jitter, 0.2.
        color_jitter_probability (float): The jitter runs when a uniform draw exceeds it, 0.2
            (so 80% of the iterations, as in DAFormer's code).
        blur (bool): Gaussian blur in half of the iterations.
        masked_consistency (dict, optional): Config of a :class:`MaskedImageConsistency` (MIC,
            Hoyer et al., CVPR 2023): the student is also trained on block-masked target
            images towards the same pseudo labels and weights (MIC shares the teacher).
        init_cfg (dict, optional): Initialisation config.
    """

    required_outputs = ('logits', )
    uses_target = False
    extra_forward = True

    def __init__(self, num_classes: int, teacher: ConfigType = dict(type='EMATeacher'),
                 pseudo_threshold: float = 0.968, pseudo_weight_ignore_top: int = 0,
                 pseudo_weight_ignore_bottom: int = 0, color_jitter_strength: float = 0.2,
                 color_jitter_probability: float = 0.2, blur: bool = True,
                 masked_consistency: Optional[ConfigType] = None,
                 init_cfg: Optional[ConfigType] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 < pseudo_threshold <= 1:
            raise ValueError(f'DACS pseudo_threshold must be in (0, 1], got {pseudo_threshold}')
        if not 0 <= color_jitter_probability <= 1:
            raise ValueError('DACS color_jitter_probability must be in [0, 1], got '
                             f'{color_jitter_probability}')
        if color_jitter_strength < 0:
            raise ValueError(f'DACS color_jitter_strength must be >= 0, got '
                             f'{color_jitter_strength}')
        for name, rows in (('pseudo_weight_ignore_top', pseudo_weight_ignore_top),
                           ('pseudo_weight_ignore_bottom', pseudo_weight_ignore_bottom)):
            if not isinstance(rows, int) or rows < 0:
                raise ValueError(f'DACS {name} must be an integer >= 0, got {rows!r}')
        self.num_classes = num_classes
        self.teacher = MODELS.build(teacher)
        if not isinstance(self.teacher, EMATeacher):
            raise TypeError(f'DACS teacher must build an EMATeacher, got '
                            f'{type(self.teacher).__name__}')
        self.pseudo_threshold = pseudo_threshold
        self.ignore_top = pseudo_weight_ignore_top
        self.ignore_bottom = pseudo_weight_ignore_bottom
        self.jitter_strength = color_jitter_strength
        self.jitter_probability = color_jitter_probability
        self.blur = blur
        self.masked_consistency: Optional[MaskedImageConsistency] = None
        if masked_consistency is not None:
            self.masked_consistency = MODELS.build(masked_consistency)
            if not isinstance(self.masked_consistency, MaskedImageConsistency):
                raise TypeError('DACS masked_consistency must build a MaskedImageConsistency, '
                                f'got {type(self.masked_consistency).__name__}')

    def bind_segmentor(self, segmentor: EncoderDecoder) -> None:
        """Build the teacher as a copy of the segmentor."""
        self.teacher.bind(segmentor)
        self._preprocessor_size = getattr(segmentor.data_preprocessor, 'size', None)

    def check_train_dataset(self, dataset, key: str) -> None:
        """Before the first iteration (``DataChecksHook``): the first source and target
        samples after their pipelines must have one size, unless the data preprocessor pads
        every batch to a fixed ``size``.

        Raises:
            ValueError: Naming both sizes and the config key of the dataset.
        """
        if getattr(self, '_preprocessor_size', None) is not None:
            return
        shapes = [dataset.source[0]['inputs'].shape, dataset.target[0]['inputs'].shape]
        check_same_size(f'{type(self).__name__} (ClassMix, {key})', shapes)

    def forward(self, outputs: Outputs, data_samples: SampleList,
                domain: str) -> Tuple[Tensors, Tensors]:
        """Nothing on the plain domain passes: DACS's losses are on the mixed images."""
        return {}, {}

    def pseudo_labels(self, segmentor: EncoderDecoder,
                      target_inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The teacher's pseudo labels of the target images and their pixel weights (the
        teacher starts as a copy of ``segmentor`` at its first call)."""
        if not bool(self.teacher.started):
            self.teacher.start(segmentor)
        return confidence_weight(self.teacher.logits(target_inputs), self.pseudo_threshold,
                                 self.ignore_top, self.ignore_bottom)

    def mix(self, segmentor: EncoderDecoder, source: dict, target: dict, pseudo: torch.Tensor,
            weight: torch.Tensor
            ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mixed images, labels, pixel weights and the masks (1 = source pixel), from the
        target's pseudo labels and weights (:meth:`pseudo_labels`)."""
        src_img, tgt_img = source['inputs'], target['inputs']
        check_same_size(f'{type(self).__name__} (ClassMix)', (src_img.shape, tgt_img.shape))
        if src_img.shape[0] != tgt_img.shape[0]:
            raise ValueError(f'{type(self).__name__} (ClassMix) pairs source and target images '
                             f'one to one, got batches of {src_img.shape[0]} and '
                             f'{tgt_img.shape[0]}')
        ignore = segmentor.decode_head.ignore_index
        labels = label_maps(source['data_samples'], src_img.shape[2:], ignore,
                            f'{type(self).__name__} source')
        masks = class_mix_masks(labels)
        images = one_mix(masks, src_img, tgt_img)
        mixed_labels = one_mix(masks, labels, pseudo)
        mixed_weight = one_mix(masks, torch.ones_like(weight), weight)
        images = strong_transform(images, *self._normalisation(segmentor, images),
                                  self.jitter_strength, self.jitter_probability, self.blur,
                                  rgb=self._rgb(segmentor))
        return images, mixed_labels, mixed_weight, masks

    @staticmethod
    def _normalisation(segmentor: EncoderDecoder,
                       images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The data preprocessor's mean and std (0 and 1 when it does not normalise)."""
        preprocessor = segmentor.data_preprocessor
        if getattr(preprocessor, '_enable_normalize', False):
            return preprocessor.mean.to(images), preprocessor.std.to(images)
        return images.new_zeros(3, 1, 1), images.new_ones(3, 1, 1)

    @staticmethod
    def _rgb(segmentor: EncoderDecoder) -> bool:
        return bool(getattr(segmentor.data_preprocessor, 'channel_conversion', True))

    def extra_losses(self, segmentor: EncoderDecoder, student: Student, source: dict,
                     target: dict) -> Tensors:
        """The student's pixel-weighted losses on the mixed images (``mix.*``) and, with
        ``masked_consistency``, on the masked target images (``masked.*``)."""
        pseudo, weight = self.pseudo_labels(segmentor, target['inputs'])
        images, labels, mixed_weight, _ = self.mix(segmentor, source, target, pseudo, weight)
        aux = segmentor.with_auxiliary_head
        losses = add_prefix(weighted_segmentation_losses(
            segmentor, student(images, aux), labels, mixed_weight), 'mix')
        losses['mix.pseudo_weight'] = mixed_weight.detach().mean()
        if self.masked_consistency is not None:
            mic = self.masked_consistency
            tgt = target['inputs']
            masked = mic.masked_images(tgt, *self._normalisation(segmentor, tgt),
                                       self.jitter_strength, self.jitter_probability,
                                       rgb=self._rgb(segmentor))
            masked_losses = weighted_segmentation_losses(segmentor, student(masked, aux),
                                                         pseudo, weight)
            losses.update(add_prefix(
                {k: v * mic.loss_weight if 'loss' in k else v
                 for k, v in masked_losses.items()}, 'masked'))
        return losses

    def after_generator_step(self, segmentor: EncoderDecoder) -> None:
        """The teacher's EMA update towards the student just stepped."""
        if bool(self.teacher.started):
            self.teacher.update(segmentor)
