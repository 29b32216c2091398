"""Reading the weight files the model converters take."""
import os.path as osp
from typing import Dict

import torch

from mmseg_uda.engine.checkpoint import safe_torch_load


def load_state_dict(path: str, what: str) -> Dict[str, torch.Tensor]:
    """The tensors of the weight file ``path``, unwrapping a ``state_dict`` / ``model`` entry.

    Args:
        path (str): A ``torch.save``-d state dict or a checkpoint holding one.
        what (str): What the file should hold, for the error messages (e.g. ``'DeepLab-v2
            weights'``).

    Raises:
        FileNotFoundError: naming ``what`` and ``path`` when the file is missing.
        TypeError: when the file holds no dict of tensors.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    ckpt = safe_torch_load(path, map_location='cpu')  # weights only, unless --unsafe-load
    for key in ('state_dict', 'model'):
        if isinstance(ckpt, dict) and isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
    if not isinstance(ckpt, dict):
        raise TypeError(f'{path}: expected a state dict, got {type(ckpt).__name__}')
    return ckpt
