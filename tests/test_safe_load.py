"""Safe checkpoint loading (mmseg_uda.engine.checkpoint): every checkpoint tools/train.py writes
resumes with torch's weights-only unpickler and the package's allowlist; a file whose pickle
would run code is refused, naming the file and the type, unless ``--unsafe-load`` is given."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.engine import UnsafeCheckpointError, allow_unsafe_load, safe_torch_load
from mmseg_uda.engine.checkpoint import CHECKPOINT_SAFE_GLOBALS
from tests.conftest import REPO
from tests.test_launch import run_tool

TOOLS = Path(REPO) / 'tools'
BASE = """
_base_ = '{repo}/configs/demo/{demo}.py'
train_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    dataset=dict(source=dict(data_root='{root}/source'), target=dict(data_root='{root}/target')))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{root}/target'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=100)
param_scheduler = [dict(type='PolyLR', eta_min=0., power=0.9, begin=0, end=4, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=2), logger=dict(interval=1),
                     visualization=dict(draw=False))
"""
ADAPTATIONS = {
    'output_space': """
model = dict(warmup_iters=1)
""",
    'patch': """
modes_file = '{root}/modes.pth'
model = dict(warmup_iters=1, adaptations=dict(patch=dict(modes_file=modes_file)))
""",
    'ga_ca': """
model = dict(warmup_iters=1, adaptations=dict(_delete_=True,
    ga=dict(type='GlobalFeatureAlignment', in_channels=128, loss_weight=0.1,
            discriminator=dict(type='FeatureDiscriminator', channels=(16, ), kernel_size=1)),
    ca=dict(type='CategoryAdaptation', stats_file='{root}/stats.json',
            classes='CityscapesDataset')))
""",
}
DEMO = {'output_space': 'output_space_synthetic', 'patch': 'patch_align_synthetic',
        'ga_ca': 'output_space_synthetic'}


def globals_outside_allowlist(path: Path) -> list:
    with torch.serialization.safe_globals(CHECKPOINT_SAFE_GLOBALS):
        return list(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))


@pytest.fixture(scope='module')
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('safe_load')
    generate_synthetic_uda_data(str(root / 'data'), num_train=4, num_val=2, width=128, height=64,
                                seed=5)
    return root


@pytest.mark.parametrize('adaptation', list(ADAPTATIONS))
def test_train_checkpoints_resume_weights_only(data_root, tmp_path, adaptation):
    """tools/train.py writes a checkpoint holding nothing outside the allowlist, and --resume
    continues from it through the weights-only loader."""
    root = data_root / 'data'
    config = tmp_path / f'{adaptation}.py'
    config.write_text(BASE.format(repo=REPO, demo=DEMO[adaptation], root=root)
                      + ADAPTATIONS[adaptation].format(root=tmp_path))
    if adaptation == 'patch':
        run_tool([sys.executable, str(TOOLS / 'build_patch_modes.py'), str(config), '--out',
                  str(tmp_path / 'modes.pth')], cwd=tmp_path, env={'OMP_NUM_THREADS': '1'})
    if adaptation == 'ga_ca':
        run_tool([sys.executable, str(TOOLS / 'compute_class_stats.py'), str(config), '--out',
                  str(tmp_path / 'stats.json')], cwd=tmp_path, env={'OMP_NUM_THREADS': '1'})
    work = tmp_path / 'work'
    train = [sys.executable, str(TOOLS / 'train.py'), str(config), '--work-dir', str(work)]
    run_tool(train, cwd=tmp_path, env={'OMP_NUM_THREADS': '1'})
    ckpt = work / 'iter_2.pth'
    assert globals_outside_allowlist(ckpt) == []
    with pytest.raises(Exception, match='weights_only|Unsupported global'):
        torch.load(ckpt, weights_only=True)  # torch's bare default refuses it: the list matters
    loaded = safe_torch_load(str(ckpt), map_location='cpu')
    assert isinstance(next(iter(loaded['message_hub']['log_scalars'].values())), HistoryBuffer)
    assert set(loaded['optimizer']) >= {'generator', 'discriminator'}

    out = run_tool(train + ['--resume', '--cfg-options', 'train_cfg.max_iters=3'], cwd=tmp_path,
                   env={'OMP_NUM_THREADS': '1'})
    assert re.search(r'resumed epoch: \d+, iter: 2', out), out[-3000:]
    assert (work / 'iter_3.pth').is_file()


class WritesFile:
    """Unpickling this object calls ``open(path, 'w')``: it creates the file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


