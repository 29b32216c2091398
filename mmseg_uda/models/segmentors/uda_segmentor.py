"""The UDA segmentor: wraps any MMSeg encoder-decoder and owns the adversarial train step."""
import logging
from typing import Dict, Optional, Tuple, Union

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel, BaseModule, ModuleDict, is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmseg.models.segmentors import CascadeEncoderDecoder, EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList, add_prefix
from ..adaptation.base_adaptation import SEGMENTOR_OUTPUTS, BaseAdaptation

Tensors = Dict[str, torch.Tensor]


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a (DDP) model wrapper, or the module itself."""
    return module.module if is_model_wrapper(module) else module


class UDAGenerator(BaseModule):
    """The generator side G (+ adaptation heads) of the UDA segmentor.

    It is a separate child of :class:`UDASegmentor` so that
    ``MMSeparateDistributedDataParallel`` wraps it on its own: every forward used for a backward
    goes through the DDP wrapper, and the discriminators get their own wrapper and optimizer.

    Args:
        segmentor (EncoderDecoder): The plain MMSeg segmentor.
        adaptations (ModuleDict): The adaptation modules, by name.

    mmengine's ``init_weights`` only recurses into children that have one, so this container
    and the module dicts below are mmengine modules: the segmentor's ``init_cfg`` (e.g. the
    ``Pretrained`` backbone) and the adaptations' are applied by ``UDASegmentor.init_weights``.
    """

    def __init__(self, segmentor: EncoderDecoder, adaptations: ModuleDict) -> None:
        super().__init__()
        self.segmentor = segmentor
        self.adaptations = adaptations

    def segmentor_outputs(self, inputs: torch.Tensor, need_aux: bool) -> Dict[str, object]:
        """Backbone features and head logits of the wrapped segmentor.

        Args:
            inputs (Tensor): Preprocessed images (N, 3, H, W).
            need_aux (bool): Whether to run the auxiliary heads.

        Returns:
            dict: ``features``, ``logits``, ``aux_logits`` (a list, when run) and
            ``input_shape``.
        """
        seg = self.segmentor
        feats = seg.extract_feat(inputs)
        outputs: Dict[str, object] = dict(
            features=feats, logits=seg.decode_head.forward(feats), input_shape=inputs.shape[2:])
        if need_aux and seg.with_auxiliary_head:
            heads = seg.auxiliary_head
            heads = heads if isinstance(heads, nn.ModuleList) else [heads]
            outputs['aux_logits'] = [head.forward(feats) for head in heads]
        return outputs

    def segmentation_losses(self, outputs: Dict[str, object], data_samples: SampleList) -> Tensors:
        """The segmentor's own supervised losses, named as ``EncoderDecoder.loss`` names them."""
        seg = self.segmentor
        losses = add_prefix(seg.decode_head.loss_by_feat(outputs['logits'], data_samples),
                            'decode')
        if not seg.with_auxiliary_head:
            return losses
        aux_logits = outputs.get('aux_logits', [])
        single = not isinstance(seg.auxiliary_head, nn.ModuleList)
        heads = [seg.auxiliary_head] if single else seg.auxiliary_head
        for idx, (head, logits) in enumerate(zip(heads, aux_logits)):
            losses.update(
                add_prefix(head.loss_by_feat(logits, data_samples),
                           'aux' if single else f'aux_{idx}'))
        return losses

    def forward(self, inputs: torch.Tensor, data_samples: SampleList, domain: str,
                run_adaptations: bool = True) -> Tuple[Tensors, Dict[str, Tensors]]:
        """One domain's generator forward.

        Args:
            inputs (Tensor): Preprocessed images.
            data_samples (list[SegDataSample]): Samples (source ones carry ``gt_sem_seg``).
            domain (str): ``'source'`` (segmentation losses are computed) or ``'target'``.
            run_adaptations (bool): Whether to run the adaptations (False during warm-up).

        Returns:
            tuple[dict, dict]: The losses, and each adaptation's representations by name.
        """
        is_source = domain == 'source'
        need_aux = is_source or (run_adaptations and any(
            'aux_logits' in ad.required_outputs for ad in self.adaptations.values()))
        outputs = self.segmentor_outputs(inputs, need_aux)
        losses = self.segmentation_losses(outputs, data_samples) if is_source else {}
        reps: Dict[str, Tensors] = {}
        if run_adaptations:
            for name, adaptation in self.adaptations.items():
                ad_losses, reps[name] = adaptation(outputs, data_samples, domain)
                losses.update(add_prefix(ad_losses, name))
        return losses, reps


