"""SafeCheckpointHook: a full disk or a kill during a save never loses the last checkpoint.

Every training here is the 2-class tiny config of ``tests/test_launch.py``: 6 iterations, a
checkpoint every 2, ``max_keep_ckpts=1``. Interrupted runs are resumed with ``--resume`` and must
end bit-identical to an uninterrupted run.
"""
import errno
import importlib.util
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Sequence

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import LocalBackend
from mmengine.runner import Runner

from mmseg_uda.engine import WORK_DIR_OWNER, check_resume
from mmseg_uda.engine.checkpoint_hook import PARTIAL_SUFFIX, deferred_signals
from tests.test_launch import REPO, needs_mmseg, tiny_setup  # noqa: F401  (tiny_setup: fixture)

pytestmark = needs_mmseg

SAFE_CONFIG = """
_base_ = '{base}'
train_cfg = dict(max_iters=6)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=2, max_keep_ckpts=1))
"""

SLOW_CONFIG = """
_base_ = './safe.py'
custom_imports = dict(imports=['mmseg_uda', 'slow_checkpoint_write'], allow_failed_imports=False)
"""

BEST_CONFIG = """
_base_ = './safe.py'
train_cfg = dict(max_iters=4, val_interval=2)
val_dataloader = {{_base_.test_dataloader}}
val_evaluator = {{_base_.test_evaluator}}
val_cfg = dict(type='ValLoop')
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
"""

SLOW_WRITE = '''
"""Write the checkpoint file named in $SLOW_WRITE_NAME in two halves.

After the first half it creates $SLOW_WRITE_MARKER and waits until $SLOW_WRITE_RELEASE exists
(at most 300 s), so that a test can signal the process while the save is inside the write.
"""
import os
import time

from mmengine.fileio import LocalBackend

_put = LocalBackend.put


def slow_put(self, obj, filepath):
    if os.environ['SLOW_WRITE_NAME'] not in os.path.basename(str(filepath)):
        return _put(self, obj, filepath)
    with open(filepath, 'wb') as f:
        f.write(obj[:len(obj) // 2])
        f.flush()
        open(os.environ['SLOW_WRITE_MARKER'], 'w').close()
        deadline = time.monotonic() + 300
        while not os.path.exists(os.environ['SLOW_WRITE_RELEASE']) and time.monotonic() < deadline:
            time.sleep(0.05)
        f.write(obj[len(obj) // 2:])


LocalBackend.put = slow_put
'''

TRAIN_TOOL = REPO / 'tools' / 'train.py'


@pytest.fixture(scope='module')
def configs(tiny_setup: Path) -> Path:  # noqa: F811
    """The folder with ``safe.py``, ``slow.py``, ``best.py`` and the slow-write plugin."""
    folder = tiny_setup / 'safe_ckpt'
    folder.mkdir()
    (folder / 'safe.py').write_text(SAFE_CONFIG.format(base=tiny_setup / 'tiny.py'))
    (folder / 'slow.py').write_text(SLOW_CONFIG)
    (folder / 'best.py').write_text(BEST_CONFIG)
    (folder / 'slow_checkpoint_write.py').write_text(SLOW_WRITE)
    return folder


def load_train_tool():
    """tools/train.py as a module, to build configs exactly as the command line does."""
    spec = importlib.util.spec_from_file_location('mmseg_uda_train_tool', TRAIN_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_runner(monkeypatch: pytest.MonkeyPatch, config: Path, work_dir: Path,
                 resume: bool = False, options: Sequence[str] = ()) -> Runner:
    """The runner ``tools/train.py CONFIG --work-dir WORK_DIR [--resume]`` would train."""
    tool = load_train_tool()
    monkeypatch.setenv('LOCAL_RANK', '0')
    resume_flag = ['--resume'] if resume else []
    monkeypatch.setattr(sys, 'argv', [
        str(TRAIN_TOOL), str(config), '--work-dir', str(work_dir), *resume_flag,
        '--cfg-options', f'experiment_name={work_dir.name}', *options])
    return Runner.from_cfg(tool.build_config(tool.parse_args()))


def train(monkeypatch: pytest.MonkeyPatch, config: Path, work_dir: Path,
          resume: bool = False) -> None:
    """Train in this process, as ``tools/train.py CONFIG --work-dir WORK_DIR`` does."""
    build_runner(monkeypatch, config, work_dir, resume).train()


def state(path: Path) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)


def last_checkpoint(work_dir: Path) -> str:
    return (work_dir / 'last_checkpoint').read_text()


def files(work_dir: Path) -> List[str]:
    """The files in the work dir, except the config copy the runner writes there and the
    record of the run's config that tools/train.py writes."""
    return sorted(p.name for p in work_dir.iterdir()
                  if p.is_file() and p.suffix != '.py' and p.name != WORK_DIR_OWNER)


