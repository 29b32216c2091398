"""Load local checkpoints with torch's weights-only unpickler, allowing exactly what they hold.

torch 2.6 switched the default of ``torch.load`` to ``weights_only=True``, which refuses to
unpickle anything but tensors, containers and an allowlist of types. mmengine 0.10.7's local
loader (``mmengine.runner.checkpoint.load_from_local``) calls ``torch.load`` without the
argument, so every checkpoint written by mmengine's ``CheckpointHook`` fails to load: its
``message_hub`` holds mmengine ``HistoryBuffer`` objects (numpy arrays inside, and the buffer's
statistics methods, pickled as ``getattr(HistoryBuffer, 'min')``). Importing this module
re-registers the local scheme through mmengine's public extension point,
:meth:`CheckpointLoader.register_scheme`, with :func:`load_from_local`: still
``weights_only=True``, with :data:`CHECKPOINT_SAFE_GLOBALS` allowed on top of torch's own list.
That list was read off real checkpoints (``torch.serialization.get_unsafe_globals_in_checkpoint``
on a checkpoint of every adaptation, see ``tests/test_safe_load.py``), not guessed. Every other
scheme (``http://``, ``s3://``, ...) keeps mmengine's loader and torch's default.

A file that needs anything else is refused with :class:`UnsafeCheckpointError`, naming the file
and the types. The one way to load such a file anyway is explicit and off by default:
``--unsafe-load`` on ``tools/train.py``, ``tools/test.py`` and the model converters, or
:func:`allow_unsafe_load` in Python. Unpickling runs code: use it only for files whose origin
you trust as much as your own code.
"""
import argparse
import os.path as osp
import pickle
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

LOCAL_SCHEME = ''
UNSAFE_LOAD_HINT = ('pass --unsafe-load to the tool (tools/train.py, tools/test.py, the model '
                    'converters), or call mmseg_uda.engine.allow_unsafe_load() before loading')

_unsafe_load = False
_GETATTR_REFUSED = 'only the public methods of mmengine HistoryBuffer are allowed'


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds types outside the allowlist; loading it would run arbitrary code."""


def _history_buffer_method(obj: Any, name: str) -> Callable:
    """``getattr`` for the unpickler, limited to the methods of mmengine's ``HistoryBuffer``.

    A ``HistoryBuffer`` pickles its statistics methods (``min``, ``mean``, ...) as
    ``builtins.getattr(HistoryBuffer, name)``. Allowing the real ``getattr`` would let a crafted
    file reach any attribute of any allowed object; this stand-in, registered under that name,
    returns only a public method defined on ``HistoryBuffer`` itself.
    """
    if obj is not HistoryBuffer or name.startswith('_') or not callable(
            HistoryBuffer.__dict__.get(name)):
        raise UnsafeCheckpointError(
            f'checkpoint calls getattr({getattr(obj, "__name__", type(obj).__name__)}, {name!r}); '
            f'{_GETATTR_REFUSED}')
    return getattr(HistoryBuffer, name)


def _numpy_globals() -> List[Any]:
    """numpy's array and scalar reconstructors, ``ndarray``, ``dtype`` and the numeric dtypes."""
    core = getattr(np, '_core', None) or np.core  # numpy 2 moved np.core to np._core
    dtypes = [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
        np.uint64, np.float16, np.float32, np.float64)]
    return [core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray, np.dtype, *dtypes]


#: What mmengine's and this package's checkpoints hold besides tensors and containers.
CHECKPOINT_SAFE_GLOBALS: List[Union[Any, Tuple[Callable, str]]] = [
    HistoryBuffer,
    (_history_buffer_method, 'builtins.getattr'),
    *_numpy_globals(),
]


def allow_unsafe_load(enabled: bool = True) -> None:
    """Let :func:`load_from_local` unpickle any object (``weights_only=False``) in this process.

    The explicit switch behind ``--unsafe-load``; off by default. It affects every local
    checkpoint loaded afterwards in this process until called with ``enabled=False``.
    """
    global _unsafe_load
    _unsafe_load = bool(enabled)


def unsafe_load_allowed() -> bool:
    """Whether :func:`allow_unsafe_load` is on."""
    return _unsafe_load


