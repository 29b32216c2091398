"""Interface shared by every adaptation module of the UDA segmentor."""
from typing import Callable, Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleDict

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from ..losses.adversarial_loss import AdversarialLoss, adversarial_loss

#: Names of the segmentor outputs an adaptation can read (see ``UDAGenerator``):
#: ``logits`` the decode head's output, ``aux_logits`` the auxiliary heads' outputs (a list),
#: ``features`` the backbone/neck features (a tuple of stages).
SEGMENTOR_OUTPUTS = ('logits', 'aux_logits', 'features')

Outputs = Dict[str, object]
Tensors = Dict[str, torch.Tensor]
#: An adversarial loss config, or one per representation key.
LossConfig = Union[None, ConfigType, Dict[str, ConfigType]]


def loss_cfg_or_older(owner: str, name: str, loss_cfg: LossConfig, default: ConfigType,
                      **older: Tuple[str, object]) -> LossConfig:
    """A loss config argument (``loss_adv``, ``loss_cmil``), or the loss config that the older
    arguments it replaces describe.

    Args:
        owner: The adaptation, named in the error.
        name: The loss config argument, named in the error.
        loss_cfg: Its value, or None.
        default: The loss config the older arguments default to.
        **older: By the loss-config key each sets, the older argument's name and value
            (None when not given), e.g. ``loss_weight=('loss_weight_adv', 0.001)``.

    Raises:
        ValueError: When ``loss_cfg`` and an older argument are both given.
    """
    given = {arg: value for arg, value in older.values() if value is not None}
    if loss_cfg is None:
        return dict(default, **{key: value for key, (_, value) in older.items()
                                if value is not None})
    if given:
        names = ', '.join(arg for arg, _ in older.values())
        raise ValueError(f'{owner} takes {name} or the arguments it replaces ({names}), not '
                         f'both; got {name}={loss_cfg!r} and {given}')
    return loss_cfg


def build_loss(owner: str, name: str, cfg: ConfigType) -> nn.Module:
    """``MODELS.build(cfg)``, its errors prefixed with the adaptation and the argument."""
    try:
        return MODELS.build(cfg)
    except (TypeError, ValueError, KeyError) as err:
        raise type(err)(f'{owner} {name}: {err}') from err