class DiscriminatorBank(ModuleDict):
    """The adaptations' discriminators by adaptation name, called together."""

    def forward(self, reps: Dict[str, Tensors]) -> Dict[str, Tensors]:
        """Domain logits of every adaptation's representations."""
        return {name: self[name](reps[name]) for name in self}


@MODELS.register_module()
class UDASegmentor(BaseModel):
    """Unsupervised domain adaptation around any MMSeg encoder-decoder segmentor.

    Training alternates, as in AdaptSegNet (Tsai et al., CVPR 2018) and patch-level alignment
    (Tsai et al., ICCV 2019): (1) the segmentor (and adaptation heads) with frozen
    discriminators on source losses and, after warm-up, the adaptations' target losses;
    (2) the discriminators on detached source/target representations. During the first
    ``warmup_iters`` iterations only the source segmentation loss is used and the target
    images are not forwarded at all; neither are they when no adaptation has a target-side loss
    (``uses_target``, e.g. the ``Ls + Ld`` ablation of patch alignment).

    Inference (``predict``, ``val_step``, ``test_step``) is the wrapped segmentor's, so
    ``IoUMetric``, ``tools/test.py`` and the visualiser work unchanged, at the plain model's cost.

    Args:
        segmentor (dict): Config of an MMSeg ``EncoderDecoder`` (any backbone/heads).
        adaptations (dict): Adaptation configs by name (names become log-key prefixes);
            ``num_classes`` is filled in from the decode head.
        warmup_iters (int): Source-only iterations before adaptation starts.
        max_nonfinite_steps (int): Iterations with a non-finite loss are skipped (weights are
            not updated, BatchNorm statistics are restored); this many consecutive ones stop
            training with an error.
        data_preprocessor (dict, optional): Used for the segmentor when ``segmentor`` has no
            ``data_preprocessor`` of its own (mmengine's Runner passes the config's top-level
            one here); both domains are preprocessed by the segmentor's.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, segmentor: ConfigType, adaptations: OptConfigType = None,
                 warmup_iters: int = 0, max_nonfinite_steps: int = 10,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        if data_preprocessor is not None and segmentor.get('data_preprocessor') is None:
            segmentor = dict(segmentor, data_preprocessor=data_preprocessor)
        seg = MODELS.build(segmentor)
        if not isinstance(seg, EncoderDecoder) or isinstance(seg, CascadeEncoderDecoder):
            raise TypeError('UDASegmentor wraps an EncoderDecoder segmentor, got '
                            f'{type(seg).__name__} from model.segmentor.type='
                            f"{segmentor.get('type')!r}")
        super().__init__(data_preprocessor=seg.data_preprocessor, init_cfg=init_cfg)
        if warmup_iters < 0:
            raise ValueError(f'warmup_iters must be >= 0, got {warmup_iters}')
        self.warmup_iters = warmup_iters
        self.max_nonfinite_steps = max_nonfinite_steps
        self._nonfinite_steps = 0

        adaptation_modules = ModuleDict()
        for name, cfg in (adaptations or {}).items():
            adaptation = MODELS.build(
                cfg, default_args=dict(num_classes=seg.decode_head.num_classes))
            if not isinstance(adaptation, BaseAdaptation):
                raise TypeError(f'model.adaptations.{name} must build a BaseAdaptation, got '
                                f'{type(adaptation).__name__}')
            self._check_outputs(name, adaptation, seg)
            adaptation_modules[name] = adaptation
        self.generator = UDAGenerator(seg, adaptation_modules)
        discriminators = {
            name: ad.build_discriminator()
            for name, ad in adaptation_modules.items()
        }
        self.discriminators = DiscriminatorBank(
            {k: v
             for k, v in discriminators.items() if v is not None})

    @staticmethod
    def _check_outputs(name: str, adaptation: BaseAdaptation, seg: EncoderDecoder) -> None:
        for output in adaptation.required_outputs:
            if output not in SEGMENTOR_OUTPUTS:
                raise ValueError(f'model.adaptations.{name} reads unknown output {output!r}; '
                                 f'known: {SEGMENTOR_OUTPUTS}')
            if output == 'aux_logits' and not seg.with_auxiliary_head:
                raise ValueError(f"model.adaptations.{name} reads 'aux_logits' but "
                                 'model.segmentor has no auxiliary_head')

    @property
    def segmentor(self) -> EncoderDecoder:
        """The wrapped plain MMSeg segmentor."""
        return unwrap(self.generator).segmentor

    @property
    def with_discriminators(self) -> bool:
        """Whether any adaptation owns a discriminator."""
        return len(unwrap(self.discriminators)) > 0

    # ------------------------------------------------------------------ inference: delegated
    def forward(self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], list, torch.Tensor]:
        """The wrapped segmentor's forward (``loss``, ``predict`` or ``tensor``)."""
        return self.segmentor(inputs, data_samples, mode)

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        """Prediction by the wrapped segmentor."""
        return self.segmentor.val_step(data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        """Prediction by the wrapped segmentor."""
        return self.segmentor.test_step(data)

    # ------------------------------------------------------------------ training
    def train_step(self, data: Dict[str, dict],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]) -> Dict[str, torch.Tensor]:
        """One UDA iteration: generator step, then discriminator step.

        Args:
            data (dict): ``dict(source=batch, target=batch)`` as collated from
                :class:`UDADataset`; without adaptations a plain source batch is accepted too.
            optim_wrapper (OptimWrapperDict | OptimWrapper): ``segmentor`` and, when any
                adaptation has a discriminator, ``discriminator`` wrappers.

        Returns:
            dict: Log variables prefixed ``src.``, ``tgt.``, ``adv.`` and ``disc.``.
        """
        has_adaptations = len(unwrap(self.generator).adaptations) > 0
        if isinstance(data, dict) and 'source' not in data and 'inputs' in data \
                and not has_adaptations:
            data = dict(source=data)  # source-only training on a plain source dataset
        if not isinstance(data, dict) or 'source' not in data:
            raise KeyError('UDASegmentor.train_step expects dict(source=..., target=...) batches '
                           f'(use UDADataset); got {type(data).__name__}'
                           f"{' with keys ' + str(sorted(data)) if isinstance(data, dict) else ''}")
        seg_wrapper, disc_wrapper = self._split_wrappers(optim_wrapper)
        cur_iter = MessageHub.get_current_instance().get_info('iter', 0)
        adapt = has_adaptations and cur_iter >= self.warmup_iters
        adapt_target = adapt and any(
            ad.uses_target for ad in unwrap(self.generator).adaptations.values())
        if adapt_target and 'target' not in data:
            raise KeyError('UDASegmentor.train_step needs a target batch after warm-up')
        log_vars: Dict[str, torch.Tensor] = {}

        # (1) generator step, discriminators frozen
        self._set_requires_grad(self.discriminators, False)
        # BatchNorm statistics are updated by the forward itself: keep a copy to undo a
        # non-finite iteration completely.
        buffers = [(buf, buf.detach().clone()) for buf in self.generator.buffers()]
        src = self.data_preprocessor(data['source'], True)
        with seg_wrapper.optim_context(self.generator):
            src_losses, src_reps = self.generator(src['inputs'], src['data_samples'], 'source',
                                                  run_adaptations=adapt)
            losses = add_prefix(src_losses, 'src')
            if adapt:
                losses.update(add_prefix(self._adversarial_losses(src_reps, is_source=True),
                                         'adv'))
        loss_src, src_log = self.parse_losses(losses)
        finite = self._backward_if_finite(seg_wrapper, loss_src)
        log_vars.update(src_log)
        log_vars['src.loss'] = log_vars.pop('loss')
        tgt_reps: Dict[str, Tensors] = {}
        if adapt_target and finite:
            tgt = self.data_preprocessor(data['target'], True)
            with seg_wrapper.optim_context(self.generator):
                tgt_losses, tgt_reps = self.generator(tgt['inputs'], tgt['data_samples'],
                                                      'target')
                losses = add_prefix(tgt_losses, 'tgt')
                losses.update(add_prefix(self._adversarial_losses(tgt_reps, is_source=False),
                                         'adv'))
            loss_tgt, tgt_log = self.parse_losses(losses)
            finite = self._backward_if_finite(seg_wrapper, loss_tgt)
            tgt_log.pop('loss')
            log_vars.update(tgt_log)
        self._step(seg_wrapper, finite)
        if not finite:
            with torch.no_grad():
                for buf, saved in buffers:
                    buf.copy_(saved)

        # (2) discriminator step on detached representations
        if adapt and finite and disc_wrapper is not None and self.with_discriminators \
                and tgt_reps:
            self._set_requires_grad(self.discriminators, True)
            disc_log: Dict[str, torch.Tensor] = {}
            for domain, reps in (('src', src_reps), ('tgt', tgt_reps)):
                reps = {n: {k: v.detach() for k, v in r.items()} for n, r in reps.items()}
                with disc_wrapper.optim_context(self.discriminators):
                    preds = self.discriminators(reps)
                    d_losses = {}
                    for name, pred in preds.items():
                        adaptation = unwrap(self.generator).adaptations[name]
                        d_losses.update(add_prefix(
                            adaptation.discriminator_losses(pred, domain == 'src'), name))
                loss_d, d_log = self.parse_losses(add_prefix(d_losses, f'disc.{domain}'))
                finite = self._backward_if_finite(disc_wrapper, loss_d) and finite
                d_log.pop('loss')
                disc_log.update(d_log)
                if not finite:
                    break
            self._step(disc_wrapper, finite)
            log_vars.update(disc_log)
        log_vars['nonfinite_steps'] = torch.tensor(float(self._nonfinite_steps))
        return log_vars

    def _adversarial_losses(self, reps: Dict[str, Tensors], is_source: bool) -> Tensors:
        """Generator-side adversarial losses under the frozen discriminators.

        The discriminators are called around their DDP wrapper: their parameters are frozen in
        this step, so nothing of theirs needs synchronising. On the source, only adaptations
        with ``adversarial_on_source`` take part.
        """
        bank = unwrap(self.discriminators)
        adaptations = unwrap(self.generator).adaptations
        losses: Tensors = {}
        for name in bank:
            adaptation = adaptations[name]
            if is_source and not adaptation.adversarial_on_source:
                continue
            preds = bank[name](reps[name])
            losses.update(add_prefix(adaptation.adversarial_losses(preds, is_source=is_source),
                                     name))
        return losses

    def _split_wrappers(
        self, optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
    ) -> Tuple[OptimWrapper, Optional[OptimWrapper]]:
        if isinstance(optim_wrapper, OptimWrapperDict):
            if 'segmentor' not in optim_wrapper:
                raise KeyError('optim_wrapper needs a "segmentor" entry, got '
                               f'{list(optim_wrapper.keys())}')
            disc = optim_wrapper['discriminator'] if 'discriminator' in optim_wrapper else None
            if disc is None and self.with_discriminators:
                raise KeyError('the adaptations have discriminators but optim_wrapper has no '
                               '"discriminator" entry')
            return optim_wrapper['segmentor'], disc
        if self.with_discriminators:
            raise TypeError('the adaptations have discriminators: use optim_wrapper='
                            "dict(constructor='UDAOptimWrapperConstructor', segmentor=..., "
                            'discriminator=...)')
        return optim_wrapper, None

    @staticmethod
    def _set_requires_grad(module: nn.Module, flag: bool) -> None:
        for param in module.parameters():
            param.requires_grad_(flag)

    def _backward_if_finite(self, wrapper: OptimWrapper, loss: torch.Tensor) -> bool:
        """Backward ``loss`` unless it is non-finite on any rank (then nothing is updated)."""
        finite = torch.isfinite(loss.detach()).float()
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(finite, op=dist.ReduceOp.MIN)
        if finite.item() < 1:
            return False
        wrapper.backward(loss)
        return True

    def _step(self, wrapper: OptimWrapper, finite: bool) -> None:
        """Optimizer step, or skip it (and count) after a non-finite loss."""
        if finite:
            wrapper.step()
            wrapper.zero_grad()
            self._nonfinite_steps = 0
            return
        wrapper.zero_grad()
        self._nonfinite_steps += 1
        print_log(f'non-finite loss: iteration skipped, weights not updated '
                  f'({self._nonfinite_steps} in a row)', logger='current', level=logging.WARNING)
        if self._nonfinite_steps >= self.max_nonfinite_steps:
            raise FloatingPointError(
                f'{self._nonfinite_steps} consecutive iterations had a non-finite loss; training '
                'stopped. The weights were never updated with a non-finite loss: the last '
                'checkpoint is usable (lower the learning rate or check the data).')
