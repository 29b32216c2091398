"""One optimizer wrapper per part of the UDA segmentor."""
import copy
from typing import Dict, List

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

#: optim_wrapper key -> attribute of ``UDASegmentor`` whose parameters it optimises (the keys
#: of mmagic's ``BaseGAN``): ``generator`` is the wrapped segmentor with the adaptations'
#: generator-side heads, ``discriminators`` the adaptations' discriminators.
PARTS = {'generator': 'generator', 'discriminator': 'discriminators'}
#: Former optim_wrapper keys -> their names now. A config that uses a former key is refused when
#: its optimizers are built; a checkpoint whose optimizer and scheduler states are keyed by one
#: is read under the name now (:func:`rename_former_parts`).
RENAMED_PARTS = {'segmentor': 'generator'}


def rename_former_parts(checkpoint: dict) -> List[str]:
    """Rename, in place, the :data:`RENAMED_PARTS` keys of a checkpoint's ``optimizer`` and
    ``param_schedulers`` states (those of a UDA run saved before the rename) to their names now.

    ``SafeCheckpointHook.after_load_checkpoint`` calls it, so ``--resume`` and ``load_from`` read
    such a checkpoint. Plain MMSeg checkpoints (one optimizer state, a list of scheduler states)
    are left as they are.

    Args:
        checkpoint: A loaded checkpoint dict.

    Returns:
        The renames done, e.g. ``['optimizer.segmentor -> optimizer.generator', ...]``.

    Raises:
        KeyError: If a state holds both a former key and its name now.
    """
    renamed = []
    for field in ('optimizer', 'param_schedulers'):
        states = checkpoint.get(field)
        if not isinstance(states, dict):
            continue
        for former, now in RENAMED_PARTS.items():
            if former not in states:
                continue
            if now in states:
                raise KeyError(f'checkpoint {field} has both {former!r} and {now!r} entries')
            states[now] = states.pop(former)
            renamed.append(f'{field}.{former} -> {field}.{now}')
    return renamed


def check_optim_keys(optim_wrapper_cfg: dict) -> None:
    """Raise unless ``optim_wrapper_cfg`` has a ``generator`` entry and only :data:`PARTS` keys.

    Raises:
        ValueError: For a former key (:data:`RENAMED_PARTS`), naming it and its name now.
        KeyError: For an unknown key, or without a ``generator`` entry.
    """
    former = [key for key in optim_wrapper_cfg if key in RENAMED_PARTS]
    if former:
        renames = ', '.join(f'optim_wrapper.{key} is now optim_wrapper.{RENAMED_PARTS[key]}'
                            for key in former)
        raise ValueError(f'{renames} (the part it trains: UDASegmentor.generator, the segmentor '
                         "with the adaptations' heads); rename the key in the config and in "
                         '--cfg-options')
    unknown = set(optim_wrapper_cfg) - set(PARTS)
    if unknown:
        raise KeyError(f'optim_wrapper has unknown entries {sorted(unknown)}; '
                       f'expected {sorted(PARTS)}')
    if 'generator' not in optim_wrapper_cfg:
        raise KeyError('optim_wrapper needs a "generator" entry')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class UDAOptimWrapperConstructor:
    """Build ``OptimWrapperDict(generator=..., discriminator=...)`` for ``UDASegmentor``.

    ``generator`` optimises ``UDASegmentor.generator``, the wrapped segmentor and the
    adaptations' generator-side heads, ``discriminator`` the adaptations' discriminators (e.g.
    SGD 2.5e-4 and Adam 1e-4 in Tsai et al.). Each entry is an ordinary optim-wrapper config and
    may carry its own ``paramwise_cfg`` (e.g. 10x learning rate on the heads). A
    ``discriminator`` entry is ignored when no adaptation has a discriminator (e.g.
    ``CategoryAdaptation`` or ``PseudoLabelTraining`` alone), so those configs share the
    schedule of the adversarial ones. The former key ``segmentor`` is refused
    (:data:`RENAMED_PARTS`).

    Example:
        >>> optim_wrapper = dict(
        ...     constructor='UDAOptimWrapperConstructor',
        ...     generator=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=2.5e-4)),
        ...     discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))

    Args:
        optim_wrapper_cfg (dict): ``generator`` and optionally ``discriminator`` configs.
        paramwise_cfg (dict, optional): Must be None; put it inside each entry.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict = None) -> None:
        if paramwise_cfg is not None:
            raise ValueError('UDAOptimWrapperConstructor: put paramwise_cfg inside '
                             'optim_wrapper.generator / optim_wrapper.discriminator')
        check_optim_keys(optim_wrapper_cfg)
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
                raise ValueError('the generator (segmentor and adaptation heads) has no '
                                 'trainable parameters')
            cfg = copy.deepcopy(cfg)
            paramwise_cfg = cfg.pop('paramwise_cfg', None)
            wrappers[key] = DefaultOptimWrapperConstructor(cfg, paramwise_cfg)(part)
        if 'discriminator' not in wrappers and any(
                p.requires_grad for p in model.discriminators.parameters()):
            raise KeyError('the adaptations have discriminators but optim_wrapper has no '
                           '"discriminator" entry')
        return OptimWrapperDict(**wrappers)
