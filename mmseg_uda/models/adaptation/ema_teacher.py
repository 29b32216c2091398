"""Mean teacher: an exponential moving average of the segmentor (Tarvainen & Valpola, NeurIPS
2017), the pseudo-label source of DACS (Tranheden et al., WACV 2021), DAFormer (Hoyer et al.,
CVPR 2022) and MIC (Hoyer et al., CVPR 2023)."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.drop import DropPath
from mmengine.model import BaseModule
from torch.nn.modules.dropout import _DropoutNd

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS


@MODELS.register_module()
class EMATeacher(BaseModule):
    """A frozen copy of the segmentor whose weights follow the student's as an EMA.

    As DAFormer's ``mmseg/models/uda/dacs.py``:

    - :meth:`start` (the first adaptation iteration, ``_init_ema_weights``) copies the
      student's parameters; here its buffers too, so that a backbone whose BatchNorm stays in
      eval mode (``norm_eval``, e.g. AdaptSegNet's DeepLabV2) starts from the student's
      statistics (in DAFormer the teacher's BatchNorm runs in training mode, where its own
      running statistics are not read);
    - :meth:`update` after each student step (DAFormer: at the start of the next iteration,
      the same order) sets ``θ_t = α_n θ_t + (1 - α_n) θ_s`` for the parameters, with
      ``α_n = min(1 - 1 / (n + 1), α)`` at the n-th update (DAFormer's
      ``min(1 - 1 / (iter + 1), alpha)``); buffers are not averaged;
    - the teacher runs in the mode of the model (training mode during training, so BatchNorm
      normalises by the batch and updates its own statistics, as in DAFormer), with dropout and
      drop-path switched off.

    The teacher is a child module (``teacher.model.*`` in checkpoints, so ``--resume`` goes on
    with it); its parameters never require gradients and the export to MMSeg leaves it out.
    Whether it was started and how many updates it had are persistent buffers.

    Args:
        alpha (float): α, in [0, 1): 0.99 in DACS and DAFormer's ``uda/dacs.py``, 0.999 in
            DAFormer's and MIC's final configs.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, alpha: float = 0.99, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(alpha, (int, float)) or not 0 <= alpha < 1:
            raise ValueError(f'EMATeacher alpha must be in [0, 1), got {alpha!r}')
        self.alpha = float(alpha)
        self.register_buffer('started', torch.zeros((), dtype=torch.bool))
        self.register_buffer('updates', torch.zeros((), dtype=torch.long))
        self.model: nn.Module = nn.Identity()

    def bind(self, student: EncoderDecoder) -> None:
        """Build the teacher as a copy of ``student`` (called once, when the UDA model is
        built; its weights are set by :meth:`start`, so the copy is not initialised)."""
        self.model = copy.deepcopy(student)
        for param in self.model.parameters():
            param.requires_grad_(False)
        for module in self.model.modules():
            if isinstance(module, BaseModule):
                module._is_init = True

    def _pairs(self, student: nn.Module, kind: str):
        mine = dict(getattr(self.model, f'named_{kind}')())
        theirs = dict(getattr(student, f'named_{kind}')())
        differ = sorted(set(theirs) ^ set(mine)) or [
            k for k in theirs if mine[k].shape != theirs[k].shape]
        if differ:
            raise RuntimeError(f'EMATeacher: the teacher and the student differ in their '
                               f'{kind} (e.g. {differ[:3]}); the teacher must be bound to this '
                               'student')
        return [(mine[k], theirs[k]) for k in theirs]

    @torch.no_grad()
    def start(self, student: nn.Module) -> None:
        """Copy the student's parameters and buffers (DAFormer's ``_init_ema_weights``)."""
        for kind in ('parameters', 'buffers'):
            for mine, theirs in self._pairs(student, kind):
                mine.copy_(theirs)
        self.started.fill_(True)
        self.updates.zero_()

    @torch.no_grad()
    def update(self, student: nn.Module) -> float:
        """One EMA step of the parameters towards ``student``'s; returns the α used."""
        if not bool(self.started):
            raise RuntimeError('EMATeacher.update before start')
        count = int(self.updates) + 1
        alpha = min(1 - 1 / (count + 1), self.alpha)
        for mine, theirs in self._pairs(student, 'parameters'):
            mine.mul_(alpha).add_(theirs.detach(), alpha=1 - alpha)
        self.updates.fill_(count)
        return alpha

    @torch.no_grad()
    def logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """The teacher's decode-head logits, bilinearly resized to the input size (as
        ``encode_decode``), without gradient."""
        for module in self.model.modules():
            if isinstance(module, (_DropoutNd, DropPath)):
                module.training = False
        head = self.model.decode_head
        logits = head.forward(self.model.extract_feat(inputs))
        return F.interpolate(logits, size=inputs.shape[2:], mode='bilinear',
                             align_corners=head.align_corners)
