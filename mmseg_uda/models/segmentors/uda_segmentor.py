"""The UDA segmentor: wraps any MMSeg encoder-decoder and owns the adversarial train step."""
import logging
from collections import OrderedDict
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel, BaseModule, ModuleDict, is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmseg.models.segmentors import CascadeEncoderDecoder, EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList, add_prefix
from ...domains import DOMAINS, LOG_PREFIXES, check_domain
from ..adaptation.base_adaptation import SEGMENTOR_OUTPUTS, BaseAdaptation
from ..discriminators import DiscriminatorDict
from .step_guard import FiniteStepGuard

Tensors = Dict[str, torch.Tensor]
#: MessageHub runtime-info key of the running total of skipped steps (saved in checkpoints).
NONFINITE_TOTAL_KEY = 'uda_nonfinite_steps'
#: Where the plain MMSeg configs of source-only training are (stock ``EncoderDecoder`` models
#: and ``OptimWrapper`` schedules), named by the error for a ``UDASegmentor`` without
#: adaptations.
PLAIN_CONFIGS = 'configs/source_only/ and configs/_base_/models/plain/'


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a (DDP) model wrapper, or the module itself."""
    return module.module if is_model_wrapper(module) else module


class UDAGenerator(BaseModule):
    """The generator side G (+ adaptation heads) of the UDA segmentor.

    It is a separate child of :class:`UDASegmentor` (its ``generator``) so that
    ``MMSeparateDistributedDataParallel`` wraps it on its own: every forward used for a backward
    goes through the DDP wrapper, and the discriminators get their own wrapper and optimizer.
    The ``generator`` entry of ``optim_wrapper`` trains it, the ``discriminator`` entry the
    discriminators (as mmagic's ``BaseGAN``).

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
            dict: ``features``, ``logits``, ``aux_logits`` (a list, when run),
            ``input_shape`` and the ``inputs`` themselves.
        """
        seg = self.segmentor
        feats = seg.extract_feat(inputs)
        outputs: Dict[str, object] = dict(
            features=feats, logits=seg.decode_head.forward(feats), input_shape=inputs.shape[2:],
            inputs=inputs)
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

    def domain_forward(self, inputs: torch.Tensor, data_samples: SampleList, domain: str,
                       run_adaptations: bool = True) -> Tuple[Tensors, Dict[str, Tensors]]:
        """One domain's generator forward.

        Args:
            inputs (Tensor): Preprocessed images.
            data_samples (list[SegDataSample]): Samples (source ones carry ``gt_sem_seg``).
            domain (str): ``'source'`` (segmentation losses are computed) or ``'target'``;
                anything else is a ``ValueError``.
            run_adaptations (bool): Whether to run the adaptations (False during warm-up).

        Returns:
            tuple[dict, dict]: The losses, and each adaptation's representations by name.
        """
        supervised = check_domain(domain) == 'source'
        need_aux = supervised or (run_adaptations and any(
            'aux_logits' in ad.required_outputs for ad in self.adaptations.values()))
        outputs = self.segmentor_outputs(inputs, need_aux)
        losses = self.segmentation_losses(outputs, data_samples) if supervised else {}
        reps: Dict[str, Tensors] = {}
        if run_adaptations:
            for name, adaptation in self.adaptations.items():
                ad_losses, reps[name] = adaptation(outputs, data_samples, domain)
                losses.update(add_prefix(ad_losses, name))
        return losses, reps

    def forward(self, source: dict, target: Optional[dict] = None,
                run_adaptations: bool = True) -> Tuple[Dict[str, Tensors], Dict[str, dict]]:
        """The generator forward of one iteration: the source batch, then the target batch.

        Both domains go through one call so that a DDP-wrapped generator sees exactly one
        forward per backward: with ``find_unused_parameters`` DDP searches only the graph of
        the latest forward, and parameters used on the source alone (the auxiliary head, Ld's
        head) would otherwise be marked unused and then receive a gradient.

        Args:
            source (dict): Preprocessed source batch, ``dict(inputs=..., data_samples=...)``.
            target (dict, optional): Preprocessed target batch; None skips the target pass.
                When some adaptation has ``extra_forward`` and none ``uses_target``, the target
                batch feeds only their :meth:`~BaseAdaptation.extra_losses` (no plain target
                pass); those losses join the target's.
            run_adaptations (bool): Whether to run the adaptations (False during warm-up).

        Returns:
            tuple[dict, dict]: Losses and representations, each keyed by domain (``'source'``,
            ``'target'`` when given).
        """
        losses: Dict[str, Tensors] = {}
        reps: Dict[str, dict] = {}
        extra = [name for name, ad in self.adaptations.items() if ad.extra_forward] \
            if run_adaptations and target is not None else []
        target_pass = not extra or any(ad.uses_target for ad in self.adaptations.values())
        for domain, batch in zip(DOMAINS, (source, target if target_pass else None)):
            if batch is not None:
                losses[domain], reps[domain] = self.domain_forward(
                    batch['inputs'], batch['data_samples'], domain, run_adaptations)
        if extra:
            target_losses = losses.setdefault('target', {})
            reps.setdefault('target', {})
            for name in extra:
                target_losses.update(add_prefix(
                    self.adaptations[name].extra_losses(self.segmentor, self.segmentor_outputs,
                                                        source, target), name))
        return losses, reps


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

    Both domains go through the generator in one forward and one backward (a DDP wrapper
    requires one forward per backward), so the source and target graphs are alive together:
    the activation memory of a step is that of both domains, not the larger of the two.

    Inference (``predict``, ``val_step``, ``test_step``) is the wrapped segmentor's, so
    ``IoUMetric``, ``tools/test.py`` and the visualiser work unchanged, at the plain model's cost.

    Args:
        segmentor (dict): Config of an MMSeg ``EncoderDecoder`` (any backbone/heads).
        adaptations (dict): Adaptation configs by name (names become log-key prefixes);
            ``num_classes`` is filled in from the decode head. At least one: a segmentor
            trained without adaptation (source only) is a plain MMSeg config, see
            :data:`PLAIN_CONFIGS`.
        warmup_iters (int): Source-only iterations before adaptation starts.
        max_nonfinite_steps (int): Optimizer steps whose gradients are non-finite on any rank
            are skipped (weights and optimizer state are left unchanged, the running total is
            logged as ``nonfinite_steps`` and kept in the checkpoint); this many consecutive
            ones stop training with an error. Must be >= 1.
        data_preprocessor (dict, optional): Used for the segmentor when ``segmentor`` has no
            ``data_preprocessor`` of its own (mmengine's Runner passes the config's top-level
            one here); both domains are preprocessed by the segmentor's.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, segmentor: ConfigType, adaptations: OptConfigType = None,
                 warmup_iters: int = 0, max_nonfinite_steps: int = 10,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        if not adaptations:
            raise ValueError(
                f'model.adaptations is {adaptations!r}: a UDASegmentor needs at least one '
                'adaptation. Train a segmentor without adaptation (source only) as a plain MMSeg '
                f'EncoderDecoder config, as {PLAIN_CONFIGS} do')
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
        if not isinstance(max_nonfinite_steps, int) or max_nonfinite_steps < 1:
            raise ValueError('max_nonfinite_steps must be an integer >= 1 (consecutive skipped '
                             f'steps that stop training), got {max_nonfinite_steps!r}')
        self.warmup_iters = warmup_iters
        self.max_nonfinite_steps = max_nonfinite_steps
        self._nonfinite_in_a_row = 0
        self._generator_step_skipped = False
        self._guards: Dict[int, FiniteStepGuard] = {}

        adaptation_modules = ModuleDict()
        for name, cfg in adaptations.items():
            adaptation = MODELS.build(
                cfg, default_args=dict(num_classes=seg.decode_head.num_classes))
            if not isinstance(adaptation, BaseAdaptation):
                raise TypeError(f'model.adaptations.{name} must build a BaseAdaptation, got '
                                f'{type(adaptation).__name__}')
            self._check_outputs(name, adaptation, seg)
            adaptation.bind_segmentor(seg)
            adaptation_modules[name] = adaptation
        self.generator = UDAGenerator(seg, adaptation_modules)
        discriminators = {
            name: ad.build_discriminator()
            for name, ad in adaptation_modules.items()
        }
        self.discriminators = DiscriminatorDict(
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

    #: State-dict prefix of the wrapped segmentor: the only weights inference needs.
    inference_prefix = 'generator.segmentor.'

    @classmethod
    def uda_state_dict(cls, state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``state_dict`` in this model's key layout.

        A plain segmentor's state dict (no key under ``generator.`` or ``discriminators.``, e.g.
        a source-only ``EncoderDecoder`` checkpoint or one exported by ``uda_to_mmseg.py``) gets
        the ``generator.segmentor.`` prefix, as mmdet's ``SemiBaseDetector`` maps plain detector
        weights onto its student and teacher; a UDA state dict is returned unchanged.
        """
        if not state_dict or any(k.startswith(('generator.', 'discriminators.'))
                                 for k in state_dict):
            return state_dict
        return OrderedDict((cls.inference_prefix + k, v) for k, v in state_dict.items())

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        """Accept plain-segmentor state dicts (``load_from`` a source-only checkpoint)."""
        own = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
        mapped = self.uda_state_dict(own)
        if mapped is not own:
            for key in own:
                state_dict.pop(prefix + key)
            state_dict.update((prefix + k, v) for k, v in mapped.items())
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    @property
    def segmentor(self) -> EncoderDecoder:
        """The wrapped plain MMSeg segmentor, ``generator.segmentor``: the model inference runs
        and ``uda_to_mmseg.py`` exports. Not the part the ``generator`` optimizer trains, which is
        :attr:`generator`, the segmentor with the adaptations' generator-side heads."""
        return unwrap(self.generator).segmentor

    @property
    def out_channels(self) -> int:
        """The wrapped segmentor's ``out_channels`` (read by MMSeg's ``SegTTAModel``)."""
        return self.segmentor.out_channels

    @property
    def decode_head(self) -> nn.Module:
        """The wrapped segmentor's decode head (read by MMSeg's ``SegTTAModel``)."""
        return self.segmentor.decode_head

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
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        """One UDA iteration, shaped like mmagic's ``BaseGAN.train_step``: a generator step with
        the discriminators frozen (:meth:`train_generator`), then a discriminator step on the
        detached representations (:meth:`train_discriminator`), each inside its wrapper's
        ``optim_context`` and through its ``update_params``.

        Args:
            data (dict): ``dict(source=batch, target=batch)`` as collated from
                :class:`UDADataset` (``target`` may be absent during the warm-up, see
                ``UDAWarmupBatchSampler``).
            optim_wrapper (OptimWrapperDict): ``generator`` and, when any adaptation has a
                discriminator, ``discriminator`` wrappers (``UDAOptimWrapperConstructor``).

        Returns:
            dict: Log variables prefixed ``src.``, ``tgt.`` (each domain's
            :data:`~mmseg_uda.domains.LOG_PREFIXES`), ``adv.`` and ``disc.``, and
            ``nonfinite_steps``, the running total of skipped steps.
        """
        adaptations = unwrap(self.generator).adaptations
        if not isinstance(data, dict) or 'source' not in data:
            raise KeyError('UDASegmentor.train_step expects dict(source=..., target=...) batches '
                           f'(use UDADataset); got {type(data).__name__}'
                           f"{' with keys ' + str(sorted(data)) if isinstance(data, dict) else ''}")
        seg_wrapper, disc_wrapper = self._split_wrappers(optim_wrapper)
        cur_iter = MessageHub.get_current_instance().get_info('iter', 0)
        adapt = cur_iter >= self.warmup_iters
        adapt_target = adapt and any(ad.uses_target or ad.extra_forward
                                     for ad in adaptations.values())
        if adapt_target and data.get('target') is None:
            raise KeyError(
                f'UDASegmentor.train_step: iteration {cur_iter} is past model.warmup_iters='
                f'{self.warmup_iters} but the batch has no target images; if the dataloader uses '
                'UDAWarmupBatchSampler, set its warmup_iters to model.warmup_iters')
        source = self.data_preprocessor(data['source'], True)
        target = self.data_preprocessor(data['target'], True) if adapt_target else None

        with seg_wrapper.optim_context(self.generator):
            log_vars, reps = self.train_generator(source, target, adapt, seg_wrapper)
        if adapt and not self._generator_step_skipped:
            for adaptation in adaptations.values():
                adaptation.after_generator_step(self.segmentor)
        if 'target' in reps and disc_wrapper is not None and self.with_discriminators \
                and not self._generator_step_skipped:
            with disc_wrapper.optim_context(self.discriminators):
                log_vars.update(self.train_discriminator(reps, disc_wrapper))
        log_vars['nonfinite_steps'] = torch.tensor(float(self._nonfinite_total()))
        return log_vars

    def train_generator(self, source: dict, target: Optional[dict], adapt: bool,
                        optim_wrapper: OptimWrapper) -> Tuple[Dict[str, torch.Tensor], dict]:
        """Generator step: segmentor and adaptation heads, discriminators frozen.

        Source: the segmentor's losses and the adaptations' source losses (e.g. Ld); target
        (after warm-up): the adaptations' target losses and the adversarial losses under the
        frozen discriminators. One forward of both domains, one ``update_params``.

        Args:
            source (dict): Preprocessed source batch.
            target (dict, optional): Preprocessed target batch, None during warm-up.
            adapt (bool): Whether the adaptations run (past warm-up).
            optim_wrapper (OptimWrapper): The ``generator`` wrapper.

        Returns:
            tuple[dict, dict]: Log variables, and the representations by domain for the
            discriminator step.
        """
        self._set_requires_grad(self.discriminators, False)
        losses, reps = self.generator(source, target, run_adaptations=adapt)
        parts = {}
        for domain, domain_losses in losses.items():  # the source, then the target if given
            parts[domain] = add_prefix(domain_losses, LOG_PREFIXES[domain])
            if adapt:  # always, when the target is given
                parts[domain].update(
                    add_prefix(self._adversarial_losses(reps[domain], domain), 'adv'))
        total, log_vars = 0., {}
        for domain, domain_losses in parts.items():
            loss, domain_log = self.parse_losses(domain_losses)
            domain_log[f'{LOG_PREFIXES[domain]}.loss'] = domain_log.pop('loss')
            total = total + loss
            log_vars.update(domain_log)
        self._generator_step_skipped = self._update_params(optim_wrapper, total, self.generator,
                                                           'generator', log_vars)
        return log_vars, reps

    def train_discriminator(self, reps: Dict[str, dict],
                            optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """Discriminator step on the detached source and target representations.

        Args:
            reps (dict): Representations by domain, from :meth:`train_generator`.
            optim_wrapper (OptimWrapper): The ``discriminator`` wrapper.

        Returns:
            dict: Log variables prefixed ``disc.src.`` / ``disc.tgt.``.
        """
        self._set_requires_grad(self.discriminators, True)
        adaptations = unwrap(self.generator).adaptations
        losses: Tensors = {}
        for domain in DOMAINS:
            detached = {n: {k: v.detach() for k, v in r.items()}
                        for n, r in reps[domain].items() if n in unwrap(self.discriminators)}
            preds = self.discriminators(detached)
            for name, pred in preds.items():
                losses.update(add_prefix(
                    adaptations[name].discriminator_losses(pred, domain=domain),
                    f'disc.{LOG_PREFIXES[domain]}.{name}'))
        loss, log_vars = self.parse_losses(losses)
        log_vars.pop('loss')
        self._update_params(optim_wrapper, loss, self.discriminators, 'discriminator', log_vars)
        return log_vars

    def _adversarial_losses(self, reps: Dict[str, Tensors], domain: str) -> Tensors:
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
            if domain == 'source' and not adaptation.adversarial_on_source:
                continue
            preds = bank[name](reps[name])
            losses.update(add_prefix(adaptation.adversarial_losses(preds, domain=domain), name))
        return losses

    def _split_wrappers(
            self, optim_wrapper: OptimWrapperDict) -> Tuple[OptimWrapper, Optional[OptimWrapper]]:
        """The ``generator`` wrapper and the ``discriminator`` one (None when no adaptation
        has a discriminator)."""
        if not isinstance(optim_wrapper, OptimWrapperDict):
            raise TypeError('UDASegmentor trains with one optimizer per part: use optim_wrapper='
                            "dict(constructor='UDAOptimWrapperConstructor', generator=..., "
                            f'discriminator=...), got {type(optim_wrapper).__name__}')
        if 'generator' not in optim_wrapper:
            raise KeyError('optim_wrapper needs a "generator" entry, got '
                           f'{list(optim_wrapper.keys())}')
        disc = optim_wrapper['discriminator'] if 'discriminator' in optim_wrapper else None
        if disc is None and self.with_discriminators:
            raise KeyError('the adaptations have discriminators but optim_wrapper has no '
                           '"discriminator" entry')
        return optim_wrapper['generator'], disc

    @staticmethod
    def _set_requires_grad(module: nn.Module, flag: bool) -> None:
        for param in module.parameters():
            param.requires_grad_(flag)

    def _update_params(self, wrapper: OptimWrapper, loss: torch.Tensor, module: nn.Module,
                       part: str, log_vars: Dict[str, torch.Tensor]) -> bool:
        """``wrapper.update_params(loss)``, with a step on non-finite gradients skipped.

        The optimizer carries a :class:`FiniteStepGuard` (registered on first use): a step
        whose gradients are non-finite on any rank leaves the weights and the optimizer state
        unchanged and is counted. The loss values of a skipped step are left out of the log
        (they would stay in mmengine's smoothing window for ``interval`` iterations).
        ``max_nonfinite_steps`` skipped steps in a row stop training; so does a non-finite
        BatchNorm statistic, which a skipped step cannot undo.

        Returns:
            bool: Whether the step was skipped.

        Raises:
            FloatingPointError: After ``max_nonfinite_steps`` consecutive skipped steps, or when
                a buffer of ``module`` became non-finite. No non-finite weight or statistic was
                ever stepped into or saved: the last checkpoint is usable.
        """
        guard = self._guards.get(id(wrapper.optimizer))
        if guard is None:
            guard = self._guards[id(wrapper.optimizer)] = FiniteStepGuard(wrapper.optimizer,
                                                                          module)
        guard.reset()
        wrapper.update_params(loss)
        if not guard.stepped:
            return False  # accumulating gradients
        if not guard.skipped:
            self._nonfinite_in_a_row = 0
            return False
        self._nonfinite_in_a_row += 1
        hub = MessageHub.get_current_instance()
        total = self._nonfinite_total() + 1
        hub.update_info(NONFINITE_TOTAL_KEY, total)
        values = ', '.join(f'{k}={v.item():.4g}' for k, v in log_vars.items() if 'loss' in k)
        for key in [k for k in log_vars if 'loss' in k]:
            log_vars.pop(key)
        cur_iter = hub.get_info('iter', 0)
        if not guard.buffers_finite:
            raise FloatingPointError(
                f'iteration {cur_iter}: the BatchNorm statistics (buffers) of the {part} became '
                f'non-finite ({values}); training stopped. No non-finite weight or statistic '
                'was stepped into or saved: the last checkpoint is usable (check the data and '
                'lower the learning rate).')
        print_log(f'iteration {cur_iter}: non-finite gradients in the {part} step ({values}): '
                  f'step skipped, weights not updated ({self._nonfinite_in_a_row} in a row, '
                  f'{total} in all)', logger='current', level=logging.WARNING)
        if self._nonfinite_in_a_row >= self.max_nonfinite_steps:
            raise FloatingPointError(
                f'{self._nonfinite_in_a_row} consecutive steps had non-finite gradients (the '
                f'last at iteration {cur_iter}, in the {part} step); training stopped. Those '
                'steps were skipped, so no non-finite weight was stepped into or saved: the '
                'last checkpoint is usable (lower the learning rate or check the data).')
        return True

    @staticmethod
    def _nonfinite_total() -> int:
        """Skipped steps since the start of training (kept in the checkpoint's message hub)."""
        return int(MessageHub.get_current_instance().get_info(NONFINITE_TOTAL_KEY, 0))