def assert_same_training(result: dict, reference: dict) -> None:
    """Weights, buffers and optimizer state equal bit for bit."""
    assert result['meta']['iter'] == reference['meta']['iter']
    assert result['state_dict'].keys() == reference['state_dict'].keys()
    for key, tensor in reference['state_dict'].items():
        assert torch.equal(result['state_dict'][key], tensor), key
    momentum = {i: s['momentum_buffer'] for i, s in reference['optimizer']['state'].items()}
    assert momentum
    for i, tensor in momentum.items():
        assert torch.equal(result['optimizer']['state'][i]['momentum_buffer'], tensor), i


@pytest.fixture(scope='module')
def reference(configs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The checkpoint of an uninterrupted 6-iteration run; only it is kept (max_keep_ckpts=1)."""
    work_dir = tmp_path_factory.mktemp('reference')
    with pytest.MonkeyPatch.context() as monkeypatch:
        train(monkeypatch, configs / 'safe.py', work_dir)
    assert files(work_dir) == ['iter_6.pth', 'last_checkpoint']
    assert last_checkpoint(work_dir) == str(work_dir / 'iter_6.pth')
    return state(work_dir / 'iter_6.pth')


def test_no_space_half_way_keeps_the_previous_checkpoint(
        configs: Path, reference: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC half-way through writing iter_4: iter_2 stays, named in last_checkpoint, and the
    partial file is gone; --resume then ends bit-identical to the uninterrupted run."""
    put = LocalBackend.put

    def disk_full_at_iter_4(self, obj: bytes, filepath: str) -> None:
        if 'iter_4' not in os.path.basename(filepath):
            return put(self, obj, filepath)
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    work_dir = tmp_path / 'work'
    monkeypatch.setattr(LocalBackend, 'put', disk_full_at_iter_4)
    message = re.escape(f"could not write checkpoint '{work_dir}/iter_4.pth'")
    with pytest.raises(OSError, match=message) as err:
        train(monkeypatch, configs / 'safe.py', work_dir)
    assert err.value.errno == errno.ENOSPC
    assert files(work_dir) == ['iter_2.pth', 'last_checkpoint']
    assert last_checkpoint(work_dir) == str(work_dir / 'iter_2.pth')
    assert state(work_dir / 'iter_2.pth')['meta']['iter'] == 2

    monkeypatch.setattr(LocalBackend, 'put', put)
    train(monkeypatch, configs / 'safe.py', work_dir, resume=True)
    assert files(work_dir) == ['iter_6.pth', 'last_checkpoint']
    assert_same_training(state(work_dir / 'iter_6.pth'), reference)


def run_and_signal(config: Path, work_dir: Path, signum: int) -> str:
    """Train ``config`` in a subprocess; send ``signum`` while iter_4.pth is half written, then
    let the write go on.

    Returns:
        The subprocess's output; it must have died of ``signum``.
    """
    marker, release = work_dir.parent / 'writing', work_dir.parent / 'release'
    env = {**os.environ, 'CUDA_VISIBLE_DEVICES': '', 'SLOW_WRITE_NAME': 'iter_4.pth',
           'SLOW_WRITE_MARKER': str(marker), 'SLOW_WRITE_RELEASE': str(release),
           'PYTHONPATH': os.pathsep.join([str(config.parent), os.environ.get('PYTHONPATH', '')])}
    log = work_dir.parent / 'train.log'
    with open(log, 'w') as out:
        proc = subprocess.Popen([sys.executable, str(TRAIN_TOOL), str(config), '--work-dir',
                                 str(work_dir)], cwd=work_dir.parent, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 240
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if marker.exists():
            proc.send_signal(signum)
        else:
            proc.kill()
        release.touch()
        proc.wait(timeout=120)
    output = log.read_text()
    assert marker.exists(), f'the save of iter_4 never started:\n{output[-3000:]}'
    assert proc.returncode == -signum, f'rc {proc.returncode}:\n{output[-3000:]}'
    return output


def test_sigkill_during_the_save_keeps_the_previous_checkpoint(
        configs: Path, reference: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL with iter_4 half written: only a .partial file exists besides iter_2.pth, which
    last_checkpoint names; --resume removes the partial file and ends bit-identical."""
    work_dir = tmp_path / 'work'
    run_and_signal(configs / 'slow.py', work_dir, signal.SIGKILL)
    assert files(work_dir) == ['iter_2.pth', 'iter_4.pth' + PARTIAL_SUFFIX, 'last_checkpoint']
    assert last_checkpoint(work_dir) == str(work_dir / 'iter_2.pth')
    assert state(work_dir / 'iter_2.pth')['meta']['iter'] == 2

    train(monkeypatch, configs / 'safe.py', work_dir, resume=True)
    assert files(work_dir) == ['iter_6.pth', 'last_checkpoint']
    assert_same_training(state(work_dir / 'iter_6.pth'), reference)


def test_sigterm_during_the_save_finishes_it_first(
        configs: Path, reference: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM with iter_4 half written: the save completes (iter_4 complete, last_checkpoint
    names it, iter_2 rotated away), then the process dies of SIGTERM; --resume is bit-identical."""
    work_dir = tmp_path / 'work'
    output = run_and_signal(configs / 'slow.py', work_dir, signal.SIGTERM)
    assert f"SIGTERM arrived while saving '{work_dir}/iter_4.pth'" in output
    assert 'Iter(train) [5/6]' not in output
    assert files(work_dir) == ['iter_4.pth', 'last_checkpoint']
    assert last_checkpoint(work_dir) == str(work_dir / 'iter_4.pth')
    assert state(work_dir / 'iter_4.pth')['meta']['iter'] == 4

    train(monkeypatch, configs / 'safe.py', work_dir, resume=True)
    assert files(work_dir) == ['iter_6.pth', 'last_checkpoint']
    assert_same_training(state(work_dir / 'iter_6.pth'), reference)


def test_signals_are_held_until_the_block_ends() -> None:
    """A signal sent inside deferred_signals reaches the previous handler only after the block,
    and that handler is in place again afterwards."""
    delivered: List[int] = []

    def record(signum: int, frame) -> None:
        delivered.append(signum)

    previous = signal.signal(signal.SIGINT, record)
    try:
        with deferred_signals('testing'):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            assert delivered == []
        assert delivered == [signal.SIGINT]
        assert signal.getsignal(signal.SIGINT) is record
    finally:
        signal.signal(signal.SIGINT, previous)


def test_best_checkpoint_is_written_atomically(configs: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """save_best: every file the runner writes goes through a .partial name, the best checkpoint
    loads, and the runner's save_checkpoint is its class method again afterwards."""
    written: List[str] = []
    put = LocalBackend.put

    def record(self, obj: bytes, filepath: str) -> None:
        written.append(os.path.basename(filepath))
        put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', record)
    runner = build_runner(monkeypatch, configs / 'best.py', tmp_path / 'work')
    runner.train()
    best = [name for name in files(tmp_path / 'work') if name.startswith('best_mIoU_')]
    assert len(best) == 1 and state(tmp_path / 'work' / best[0])['meta']['iter'] in (2, 4)
    assert any(name.startswith('best_mIoU_') for name in written)
    assert written and all(name.endswith(PARTIAL_SUFFIX) for name in written), written
    assert 'save_checkpoint' not in vars(runner)


@pytest.mark.parametrize('how', ['under_a_file', 'read_only'])
def test_unwritable_out_dir_fails_before_the_first_iteration(
        how: str, configs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint folder that cannot be written is an error at before_run, naming it."""
    if how == 'under_a_file':
        (tmp_path / 'a_file').write_text('')
        out_dir = tmp_path / 'a_file'
    else:
        out_dir = tmp_path / 'ro'
        mkstemp = tempfile.mkstemp

        def read_only(*args, dir: str = None, **kwargs):
            if dir is not None and str(out_dir) in dir:
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), dir)
            return mkstemp(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, 'mkstemp', read_only)
    runner = build_runner(monkeypatch, configs / 'safe.py', tmp_path / 'work',
                          options=[f'default_hooks.checkpoint.out_dir={out_dir}'])
    message = re.escape(f"checkpoint folder '{out_dir}/work' is not writable")
    with pytest.raises(OSError, match=message):
        runner.train()
    assert runner.iter == 0


def test_resume_needs_something_to_resume(tmp_path: Path) -> None:
    """check_resume: no last_checkpoint, or one naming a missing file, is an error."""
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    cfg = Config(dict(work_dir=str(work_dir), resume=True, load_from=None))
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f"nothing to resume in work_dir '{work_dir}'")):
        check_resume(cfg)
    (work_dir / 'iter_4.pth').write_bytes(b'')
    with pytest.raises(FileNotFoundError, match='It holds iter_4.pth: .* load_from=PATH'):
        check_resume(cfg)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_2.pth'))
    with pytest.raises(FileNotFoundError, match='iter_2.pth.*which does not exist'):
        check_resume(cfg)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_4.pth'))
    assert check_resume(cfg) == str(work_dir / 'iter_4.pth')
    assert check_resume(Config(dict(work_dir=str(tmp_path), resume=True,
                                    load_from='a.pth'))) == 'a.pth'
    assert check_resume(Config(dict(work_dir=str(tmp_path), resume=False))) is None


def test_train_tool_rejects_resume_without_a_checkpoint(configs: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """tools/train.py --resume on a work dir with no checkpoint stops while building the config
    (mmengine alone would train from scratch)."""
    message = re.escape(f"nothing to resume in work_dir '{tmp_path}/typo'")
    with pytest.raises(FileNotFoundError, match=message):
        build_runner(monkeypatch, configs / 'safe.py', tmp_path / 'typo', resume=True)
