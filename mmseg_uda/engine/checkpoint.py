"""Load local mmengine checkpoints with torch >= 2.6.

torch 2.6 switched the default of ``torch.load`` to ``weights_only=True``. mmengine 0.10.7's local
checkpoint loader (``mmengine.runner.checkpoint.load_from_local``) calls ``torch.load`` without the
argument, so every checkpoint written by mmengine's own ``CheckpointHook`` (its ``meta`` holds the
message hub's ``HistoryBuffer`` objects and numpy arrays) fails to load, which breaks ``--resume``
and ``load_from``. Importing this module re-registers the local scheme through mmengine's public
extension point, :meth:`CheckpointLoader.register_scheme`; every other scheme (``http://``,
``s3://``, ...) keeps mmengine's loader and torch's safe default.
"""
import os.path as osp
import pickle
from typing import Any, Optional, Union

import torch
from mmengine.runner.checkpoint import CheckpointLoader

LOCAL_SCHEME = ''


def load_from_local(filename: str,
                    map_location: Optional[Union[str, torch.device]] = None) -> Any:
    """Load a checkpoint from a local path with ``torch.load(..., weights_only=False)``.

    Drop-in replacement of mmengine's ``load_from_local`` (the name is kept so that mmengine logs
    "Loads checkpoint by local backend"). ``weights_only=False`` unpickles arbitrary objects, so it
    is used only for the local files the user points at (``--resume``, ``load_from``,
    ``init_cfg=dict(type='Pretrained', checkpoint=<local path>)``), which are as trusted as the
    config and code that name them. Never point it at files from an untrusted source.

    Args:
        filename: Local checkpoint path; ``~`` is expanded.
        map_location: Same as :func:`torch.load`.

    Returns:
        The loaded checkpoint, usually a dict with ``state_dict``, ``meta``, ``optimizer`` etc.

    Raises:
        FileNotFoundError: If ``filename`` is not an existing file.
        RuntimeError: If ``torch.load`` cannot read it (a truncated or corrupt file, a CUDA
            checkpoint on a CPU-only machine...); the message names the file and its size.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(filename, map_location=map_location, weights_only=False)
    except (RuntimeError, EOFError, pickle.UnpicklingError) as err:
        unreadable = (isinstance(err, (EOFError, pickle.UnpicklingError))
                      or 'PytorchStreamReader' in str(err))
        hint = (' The file is truncated or corrupt (an interrupted save or copy?); use another '
                'checkpoint.' if unreadable else '')
        raise RuntimeError(f'cannot load checkpoint {filename!r} ({osp.getsize(filename)} '
                           f'bytes): {type(err).__name__}: {str(err).rstrip(".")}.{hint}') from err


def register_checkpoint_loader() -> None:
    """Make :class:`CheckpointLoader` use :func:`load_from_local` for local paths.

    Idempotent: registering with ``force=True`` replaces whatever loader held the local scheme,
    so calling it again leaves the same state.
    """
    CheckpointLoader.register_scheme(LOCAL_SCHEME, load_from_local, force=True)


register_checkpoint_loader()