class BaseAdaptation(BaseModule):
    """One domain-adaptation objective plugged into :class:`UDASegmentor`.

    An adaptation reads some outputs of the wrapped segmentor (``required_outputs``), may own
    generator-side modules (its parameters are trained by the ``generator`` optimizer together
    with the segmentor, e.g. the PatchClusterHead of Tsai et al., ICCV 2019) and may own a
    discriminator (trained by the ``discriminator`` optimizer). The UDA segmentor calls it in
    this order each iteration, ``domain`` being ``'source'`` or ``'target'``
    (:data:`mmseg_uda.domains.DOMAINS`):

    1. :meth:`forward` on source outputs (generator step) -> source losses, representations;
    2. after warm-up, :meth:`forward` on target outputs -> target losses, representations, and
       :meth:`adversarial_losses` of the target representations under the frozen discriminator
       (and of the source representations, in step 1, if ``adversarial_on_source``);
    3. after warm-up, :meth:`extra_losses` of an adaptation with ``extra_forward`` (the segmentor
       on mixed or masked images it makes from both batches), in the same generator step;
    4. after warm-up, :meth:`discriminator_losses` on detached source and target
       representations, and :meth:`after_generator_step` when the generator step was taken.

    :meth:`bind_segmentor` is called once, when the UDA model is built.

    The representations are a dict; an adaptation that aligns one representation names its key
    ``rep_key`` (the key of its discriminator's input and output too, so of its checkpoint
    keys ``discriminators.<name>.<rep_key>.*``); tools read that attribute, not a copy.

    An adversarial adaptation builds its generator-side loss from a config, ``loss_adv``
    (:class:`~mmseg_uda.models.losses.AdversarialLoss` or a subclass, the way MMSeg heads build
    ``loss_decode``), one for all its representations or one per representation key. By
    default the generator side is that loss of D's logits against the source label
    (:meth:`adversarial_losses`), and the discriminator learns ½ L_D per domain with the same
    ``gan_type`` (:meth:`discriminator_losses`).

    Args:
        loss_adv (dict, optional): Config of the adversarial loss, or a dict of such configs by
            representation key; None for an adaptation without a discriminator.
        init_cfg (dict, optional): Initialisation config.
    """

    # Declarations: class attributes holding the defaults; an adaptation whose value depends on
    # its arguments sets its own in ``__init__``.
    #: Segmentor outputs this adaptation reads; checked against the segmentor at build time.
    required_outputs: Tuple[str, ...] = ('logits', )
    #: Whether this adaptation has any target-side loss (else no target pass is run for it).
    uses_target: bool = True
    #: Whether the target samples must carry (pseudo) labels as ``gt_sem_seg``.
    reads_target_labels: bool = False
    #: Whether the generator step also asks for adversarial losses of the *source*
    #: representations (e.g. domain confusion on both domains, Hoffman et al. 2016).
    adversarial_on_source: bool = False
    #: Key of the representation in the dict :meth:`forward` returns, for an adaptation that
    #: aligns one (``'modes'`` of PatchAlignment, ``'features'`` of GlobalFeatureAlignment);
    #: None for one with several keys (one per output level) or none.
    rep_key: Optional[str] = None
    #: Whether the names of the default losses end in the representation key
    #: (``loss_adv_logits``, ``loss_d_aux_logits``: one discriminator per output level) or not
    #: (``loss_adv``, ``loss_d``: one representation).
    loss_names_by_key: bool = False
    #: Whether the adaptation trains the segmentor on inputs it makes itself from both batches
    #: (mixed images, masked images): then the UDA generator calls :meth:`extra_losses` after
    #: the domain passes, the target batch is loaded past warm-up even when ``uses_target`` is
    #: False, and :meth:`after_generator_step` follows each generator step taken.
    extra_forward: bool = False

    def __init__(self, loss_adv: LossConfig = None, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_adv: Union[None, AdversarialLoss, ModuleDict] = None
        if loss_adv is not None:
            owner = type(self).__name__
            self.loss_adv = build_loss(owner, 'loss_adv', loss_adv) if 'type' in loss_adv else \
                ModuleDict({key: build_loss(owner, 'loss_adv', cfg)
                            for key, cfg in loss_adv.items()})
            losses = self.loss_adv.values() if isinstance(self.loss_adv, nn.ModuleDict) else [
                self.loss_adv]
            wrong = [type(loss).__name__ for loss in losses
                     if not isinstance(loss, AdversarialLoss)]
            if wrong:
                raise TypeError(f'{type(self).__name__} loss_adv must build AdversarialLoss '
                                f'modules (or subclasses), got {wrong}')

    def bind_segmentor(self, segmentor: nn.Module) -> None:
        """Called once by ``UDASegmentor`` with the wrapped segmentor, after the adaptations are
        built: an adaptation that keeps a copy of it (a mean teacher, a frozen ImageNet model)
        makes it here. Not stored as an attribute of the adaptation (that would register the
        segmentor twice). By default nothing."""

    def extra_losses(self, segmentor: nn.Module, student: Callable[[torch.Tensor, bool], Outputs],
                     source: dict, target: dict) -> Tensors:
        """Losses of the segmentor on inputs the adaptation makes (``extra_forward``).

        Called inside the generator's forward past warm-up, after the source (and target)
        passes, so a DDP-wrapped generator sees it in the same forward.

        Args:
            segmentor (EncoderDecoder): The wrapped segmentor (its heads' losses, its data
                preprocessor's normalisation).
            student (callable): ``student(inputs, need_aux)``, the segmentor outputs of
                preprocessed images (``UDAGenerator.segmentor_outputs``).
            source (dict): The preprocessed source batch (``inputs``, ``data_samples``).
            target (dict): The preprocessed target batch.

        Returns:
            dict: Losses (names containing ``loss_``), logged under the target's prefix.
        """
        raise NotImplementedError(f'{type(self).__name__} sets extra_forward but has no '
                                  'extra_losses')

    def after_generator_step(self, segmentor: nn.Module) -> None:
        """Called after each generator step that updated the weights, past warm-up (an EMA
        teacher's update). By default nothing."""

    def build_discriminator(self) -> Optional[nn.Module]:
        """The discriminator of this adaptation, or None if it has none.

        The module's ``forward`` takes the representations dict returned by :meth:`forward` and
        returns a dict of domain logits with the same keys.
        """
        return None

    def forward(self, outputs: Outputs, data_samples: SampleList,
                domain: str) -> Tuple[Tensors, Tensors]:
        """Losses and representations of one domain's segmentor outputs.

        Args:
            outputs (dict): Segmentor outputs, see ``SEGMENTOR_OUTPUTS``, plus ``input_shape`` and
                the preprocessed ``inputs``.
            data_samples (list[SegDataSample]): The batch's samples; target samples carry no
                ground truth.
            domain (str): ``'source'`` or ``'target'``.

        Returns:
            tuple[dict, dict]: Losses (names start with ``loss_``) and the representations the
            discriminator reads.
        """
        raise NotImplementedError

    def adversarial_loss_of(self, key: str) -> AdversarialLoss:
        """The adversarial loss module of representation ``key``."""
        if self.loss_adv is None:
            raise RuntimeError(f'{type(self).__name__} has a discriminator but no loss_adv')
        return self.loss_adv[key] if isinstance(self.loss_adv, nn.ModuleDict) else self.loss_adv

    def loss_name(self, name: str, key: str) -> str:
        """``name`` of the loss of representation ``key``, see ``loss_names_by_key``."""
        return f'{name}_{key}' if self.loss_names_by_key else name

    def adversarial_losses(self, preds: Tensors, domain: str = 'target') -> Tensors:
        """Generator-side losses of one domain's representations, given the frozen
        discriminator's logits ``preds`` on them. Called for the target after warm-up, and for
        the source too when ``adversarial_on_source`` is set.

        By default, for each key, its ``loss_adv`` of the logits against the source label:
        λadv · L_adv(D(P_t), 1) (AdaptSegNet; Tsai et al. 2019, Eq. 2), whichever ``domain``
        the representations come from.
        """
        losses: Tensors = {}
        for key, pred in preds.items():
            loss = self.adversarial_loss_of(key)
            losses[self.loss_name(loss.loss_name, key)] = loss(pred, 'source')
        return losses

    def discriminator_losses(self, preds: Tensors, domain: str) -> Tensors:
        """Discriminator losses of its logits ``preds`` on the detached representations of
        ``domain``: by default ½ L_D of each key against that domain's label
        (:func:`adversarial_loss` with the ``gan_type`` of its ``loss_adv``), so a source and a
        target call sum to the usual L_D (AdaptSegNet; Tsai et al. 2019, Eq. 4; Hoffman et al.
        2016, Sec. 3.1)."""
        return {
            self.loss_name('loss_d', key):
            0.5 * adversarial_loss(pred, domain, self.adversarial_loss_of(key).gan_type)
            for key, pred in preds.items()
        }


class CheckpointedFileState:
    """Mixin for an adaptation whose fixed content is read from a file (patch modes, class-size
    statistics) and kept in its checkpoints, so a trained model needs the file no more.

    The content lives in persistent buffers (``file_state_keys``, relative to the module). The
    module reads the file at build time when it exists; otherwise its buffers hold placeholders
    until a checkpoint that has them is loaded (``load_from``, ``--resume``, ``tools/test.py``):
    a model builds on any machine without the file. Training without either is an error before
    the first iteration (:meth:`check_file_state`, called by ``DataChecksHook.before_train``,
    i.e. after the runner loaded its checkpoint), and also at the first use of the content
    (:meth:`require_file_state`) for runs without that hook. When both exist, the loaded
    checkpoint's content replaces the file's (a resumed run keeps the content it started with).
    """

    #: Persistent buffers holding the file's content, relative to the module.
    file_state_keys: Tuple[str, ...] = ()
    #: Whether the buffers hold real content (read from the file or a checkpoint).
    file_state_ready: bool = False

    def load_file_state(self) -> None:
        """Read the file into the buffers; raise ``FileNotFoundError`` naming the command that
        builds it when it is missing (implemented by the adaptation)."""
        raise NotImplementedError

    def check_file_state(self) -> None:
        """Before the first iteration: the content must come from the file or a checkpoint."""
        if not self.file_state_ready:
            self.load_file_state()
            self.file_state_ready = True

    def require_file_state(self) -> None:
        """At use: as :meth:`check_file_state` (a Python flag test once the content is there)."""
        if not self.file_state_ready:
            self.check_file_state()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if self.file_state_keys and all(prefix + k in state_dict for k in self.file_state_keys):
            self.file_state_ready = True
