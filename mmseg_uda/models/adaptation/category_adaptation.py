"""Category-specific adaptation by class-size constraints (FCNs in the Wild, CA)."""
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from mmseg.registry import DATASETS, MODELS
from mmseg.utils import OptConfigType, SampleList
from ...class_stats import COMPUTE_CLASS_STATS_COMMAND, ClassSizeStats, load_class_size_stats
from ...label_values import check_same_classes
from ...patch_modes import to_pair
from ..losses.constrained_mil import ConstrainedMILLoss
from .base_adaptation import (BaseAdaptation, CheckpointedFileState, Outputs, Tensors,
                              build_loss, loss_cfg_or_older)

#: Smallest probability kept when area-averaged probabilities are turned back into logs.
_MIN_PROB = 1e-12


def resolve_classes(classes: Union[None, str, Sequence[str]]) -> Optional[Tuple[str, ...]]:
    """Class names from a list, or from a registered dataset type's ``METAINFO``.

    Raises:
        ValueError: naming ``classes`` when it is a string that is no registered dataset type.
    """
    if classes is None or not isinstance(classes, str):
        return None if classes is None else tuple(str(c) for c in classes)
    dataset = DATASETS.get(classes)
    if dataset is None or 'classes' not in getattr(dataset, 'METAINFO', {}):
        raise ValueError(f'CategoryAdaptation classes={classes!r} is neither a list of class '
                         'names nor a registered dataset type with METAINFO["classes"]')
    return tuple(str(c) for c in dataset.METAINFO['classes'])


def valid_cells(data_samples: SampleList, input_shape: Sequence[int], size: Sequence[int],
                device: torch.device) -> torch.Tensor:
    """Bool (N, h, w): output cells whose centre lies inside the unpadded image.

    The data preprocessor pads the images of a batch at the bottom/right to a common size; the
    samples' ``img_shape`` is the size before padding. Samples without it count as unpadded.

    Args:
        data_samples (list[SegDataSample]): The batch's samples.
        input_shape (Sequence[int]): (H, W) of the padded network input.
        size (Sequence[int]): (h, w) of the output grid.
        device (torch.device): Device of the mask.
    """
    height, width = (int(s) for s in input_shape)
    h, w = (int(s) for s in size)
    rows = (torch.arange(h, device=device) + 0.5) * (height / h)
    cols = (torch.arange(w, device=device) + 0.5) * (width / w)
    masks = []
    for sample in data_samples:
        img_h, img_w = sample.metainfo.get('img_shape', (height, width))[:2]
        masks.append((rows < img_h)[:, None] & (cols < img_w)[None, :])
    return torch.stack(masks)


def resize_scores(logits: torch.Tensor, size: Sequence[int],
                  mask: torch.Tensor) -> torch.Tensor:
    """Log-probabilities of ``logits`` (N, C, h, w) on an output grid of ``size``.

    Downsampling area-averages the softmax probabilities over each output cell's valid input
    cells (``mask``, bool (N, h, w)), so each image's class fractions are preserved; the result
    is returned as log-probabilities (a valid input of ``constrained_mil_loss``, whose
    log-softmax leaves it unchanged). Upsampling interpolates the logits bilinearly, as the FCN's
    upsampling layer does. The same size returns ``logits`` themselves.
    """
    size = tuple(int(s) for s in size)
    if tuple(logits.shape[-2:]) == size:
        return logits
    if size[0] <= logits.shape[-2] and size[1] <= logits.shape[-1]:
        weight = mask.to(logits.dtype).unsqueeze(1)
        probs = F.adaptive_avg_pool2d(torch.softmax(logits, dim=1) * weight, size)
        coverage = F.adaptive_avg_pool2d(weight, size).clamp_min(_MIN_PROB)
        return torch.log((probs / coverage).clamp_min(_MIN_PROB))
    return F.interpolate(logits, size=size, mode='bilinear', align_corners=False)