@pytest.fixture
def crafted(tmp_path) -> tuple:
    marker = tmp_path / 'written_by_unpickling'
    path = tmp_path / 'crafted.pth'
    torch.save(dict(state_dict={'w': torch.zeros(2)}, meta=WritesFile(str(marker))), path)
    return path, marker


def test_code_running_checkpoint_is_refused(crafted):
    path, marker = crafted
    with pytest.raises(UnsafeCheckpointError) as err:
        safe_torch_load(str(path))
    assert str(path) in str(err.value) and 'io.open' in str(err.value)  # what ``open`` pickles as
    assert '--unsafe-load' in str(err.value)
    assert not marker.exists()


def test_explicit_switch_loads_it(crafted):
    path, marker = crafted
    allow_unsafe_load(True)
    try:
        ckpt = safe_torch_load(str(path))
    finally:
        allow_unsafe_load(False)
    assert marker.exists() and torch.equal(ckpt['state_dict']['w'], torch.zeros(2))
    marker.unlink()
    with pytest.raises(UnsafeCheckpointError):  # off again
        safe_torch_load(str(path))
    assert not marker.exists()


class HistoryBufferInit:
    """Reaches ``HistoryBuffer.__init__`` through the pickled ``getattr`` HistoryBuffer uses."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def test_getattr_is_limited_to_history_buffer_methods(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save(dict(x=HistoryBufferInit()), path)
    with pytest.raises(UnsafeCheckpointError, match=r"getattr\(HistoryBuffer, '__init__'\)"):
        safe_torch_load(str(path))


@pytest.mark.parametrize('tool', ['uda_to_mmseg.py', 'vgg16_to_mmseg.py'])
def test_converters_use_the_safe_loader(crafted, tmp_path, tool):
    """Refused without the flag (the file is never written); --unsafe-load unpickles it."""
    path, marker = crafted
    cmd = [sys.executable, str(TOOLS / 'model_converters' / tool), str(path),
           str(tmp_path / 'out.pth')]
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode != 0 and 'UnsafeCheckpointError' in proc.stderr, proc.stderr[-2000:]
    assert str(path) in proc.stderr and not marker.exists()
    subprocess.run(cmd + ['--unsafe-load'], cwd=tmp_path, env=env, capture_output=True)
    assert marker.exists()


def test_train_tool_refuses_a_crafted_load_from(crafted, data_root, tmp_path):
    """``load_from`` a crafted file stops tools/train.py before the first iteration."""
    path, marker = crafted
    config = tmp_path / 'os.py'
    config.write_text(BASE.format(repo=REPO, demo='output_space_synthetic',
                                  root=data_root / 'data'))
    cmd = [sys.executable, str(TOOLS / 'train.py'), str(config), '--work-dir',
           str(tmp_path / 'work'), '--cfg-options', f'load_from={path}']
    proc = subprocess.run(cmd, cwd=tmp_path, env={**os.environ, 'OMP_NUM_THREADS': '1'},
                          capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and 'UnsafeCheckpointError' in out and str(path) in out
    assert 'Iter(train)' not in out and not marker.exists()


def test_no_unsafe_torch_load_in_the_package():
    """Every ``torch.load`` of the package, its tools and benchmarks passes ``weights_only=True``,
    but the one behind the switch in mmseg_uda/engine/checkpoint.py."""
    offenders = []
    for folder in ('mmseg_uda', 'tools', 'benchmarks'):
        for path in sorted((Path(REPO) / folder).rglob('*.py')):
            lines = path.read_text().splitlines()
            for n, line in enumerate(lines):
                if re.search(r'torch\.load\((?![^)]*weights_only\s*=\s*True)', line):
                    offenders.append((str(path.relative_to(REPO)), lines[n - 1].strip(),
                                      line.strip()))
    assert [o[0] for o in offenders] == ['mmseg_uda/engine/checkpoint.py'], offenders
    assert offenders[0][1] == 'if _unsafe_load:', offenders
