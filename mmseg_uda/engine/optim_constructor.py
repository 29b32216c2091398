"""One optimizer wrapper per part of the UDA segmentor."""
import copy
from typing import Dict

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

#: optim_wrapper key -> attribute of ``UDASegmentor`` whose parameters it optimises.
PARTS = {'segmentor': 'generator', 'discriminator': 'discriminators'}


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class UDAOptimWrapperConstructor:
    """Build ``OptimWrapperDict(segmentor=..., discriminator=...)`` for ``UDASegmentor``.

    ``segmentor`` optimises the wrapped segmentor and the adaptations' generator-side heads,
    ``discriminator`` the adaptations' discriminators (e.g. SGD 2.5e-4 and Adam 1e-4 in
    Tsai et al.). Each entry is an ordinary optim-wrapper config and may carry its own
    ``paramwise_cfg`` (e.g. 10x learning rate on the heads). A ``discriminator`` entry is
    ignored when no adaptation has a discriminator, so source-only configs can share a schedule.

    Example:
        >>> optim_wrapper = dict(
        ...     constructor='UDAOptimWrapperConstructor',
        ...     segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=2.5e-4)),
        ...     discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))

    Args:
        optim_wrapper_cfg (dict): ``segmentor`` and optionally ``discriminator`` configs.
        paramwise_cfg (dict, optional): Must be None; put it inside each entry.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict = None) -> None:
        if paramwise_cfg is not None:
            raise ValueError('UDAOptimWrapperConstructor: put paramwise_cfg inside '
                             'optim_wrapper.segmentor / optim_wrapper.discriminator')
        unknown = set(optim_wrapper_cfg) - set(PARTS)
        if unknown:
            raise KeyError(f'optim_wrapper has unknown entries {sorted(unknown)}; '
                           f'expected {sorted(PARTS)}')
        if 'segmentor' not in optim_wrapper_cfg:
            raise KeyError('optim_wrapper needs a "segmentor" entry')
        self.optim_wrapper_cfg = copy.deepcopy(dict(optim_wrapper_cfg))

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build the wrappers for ``model`` (a UDASegmentor, possibly DDP-wrapped)."""
        if is_model_wrapper(model):
            model = model.module
        wrappers: Dict[str, object] = {}
        for key, cfg in self.optim_wrapper_cfg.items():
            if not hasattr(model, PARTS[key]):
                raise TypeError(f'UDAOptimWrapperConstructor needs a UDASegmentor, got '
                                f'{type(model).__name__}')
            part = getattr(model, PARTS[key])
            if not any(p.requires_grad for p in part.parameters()):
                if key == 'discriminator':
                    continue
                raise ValueError('the segmentor has no trainable parameters')
            cfg = copy.deepcopy(cfg)
            paramwise_cfg = cfg.pop('paramwise_cfg', None)
            wrappers[key] = DefaultOptimWrapperConstructor(cfg, paramwise_cfg)(part)
        if 'discriminator' not in wrappers and any(
                p.requires_grad for p in model.discriminators.parameters()):
            raise KeyError('the adaptations have discriminators but optim_wrapper has no '
                           '"discriminator" entry')
        return OptimWrapperDict(**wrappers)