@MODELS.register_module()
class CategoryAdaptation(CheckpointedFileState, BaseAdaptation):
    """Class-size constrained multiple-instance loss on the target predictions.

    Hoffman, Wang, Yu, Darrell, "FCNs in the Wild: Pixel-level Adversarial and Constraint-based
    Adaptation", 2016, Sec. 3.2 (category-specific adaptation, CA). From the source labels,
    ``tools/compute_class_stats.py`` computes for each class c, over the source images containing
    c, the pixel fraction's lower 10 % boundary α_c, mean δ_c and upper 10 % boundary γ_c. On each
    target image, class c is present when the fraction d_c of the pixels whose argmax is c
    exceeds 0.1·α_c; the other classes are suppressed (no mass in the latent distribution, the
    constrained CNN's zero constraint) and the present ones are constrained to
    δ_c ≤ fraction ≤ γ_c (slack on the lower bound only) by the constrained multiple-instance
    loss of Pathak et al. (ICCV 2015): the latent distribution closest to the prediction under
    these constraints is found, and the prediction is trained towards it, the loss being
    KL(latent ‖ prediction) (:class:`~mmseg_uda.models.losses.ConstrainedMILLoss`). Classes
    with α_c > 0.1 have their gradients scaled by 0.1.

    Besides ``loss_cmil`` the training log gets, per target batch, ``cmil_residual`` (the dual
    solver's final residual, a class fraction; at most ``tol`` when it converged),
    ``cmil_steps`` (its dual steps) and ``cmil_present`` (present classes per image, mean);
    an unconverged solve is also reported by a warning.

    Only the target logits get a loss (after warm-up, like every adaptation of
    :class:`UDASegmentor`); there is no discriminator, so CA runs alone or next to
    :class:`GlobalFeatureAlignment` (the paper's GA+CA) or any other adaptation. Padded pixels
    (outside the samples' ``img_shape``) are left out of the class fractions and the loss.

    Args:
        num_classes (int): Number of classes (filled in by the UDA segmentor).
        stats_file (str): Class-size statistics from ``tools/compute_class_stats.py``, read at
            build time when it exists; its class count must equal ``num_classes``. α, δ, γ are
            persistent buffers (``loss.alpha`` ...): a checkpoint holds them, so a trained
            model builds and tests without the file; training needs the file or a loaded
            checkpoint with them (:class:`CheckpointedFileState`).
        classes (str | Sequence[str], optional): Class names the statistics must list, in order,
            or a registered dataset type whose ``METAINFO['classes']`` they must list (e.g.
            ``'CamVidDataset'``), checked at build time. Whatever it is, the statistics must
            also list the labelled training dataset's classes, in order, checked before the
            first iteration (:meth:`check_dataset_classes`).
        source_config (str, optional): Config whose source training set the statistics
            describe; named in the command of the missing-file error.
        loss_weight (float, optional): Weight of ``loss_cmil`` (default 1).
        output_size (int | tuple[int, int], optional): Grid (h, w) on which the constraints are
            imposed; the logits are resized to it (see :func:`resize_scores`).
        output_stride (int, optional): Alternatively, the grid's stride relative to the network
            input (the grid is ``input // stride``). Neither: the logits' own resolution.
        present_threshold (float, optional): Presence threshold relative to α_c (0.1 in the
            paper).
        suppress_absent (bool, optional): Whether classes that are not present get no mass in
            the latent distribution (the constrained CNN; default) or are left unconstrained.
        large_class_threshold (float, optional): α_c above which a class is "large" (0.1 in
            the paper).
        large_class_grad_scale (float, optional): Gradient factor of large classes (0.1 in the
            paper).
        slack_weight (float, optional): Penalty β of a lower-bound violation (bound of its dual
            variable).
        num_iters (int, optional): Maximum dual-ascent steps of the latent-distribution solver.
        step_size (float, optional): Preconditioned dual-ascent step.
        max_step (float, optional): Largest dual change per step.
        tol (float, optional): Convergence tolerance of the solver.
        loss_cmil (dict, optional): The loss, ``dict(type='ConstrainedMILLoss', loss_weight=...,
            present_threshold=..., ...)`` (the arguments above, defaults of
            :class:`~mmseg_uda.models.losses.ConstrainedMILLoss`), built as MMSeg heads build
            ``loss_decode``; α, δ, γ come from ``stats_file``. Default: built from
            ``loss_weight`` and the solver arguments above, which it replaces (give one or the
            other).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, num_classes: int, stats_file: str,
                 classes: Union[None, str, Sequence[str]] = None,
                 source_config: Optional[str] = None, loss_weight: Optional[float] = None,
                 output_size=None, output_stride: Optional[int] = None,
                 present_threshold: Optional[float] = None,
                 suppress_absent: Optional[bool] = None,
                 large_class_threshold: Optional[float] = None,
                 large_class_grad_scale: Optional[float] = None,
                 slack_weight: Optional[float] = None, num_iters: Optional[int] = None,
                 step_size: Optional[float] = None, max_step: Optional[float] = None,
                 tol: Optional[float] = None, loss_cmil: OptConfigType = None,
                 init_cfg=None) -> None:
        older = dict(loss_weight=loss_weight, present_threshold=present_threshold,
                     suppress_absent=suppress_absent,
                     large_class_threshold=large_class_threshold,
                     large_class_grad_scale=large_class_grad_scale, slack_weight=slack_weight,
                     num_iters=num_iters, step_size=step_size, max_step=max_step, tol=tol)
        loss_cmil = loss_cfg_or_older('CategoryAdaptation', 'loss_cmil', loss_cmil,
                                      dict(type='ConstrainedMILLoss'),
                                      **{key: (key, value) for key, value in older.items()})
        fixed = sorted({'alpha', 'delta', 'gamma', 'persistent_stats'} & set(loss_cmil))
        if fixed:
            raise ValueError(f'CategoryAdaptation loss_cmil must not set {fixed}: α, δ, γ come '
                             'from stats_file and are kept in the checkpoint')
        super().__init__(init_cfg=init_cfg)
        if output_size is not None and output_stride is not None:
            raise ValueError('CategoryAdaptation takes at most one of output_size and '
                             f'output_stride, got {output_size!r} and {output_stride!r}')
        if output_stride is not None and (int(output_stride) != output_stride
                                          or output_stride < 1):
            raise ValueError(f'CategoryAdaptation output_stride must be a positive int, got '
                             f'{output_stride!r}')
        self.num_classes = num_classes
        self.output_size = None if output_size is None else to_pair(output_size, 'output_size')
        self.output_stride = None if output_stride is None else int(output_stride)
        config = None
        if source_config is not None:
            relative = osp.relpath(source_config)
            config = source_config if relative.startswith('..') else relative
        self.stats_file = stats_file
        self._classes = resolve_classes(classes)
        self._config = config
        self.stats: Optional[ClassSizeStats] = None
        if osp.isfile(stats_file):
            self.stats = self._read_stats()
            alpha, delta, gamma = self.stats.alpha, self.stats.delta, self.stats.gamma
        else:  # placeholders until a checkpoint or the file provides them
            alpha, delta, gamma = [0.0] * num_classes, [0.0] * num_classes, [1.0] * num_classes
        self.file_state_ready = self.stats is not None
        self.loss: ConstrainedMILLoss = build_loss(
            'CategoryAdaptation', 'loss_cmil',
            dict(loss_cmil, alpha=alpha, delta=delta, gamma=gamma, persistent_stats=True))

    file_state_keys = ('loss.alpha', 'loss.delta', 'loss.gamma')

    def _read_stats(self) -> ClassSizeStats:
        return load_class_size_stats(self.stats_file, self.num_classes, self._classes,
                                     self._config)

    def load_file_state(self) -> None:
        """Read the statistics file into the loss's α, δ, γ buffers (its missing-file error
        names the command that computes it)."""
        self.stats = self._read_stats()
        for name in ('alpha', 'delta', 'gamma'):
            buffer = getattr(self.loss, name)
            buffer.copy_(torch.as_tensor(getattr(self.stats, name), dtype=buffer.dtype))

    def check_dataset_classes(self, classes: Sequence[str], dataset: str) -> None:
        """Raise unless the statistics are for ``classes``, in this order (reordered classes
        have the same count). ``DataChecksHook`` calls it before the first iteration with the
        labelled training dataset's classes, described by ``dataset``. Without the file there
        is nothing to check here (see :meth:`check_file_state`)."""
        if self.stats is None:
            return
        command = COMPUTE_CLASS_STATS_COMMAND.format(config='CONFIG', path=self.stats_file)
        check_same_classes(f'class-size statistics file {self.stats_file!r}', self.stats.classes,
                           classes, dataset, f'recompute it with `{command}`')

    def constraint_grid(self, input_shape: Sequence[int],
                        logits_shape: Sequence[int]) -> Tuple[int, int]:
        """(h, w) of the grid the constraints are imposed on."""
        if self.output_size is not None:
            return self.output_size
        if self.output_stride is not None:
            return (max(1, int(input_shape[0]) // self.output_stride),
                    max(1, int(input_shape[1]) // self.output_stride))
        return int(logits_shape[0]), int(logits_shape[1])

    def forward(self, outputs: Outputs, data_samples: SampleList,
                domain: str) -> Tuple[Tensors, Tensors]:
        """``loss_cmil`` (and the solver's log values) of the target logits; nothing on the
        source, no representation."""
        if domain != 'target':
            return {}, {}
        self.require_file_state()
        logits: torch.Tensor = outputs['logits']
        if logits.dim() != 4 or logits.shape[1] != self.num_classes:
            raise ValueError(f'CategoryAdaptation(num_classes={self.num_classes}) got logits of '
                             f'shape {tuple(logits.shape)}')
        input_shape = tuple(outputs['input_shape'])
        size = self.constraint_grid(input_shape, logits.shape[-2:])
        mask = valid_cells(data_samples, input_shape, size, logits.device)
        if tuple(size) != tuple(logits.shape[-2:]):
            fine_mask = valid_cells(data_samples, input_shape, logits.shape[-2:], logits.device)
            logits = resize_scores(logits, size, fine_mask)
        result = self.loss.compute(logits, mask)
        solution = result.solution
        device = result.loss.device
        return {
            self.loss.loss_name: result.loss,
            'cmil_residual': torch.tensor(solution.residual, device=device),
            'cmil_steps': torch.tensor(float(solution.num_iters), device=device),
            'cmil_present': result.present.sum(dim=1).float().mean(),
        }, {}
