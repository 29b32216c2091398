"""Patch-level alignment in a clustered space of patch modes (Tsai et al., ICCV 2019)."""
import inspect
import os.path as osp
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList
from ...patch_modes import (assign_modes, load_patch_modes, patch_grid_size, patch_histograms,
                            to_pair)
from ..discriminators import DiscriminatorDict
from .base_adaptation import (BaseAdaptation, CheckpointedFileState, Outputs, Tensors,
                              loss_cfg_or_older)
from .patch_cluster_head import PatchClusterHead

#: The :class:`PatchAlignment` arguments that fix which patches exist and what Γ assigns them.
GEOMETRY_ARGS = ('patch_size', 'grid', 'num_modes', 'ignore_index', 'min_labelled_fraction',
                 'head_pooling')


def crop_to_patch_grid(logits: torch.Tensor, input_shape: Sequence[int],
                       patch_size: Sequence[int]) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Restrict logits to the input region covered by whole patches, and the patch grid.

    The patch grid of an (H, W) input is ``floor(H / ph) x floor(W / pw)``; the bottom/right
    remainder is dropped, as :func:`~mmseg_uda.patch_modes.patch_histograms` drops it from the
    labels. The logits (N, C, h, w) are cropped to the same fraction of their size, rounded to
    whole logit cells (exact when the output stride divides ``gh * ph`` and ``gw * pw``).

    Args:
        logits (Tensor): Segmentation logits (N, C, h, w) of an input of size ``input_shape``.
        input_shape (Sequence[int]): (H, W) of the network input.
        patch_size (Sequence[int]): (ph, pw).

    Returns:
        tuple[Tensor, tuple[int, int]]: The cropped logits and the grid (gh, gw).
    """
    grid = patch_grid_size(input_shape, patch_size)
    height, width = logits.shape[-2:]
    covered_h = max(1, round(height * grid[0] * patch_size[0] / input_shape[0]))
    covered_w = max(1, round(width * grid[1] * patch_size[1] / input_shape[1]))
    return logits[..., :covered_h, :covered_w], grid


def labelled_fraction(labels: torch.Tensor, patch_size: Sequence[int],
                      ignore_index: int = 255) -> torch.Tensor:
    """Fraction of labelled (not ``ignore_index``) pixels of every whole patch.

    Args:
        labels (Tensor): Label maps (N, H, W).
        patch_size (Sequence[int]): (ph, pw); the bottom/right remainder is dropped, as in
            :func:`~mmseg_uda.patch_modes.patch_histograms`.
        ignore_index (int): Label of ignored pixels.

    Returns:
        Tensor: (N, H // ph, W // pw) float fractions in [0, 1].
    """
    labelled = (labels != ignore_index).float()[:, None]
    return F.avg_pool2d(labelled, tuple(patch_size), stride=tuple(patch_size))[:, 0]


class _ScaleGradient(torch.autograd.Function):
    """Identity forward; the backward multiplies the gradient by a constant."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad * ctx.scale, None


def scale_gradient(x: torch.Tensor, scale: float) -> torch.Tensor:
    """``x`` unchanged, its gradient multiplied by ``scale`` (``x`` itself when 1)."""
    return x if scale == 1.0 else _ScaleGradient.apply(x, scale)


def patch_cluster_loss(mode_logits: torch.Tensor, targets: torch.Tensor,
                       ignore_index: int = 255) -> torch.Tensor:
    """Ld: cross-entropy between mode logits and Γ(Y), averaged over the valid patches.

    Tsai et al., ICCV 2019, Eq. 1 (written there as a sum over the patches; the mean keeps λd
    independent of the image size, as AdaptSegNet's mean losses keep λadv). Zero (with a
    gradient path) when no patch is valid, where the mean cross-entropy would be NaN.

    Args:
        mode_logits (Tensor): (N, K, gh, gw) logits of the patch-cluster head.
        targets (LongTensor): (N, gh, gw) mode indices, ``ignore_index`` for invalid patches.
        ignore_index (int): Target of invalid patches.

    Returns:
        Tensor: Scalar loss.
    """
    total = F.cross_entropy(mode_logits, targets, ignore_index=ignore_index, reduction='sum')
    return total / (targets != ignore_index).sum().clamp(min=1)


@MODELS.register_module()
class PatchAlignment(CheckpointedFileState, BaseAdaptation):
    """Patch-level adversarial alignment in a clustered space of patch modes.

    Tsai, Sohn, Schulter, Chandraker, "Domain Adaptation for Structured Output via
    Discriminative Patch Representations", ICCV 2019. The source label maps' patches are
    described by 2x2 grids of class histograms and clustered offline into K modes
    (``tools/build_patch_modes.py``). In training, the :class:`PatchClusterHead` H maps the
    segmentation output to F, logits over the modes of every patch:

    - source: ``Ld = λd · CE(F_s, Γ(Ys))`` (Eq. 1), Γ assigning each label patch its nearest
      mode; patches whose labelled fraction is below ``min_labelled_fraction`` (among them the
      all-ignore padding the data preprocessor adds with ``seg_pad_val=255``) get no target;
    - target: no loss of its own; ``λadv · L_adv(D(softmax(F_t)), source)`` under the frozen
      discriminator (Eq. 2; the generator side of Eq. 5);
    - discriminator: ½ L_D on the detached ``softmax(F)`` of each domain (Eq. 4).

    H is trained with the segmentor (``generator`` optimizer), D (an :class:`FCDiscriminator`,
    Sec. 3.4) by the ``discriminator`` optimizer. H is not used at inference. Its learning rate
    is the paper's unspecified choice: the shipped schedules give every parameter whose name
    contains ``head`` 10x the base rate (AdaptSegNet's rate for its newly initialised
    classifier), and H (``adaptations.<name>.head``) is such a new layer, so it trains at 10x as
    well (``configs/_base_/schedules/adaptsegnet_150k.py``).

    Args:
        num_classes (int): Number of classes (filled in by the UDA segmentor).
        patch_size (int | tuple[int, int]): Patch size (ph, pw) in input pixels; must match the
            modes file.
        modes_file (str, optional): Modes file from ``tools/build_patch_modes.py``. The modes
            are a persistent buffer: a checkpoint holds them, so a trained model builds and
            tests without the file; training needs the file or a loaded checkpoint with them
            (:class:`CheckpointedFileState`).
        modes (Tensor, optional): Mode centres (K, grid_h * grid_w * num_classes) given
            directly instead of ``modes_file`` (tests, programmatic use).
        grid (int | tuple[int, int]): Cells per patch of the descriptor (2x2 in the paper).
        num_modes (int): K (50 in the paper).
        hidden_channels (int): Width of the head's first convolution.
        head_pooling (str): ``'cell'`` (default: H sees the class distribution of each
            descriptor cell, i.e. the 2x2 layout Γ clusters) or ``'patch'`` (one pooled
            distribution per patch); see :class:`PatchClusterHead`.
        min_labelled_fraction (float): A patch gets a Γ target only when at least this fraction
            of its pixels is labelled (our choice, the paper is silent: 0.5, so that the target
            describes most of what H sees); 0 keeps every patch with a labelled pixel.
        loss_weight_cluster (float): λd (0.01 in the paper); 0 skips Γ(Ys) and Ld.
        head_loss_weight (float, optional): The weight of Ld in H's own gradient, with the
            segmentor's still ``loss_weight_cluster``. ``None`` (the paper): λd for both. A
            larger value lets H learn the modes within a short schedule without changing how
            strongly Ld shapes the segmentor (at λd and the tail learning rate of the CPU
            CamVid table's 250-iteration adaptation H stays at chance; see also
            ``tools/fit_patch_head.py``). Only gradients change: the logged ``loss_cluster``
            is λd Ld either way.
        loss_weight_adv (float, optional): λadv (default 0.0005, the paper's); 0 builds no
            discriminator. Shorthand for ``loss_adv``, with ``gan_type``.
        gan_type (str, optional): ``'bce'`` (default) or ``'ls'``.
        ignore_index (int): Ignored label value (and target of invalid patches).
        discriminator (dict): Config of the discriminator; ``in_channels`` is set to
            ``num_modes``.
        loss_adv (dict, optional): The generator-side loss,
            ``dict(type='AdversarialLoss', gan_type=..., loss_weight=λadv)``; its ``gan_type``
            is the discriminator's too, a ``loss_weight`` of 0 builds no discriminator.
            Default: built from ``loss_weight_adv`` and ``gan_type``, which it replaces (give
            one or the other).
        init_cfg (dict, optional): Initialisation config.
    """

    #: The patch representation softmax(F) (also the checkpoint key of D:
    #: ``discriminators.<name>.modes.*``).
    rep_key = 'modes'

    def __init__(self, num_classes: int, patch_size, modes_file: Optional[str] = None,
                 modes: Optional[torch.Tensor] = None, grid=(2, 2), num_modes: int = 50,
                 hidden_channels: int = 256, head_pooling: str = 'cell',
                 min_labelled_fraction: float = 0.5, loss_weight_cluster: float = 0.01,
                 head_loss_weight: Optional[float] = None,
                 loss_weight_adv: Optional[float] = None, gan_type: Optional[str] = None,
                 ignore_index: int = 255,
                 discriminator: ConfigType = dict(type='FCDiscriminator'),
                 loss_adv: OptConfigType = None, init_cfg=None) -> None:
        super().__init__(
            loss_adv=loss_cfg_or_older(
                'PatchAlignment', 'loss_adv', loss_adv,
                dict(type='AdversarialLoss', loss_weight=0.0005),
                loss_weight=('loss_weight_adv', loss_weight_adv), gan_type=('gan_type', gan_type)),
            init_cfg=init_cfg)
        if (modes_file is None) == (modes is None):
            raise ValueError('PatchAlignment needs exactly one of modes_file and modes, got '
                             f'modes_file={modes_file!r} and modes '
                             f"{'None' if modes is None else tuple(modes.shape)}")
        self.num_classes = num_classes
        self.patch_size = to_pair(patch_size, 'patch_size')
        self.grid = to_pair(grid, 'grid')
        self.num_modes = num_modes
        self.modes_file = modes_file
        expected = (num_modes, self.grid[0] * self.grid[1] * num_classes)
        if modes_file is not None:
            if osp.isfile(modes_file):
                modes = self._read_modes()
            else:  # a placeholder until a checkpoint or the file provides them
                modes = torch.zeros(expected)
        modes = torch.as_tensor(modes, dtype=torch.float32)
        if tuple(modes.shape) != expected:
            raise ValueError(f'modes must be (num_modes, grid_h * grid_w * num_classes) = '
                             f'{expected}, got {tuple(modes.shape)}')
        self.register_buffer('modes', modes)  # persistent: part of every checkpoint
        self.file_state_ready = modes_file is None or osp.isfile(modes_file)
        self.loss_weight_cluster = loss_weight_cluster
        if head_loss_weight is not None and not head_loss_weight > 0:
            raise ValueError(f'PatchAlignment head_loss_weight must be > 0 or None, got '
                             f'{head_loss_weight}')
        if head_loss_weight is not None and loss_weight_cluster == 0:
            raise ValueError('PatchAlignment head_loss_weight needs Ld: loss_weight_cluster '
                             'is 0')
        self.head_loss_weight = head_loss_weight
        # only Ladv reads target images: the Ls + Ld ablation (λadv = 0) has no target pass
        self.uses_target = self.loss_adv.loss_weight != 0
        self.ignore_index = ignore_index
        self.discriminator_cfg = dict(discriminator)
        if not 0.0 <= min_labelled_fraction <= 1.0:
            raise ValueError('PatchAlignment min_labelled_fraction must be in [0, 1], got '
                             f'{min_labelled_fraction}')
        self.min_labelled_fraction = min_labelled_fraction
        self.head = PatchClusterHead(num_classes, num_modes, hidden_channels, self.grid,
                                     head_pooling)

    file_state_keys = ('modes', )

    @classmethod
    def geometry_of(cls, cfg: Mapping) -> Dict[str, Any]:
        """The geometry (:data:`GEOMETRY_ARGS`) a PatchAlignment config builds, without
        building it: each argument's configured value, else the default of this class's
        ``__init__``; ``patch_size`` and ``grid`` as (h, w) pairs.

        For the tools that write or read a modes file for a config: building the module would
        read that file, which such a tool may be about to (re)write. Equal to
        :attr:`geometry` of the module the config builds.

        Raises:
            ValueError: when the config has no ``patch_size``, or a malformed pair.
        """
        if cfg.get('patch_size') is None:
            raise ValueError(f'a PatchAlignment config needs patch_size, got {dict(cfg)!r}')
        defaults = inspect.signature(cls.__init__).parameters
        geometry = {name: cfg.get(name, defaults[name].default) for name in GEOMETRY_ARGS}
        geometry['patch_size'] = to_pair(geometry['patch_size'], 'patch_size')
        geometry['grid'] = to_pair(geometry['grid'], 'grid')
        return geometry

    @property
    def geometry(self) -> Dict[str, Any]:
        """The built module's geometry (:data:`GEOMETRY_ARGS`), as :meth:`geometry_of`."""
        return dict(patch_size=self.patch_size, grid=self.grid, num_modes=self.num_modes,
                    ignore_index=self.ignore_index,
                    min_labelled_fraction=self.min_labelled_fraction,
                    head_pooling=self.head.pooling)

    def _read_modes(self, classes: Optional[Sequence[str]] = None,
                    classes_from: Optional[str] = None) -> torch.Tensor:
        return load_patch_modes(self.modes_file, self.num_classes, self.patch_size, self.grid,
                                self.num_modes, classes=classes, classes_from=classes_from)

    def load_file_state(self) -> None:
        """Read the modes file into the ``modes`` buffer (its missing-file error names the
        command that builds it)."""
        self.modes.copy_(self._read_modes())

    def check_dataset_classes(self, classes: Sequence[str], dataset: str) -> None:
        """Raise unless the modes file was built for ``classes``, in this order (the counts
        alone cannot tell two class sets apart). ``DataChecksHook`` calls it before the first
        iteration with the labelled training dataset's classes, described by ``dataset``.
        Without the file there is nothing to check here (see :meth:`check_file_state`)."""
        if self.modes_file is not None and osp.isfile(self.modes_file):
            self._read_modes(classes, dataset)

    def build_discriminator(self) -> Optional[DiscriminatorDict]:
        """The discriminator on the K-dim patch representations (none when λadv = 0)."""
        if self.loss_adv.loss_weight == 0:  # the Ls + Ld ablation: nothing to train it for
            return None
        return DiscriminatorDict({
            self.rep_key: MODELS.build(dict(self.discriminator_cfg, in_channels=self.num_modes))
        })

    def patch_targets(self, data_samples: SampleList,
                      input_shape: Sequence[int]) -> torch.Tensor:
        """Γ(Ys): the mode of every patch of the source labels, ``ignore_index`` if invalid.

        A patch is invalid when less than ``min_labelled_fraction`` of it is labelled. Labels
        smaller than the input (not padded by the data preprocessor) are padded with
        ``ignore_index`` at the bottom/right, where the preprocessor pads images, so padded
        areas never count as labelled patches.

        Args:
            data_samples (list[SegDataSample]): Source samples with ``gt_sem_seg``.
            input_shape (Sequence[int]): (H, W) of the network input.

        Returns:
            LongTensor: (N, gh, gw) mode indices.
        """
        self.require_file_state()
        height, width = (int(s) for s in input_shape)
        labels = []
        for sample in data_samples:
            label = sample.gt_sem_seg.data[0]
            if label.shape[0] > height or label.shape[1] > width:
                raise ValueError(f'gt_sem_seg of shape {tuple(label.shape)} is larger than the '
                                 f'network input {(height, width)}')
            labels.append(F.pad(label, (0, width - label.shape[1], 0, height - label.shape[0]),
                                value=self.ignore_index))
        labels = torch.stack(labels)
        hist, valid = patch_histograms(labels, self.patch_size, self.num_classes,
                                       self.ignore_index, self.grid)
        if self.min_labelled_fraction > 0:
            valid &= labelled_fraction(labels, self.patch_size,
                                       self.ignore_index) >= self.min_labelled_fraction
        return assign_modes(hist, self.modes, valid, self.ignore_index)

    def forward(self, outputs: Outputs, data_samples: SampleList,
                domain: str) -> Tuple[Tensors, Tensors]:
        """Ld on source (none on target) and the representation ``softmax(F)``."""
        logits, grid = crop_to_patch_grid(outputs['logits'], tuple(outputs['input_shape']),
                                          self.patch_size)
        with_ld = domain == 'source' and self.loss_weight_cluster != 0
        # head_loss_weight: H's gradient from Ld times w / λd (at its output), the segmentor's
        # unchanged (times λd / w at H's input); the source representation, the other use of
        # mode_logits, is only seen detached (no adversarial_on_source)
        scale = 1.0
        if with_ld and self.head_loss_weight is not None:
            scale = self.head_loss_weight / self.loss_weight_cluster
        mode_logits = self.head(scale_gradient(logits, 1.0 / scale), grid)
        losses: Tensors = {}
        if with_ld:
            targets = self.patch_targets(data_samples, outputs['input_shape'])
            losses['loss_cluster'] = self.loss_weight_cluster * patch_cluster_loss(
                scale_gradient(mode_logits, scale), targets, self.ignore_index)
        return losses, {self.rep_key: F.softmax(mode_logits, dim=1)}
