"""mmseg_uda.engine.checkpoint: mmengine checkpoints load again under torch >= 2.6; unreadable
ones are errors naming the file."""
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import load_checkpoint
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint, save_checkpoint
from torch import nn

from mmseg_uda.engine import load_from_local, register_checkpoint_loader


def tiny_model() -> nn.Module:
    """A small model with parameters and buffers."""
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))


@pytest.fixture
def mmengine_ckpt(tmp_path: Path) -> Path:
    """A checkpoint laid out like ``Runner.save_checkpoint`` writes it."""
    hub = MessageHub.get_instance('test_checkpoint')
    hub.update_scalar('train/loss', 0.25)
    hub.update_info('iter', 4)
    model = tiny_model()
    checkpoint = dict(
        meta=dict(epoch=0, iter=4, seed=0, class_weights=np.array([0.5, 2.0])),
        state_dict=model.state_dict(),
        message_hub=hub.state_dict(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1).state_dict())
    path = tmp_path / 'iter_4.pth'
    save_checkpoint(checkpoint, str(path))
    return path


def test_stock_loaders_reject_mmengine_checkpoints(mmengine_ckpt: Path) -> None:
    """Without the fix: torch's default and mmengine's own local loader both fail."""
    with pytest.raises(pickle.UnpicklingError, match='weights_only'):
        torch.load(mmengine_ckpt)
    with pytest.raises(pickle.UnpicklingError, match='weights_only'):
        mmengine_checkpoint.load_from_local(str(mmengine_ckpt), map_location='cpu')


def test_load_checkpoint_after_import(mmengine_ckpt: Path) -> None:
    """mmengine's public loaders go through the re-registered local loader."""
    checkpoint = _load_checkpoint(str(mmengine_ckpt), map_location='cpu')
    log_scalars = checkpoint['message_hub']['log_scalars']
    assert isinstance(log_scalars['train/loss'], HistoryBuffer)
    assert log_scalars['train/loss'].current() == 0.25
    np.testing.assert_array_equal(checkpoint['meta']['class_weights'], [0.5, 2.0])

    model = tiny_model()
    load_checkpoint(model, str(mmengine_ckpt), map_location='cpu')
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(tensor, checkpoint['state_dict'][name], msg=name)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    """The error is the package's loader's (mmengine's own raises the same message)."""
    missing = tmp_path / 'no_such.pth'
    with pytest.raises(FileNotFoundError, match=str(missing)) as info:
        _load_checkpoint(str(missing))
    raised_in = Path(str(info.traceback[-1].path))
    assert raised_in.parts[-3:] == ('mmseg_uda', 'engine', 'checkpoint.py'), raised_in


def test_register_is_idempotent_and_local_only() -> None:
    schemes = dict(CheckpointLoader._schemes)
    register_checkpoint_loader()
    register_checkpoint_loader()
    assert CheckpointLoader._schemes == {**schemes, '': load_from_local}
    assert CheckpointLoader._get_checkpoint_loader('work_dirs/iter_4.pth') is load_from_local
    http_loader = CheckpointLoader._get_checkpoint_loader('https://example.com/model.pth')
    assert http_loader is mmengine_checkpoint.load_from_http


@pytest.mark.parametrize('damage', ['truncated', 'empty', 'garbage'])
def test_unreadable_checkpoint_names_the_path(mmengine_ckpt: Path, damage: str) -> None:
    """A cut-short or corrupt file (an interrupted save or copy) is an error naming it, whether
    it is loaded as a dict (``--resume``) or into a model (``load_from``, tools/test.py)."""
    data = mmengine_ckpt.read_bytes()
    bad = mmengine_ckpt.with_name(f'{damage}.pth')
    bad.write_bytes({'truncated': data[:len(data) // 2], 'empty': b'',
                     'garbage': bytes(range(256)) * 4}[damage])
    message = re.escape(f"cannot load checkpoint '{bad}' ({bad.stat().st_size} bytes)")
    with pytest.raises(RuntimeError, match=message + '.*The file is truncated or corrupt'):
        _load_checkpoint(str(bad), map_location='cpu')
    with pytest.raises(RuntimeError, match=message):
        load_checkpoint(tiny_model(), str(bad), map_location='cpu')
