"""Load the checkpoint of ``tools/test.py`` strictly: a checkpoint that does not fit is an error.

mmengine's runner loads ``load_from`` with ``strict=False``: missing weights and tensors of
another shape are logged as a warning and the model keeps its random initialisation, so a
checkpoint for another class count, or a checkpoint of another architecture, is evaluated
with a random head (or entirely random weights) and the test "succeeds".
"""
import re
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint, get_state_dict, load_state_dict

#: How many offending keys an error message names.
SHOWN_KEYS = 5


def inner_model(model: nn.Module) -> nn.Module:
    """The model inside DDP and TTA wrappers."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def checkpoint_mismatches(model: nn.Module, state_dict: Dict[str, torch.Tensor]
                          ) -> Tuple[List[str], List[str], List[str]]:
    """What of ``state_dict`` does not fit ``model`` for testing.

    A :class:`UDASegmentor` takes a plain-segmentor state dict (see its
    ``uda_state_dict``) and needs only the wrapped segmentor's weights for inference: missing
    discriminators or adaptation heads are not an error at test time.

    Args:
        model (nn.Module): The model to test (wrappers allowed).
        state_dict (dict): The checkpoint's state dict (``module.`` prefixes removed).

    Returns:
        tuple[list, list, list]: Keys the model needs but the checkpoint lacks, ``'key: shape in
        checkpoint vs shape in model'`` for every tensor of another shape, and keys of the
        checkpoint the model does not have.
    """
    model = inner_model(model)
    remap = getattr(model, 'uda_state_dict', None)
    if remap is not None:
        state_dict = remap(state_dict)
    expected = get_state_dict(model)
    prefix = getattr(model, 'inference_prefix', '')
    missing = [k for k in expected if k.startswith(prefix) and k not in state_dict]
    shapes = [
        f'{k}: {tuple(state_dict[k].shape)} in the checkpoint vs {tuple(v.shape)} in the model'
        for k, v in expected.items()
        if k in state_dict and hasattr(state_dict[k], 'shape') and state_dict[k].shape != v.shape
    ]
    unexpected = [k for k in state_dict if k not in expected]
    return missing, shapes, unexpected


def load_checkpoint_for_testing(runner: Runner, filename: str) -> dict:
    """Load ``filename`` into ``runner.model``; raise if it does not fit.

    Replaces the runner's ``load_from`` in ``tools/test.py``: the checkpoint is read once, the
    runner's ``after_load_checkpoint`` hooks see it, then the weights are loaded with mmengine's
    ``load_state_dict`` (which handles DDP/TTA wrappers).

    Args:
        runner (Runner): The built runner.
        filename (str): Checkpoint path or URL.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        ValueError: Naming ``filename`` and the first offending keys, if a weight the model needs
            for testing is missing or any tensor has another shape.
    """
    checkpoint = _load_checkpoint(filename, map_location='cpu')
    runner.call_hook('after_load_checkpoint', checkpoint=checkpoint)
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) \
        else checkpoint
    state_dict = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
    missing, shapes, unexpected = checkpoint_mismatches(runner.model, state_dict)
    problems = []
    if shapes:
        problems.append(f'{len(shapes)} tensors have another shape, e.g. '
                        + '; '.join(shapes[:SHOWN_KEYS]))
    if missing:
        problems.append(f'{len(missing)} weights the model needs are missing, e.g. '
                        + ', '.join(missing[:SHOWN_KEYS]))
        if any(k.startswith('generator.segmentor.') for k in unexpected):
            problems.append('the checkpoint is a UDASegmentor checkpoint: test it with its UDA '
                            'config, or export the segmentor with '
                            'tools/model_converters/uda_to_mmseg.py')
    if problems:
        raise ValueError(f'checkpoint {filename} does not fit the model of this config: '
                         + '; '.join(problems))
    if unexpected:
        print_log(f'checkpoint {filename}: {len(unexpected)} entries the model does not use '
                  f'were ignored, e.g. {", ".join(unexpected[:SHOWN_KEYS])}', logger='current')
    load_state_dict(inner_model(runner.model), state_dict, strict=False)
    runner.logger.info(f'Load checkpoint from {filename}')
    return checkpoint