class _UnsafeLoadAction(argparse.Action):
    """``--unsafe-load``: calls :func:`allow_unsafe_load` when the flag is given."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=False, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        allow_unsafe_load(True)
        setattr(namespace, self.dest, True)


def add_unsafe_load_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--unsafe-load`` (off by default) to a tool's command line: see the module doc."""
    parser.add_argument(
        '--unsafe-load', action=_UnsafeLoadAction,
        help='load checkpoints that hold types outside the weights-only allowlist by full '
        'unpickling, which can run arbitrary code: only for files whose origin you trust')


def _refused_globals(filename: str) -> List[str]:
    """The globals of ``filename`` outside torch's and our allowlist (empty when unknown)."""
    try:
        with torch.serialization.safe_globals(CHECKPOINT_SAFE_GLOBALS):
            return list(torch.serialization.get_unsafe_globals_in_checkpoint(filename))
    except Exception:  # not a zip checkpoint, or unreadable: reported as unreadable below
        return []


def safe_torch_load(filename: str, map_location: Optional[Union[str, torch.device]] = None
                    ) -> Any:
    """``torch.load(filename, weights_only=True)`` with :data:`CHECKPOINT_SAFE_GLOBALS` allowed.

    With :func:`allow_unsafe_load` on, ``weights_only=False`` instead.

    Raises:
        FileNotFoundError: If ``filename`` is not an existing file.
        UnsafeCheckpointError: If the file holds other types; the message names the file, the
            types and the switch.
        RuntimeError: If ``torch.load`` cannot read it (a truncated or corrupt file, a CUDA
            checkpoint on a CPU-only machine...); the message names the file and its size.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        if _unsafe_load:
            return torch.load(filename, map_location=map_location, weights_only=False)
        with torch.serialization.safe_globals(CHECKPOINT_SAFE_GLOBALS):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError) as err:
        refused = [] if _unsafe_load else _refused_globals(filename)
        if not refused and _GETATTR_REFUSED in str(err):  # torch re-raises our error as its own
            refused = ['builtins.getattr on ' + str(err).split('checkpoint calls ')[-1].split(
                ';')[0]]
        if refused:
            raise UnsafeCheckpointError(
                f'refused to load checkpoint {filename!r}: it holds {", ".join(refused)}, which '
                'the weights-only loader does not allow (unpickling them can run arbitrary '
                f'code). If you trust the file\'s origin, {UNSAFE_LOAD_HINT}.') from err
        unreadable = (isinstance(err, (EOFError, pickle.UnpicklingError))
                      or 'PytorchStreamReader' in str(err))
        hint = (' The file is truncated or corrupt (an interrupted save or copy?); use another '
                'checkpoint.' if unreadable else '')
        detail = str(err)
        if 'WeightsUnpickler error:' in detail:  # keep the cause, drop torch's advice
            detail = detail.split('WeightsUnpickler error:')[1].split('\n\nCheck the doc')[0]
        raise RuntimeError(f'cannot load checkpoint {filename!r} ({osp.getsize(filename)} '
                           f'bytes): {type(err).__name__}: {detail.strip().rstrip(".")}.{hint}'
                           ) from err


def load_from_local(filename: str,
                    map_location: Optional[Union[str, torch.device]] = None) -> Any:
    """mmengine's local checkpoint loader, through :func:`safe_torch_load`.

    Drop-in replacement of mmengine's ``load_from_local`` (the name is kept so that mmengine logs
    "Loads checkpoint by local backend"); it serves ``--resume``, ``load_from`` and
    ``init_cfg=dict(type='Pretrained', checkpoint=<local path>)``.

    Args:
        filename: Local checkpoint path; ``~`` is expanded.
        map_location: Same as :func:`torch.load`.

    Returns:
        The loaded checkpoint, usually a dict with ``state_dict``, ``meta``, ``optimizer`` etc.
    """
    return safe_torch_load(filename, map_location)


def register_checkpoint_loader() -> None:
    """Make :class:`CheckpointLoader` use :func:`load_from_local` for local paths.

    Idempotent: registering with ``force=True`` replaces whatever loader held the local scheme,
    so calling it again leaves the same state.
    """
    CheckpointLoader.register_scheme(LOCAL_SCHEME, load_from_local, force=True)


register_checkpoint_loader()
