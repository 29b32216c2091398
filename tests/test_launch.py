"""mmseg_uda.engine.launch and the tools/ launchers (train, resume, test, 2-process CPU DDP)."""
import importlib.util
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import cv2
import numpy as np
import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS
from torch import nn

from mmseg_uda.engine import (cpu_model_wrapper_cfg, distributed_session, enable_amp,
                              init_cpu_process_group, setup_distributed)

REPO = Path(__file__).resolve().parents[1]
SGD = dict(type='SGD', lr=0.01)


def free_port() -> int:
    """A TCP port that is free on localhost right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- enable_amp


@pytest.fixture
def cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend a CUDA device exists (enable_amp only edits the config)."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '0')  # read by MMLogger once CUDA "exists"


def test_amp_single_wrapper(cuda: None) -> None:
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=SGD, clip_grad=None)))
    enable_amp(cfg)
    assert cfg.optim_wrapper == dict(
        type='AmpOptimWrapper', loss_scale='dynamic', optimizer=SGD, clip_grad=None)


def test_amp_single_wrapper_default_type(cuda: None) -> None:
    cfg = Config(dict(optim_wrapper=dict(optimizer=SGD)))
    enable_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'


def test_amp_already_enabled_is_left_alone(cuda: None) -> None:
    cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper', loss_scale=512., optimizer=SGD)))
    enable_amp(cfg)
    assert cfg.optim_wrapper == dict(type='AmpOptimWrapper', loss_scale=512., optimizer=SGD)


def test_amp_multi_optimizer(cuda: None) -> None:
    adam = dict(type='Adam', lr=1e-4)
    cfg = Config(
        dict(
            optim_wrapper=dict(
                constructor='UDAOptimWrapperConstructor',
                generator=dict(type='OptimWrapper', optimizer=SGD),
                discriminator=dict(optimizer=adam, clip_grad=dict(max_norm=1.)))))
    enable_amp(cfg)
    assert cfg.optim_wrapper == dict(
        constructor='UDAOptimWrapperConstructor',
        generator=dict(type='AmpOptimWrapper', loss_scale='dynamic', optimizer=SGD),
        discriminator=dict(
            type='AmpOptimWrapper', loss_scale='dynamic', optimizer=adam,
            clip_grad=dict(max_norm=1.)))


def test_amp_rejects_other_wrapper_types(cuda: None) -> None:
    cfg = Config(
        dict(
            optim_wrapper=dict(
                generator=dict(type='OptimWrapper', optimizer=SGD),
                discriminator=dict(type='MyWrapper', optimizer=SGD))))
    with pytest.raises(ValueError, match=r"optim_wrapper\.discriminator\.type='MyWrapper'"):
        enable_amp(cfg)


def test_amp_needs_a_wrapper_config(cuda: None) -> None:
    cfg = Config(dict(optim_wrapper=dict(constructor='UDAOptimWrapperConstructor')))
    with pytest.raises(ValueError, match='no optimizer wrapper config'):
        enable_amp(cfg)


def test_amp_on_cpu_fails_early(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=SGD)))
    with pytest.raises(RuntimeError, match='--amp needs a CUDA device'):
        enable_amp(cfg)


# --------------------------------------------------------------------------- distributed_session


def test_distributed_session_destroys_the_group_after_success(gloo_group: None) -> None:
    init_cpu_process_group('pytorch')
    with distributed_session():
        pass
    assert not torch_dist.is_initialized()


def test_distributed_session_destroys_the_group_and_reraises(gloo_group: None,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    init_cpu_process_group('pytorch')
    barriers = []
    monkeypatch.setattr(torch_dist, 'barrier', lambda *a, **k: barriers.append(1))
    with pytest.raises(KeyError, match='boom'):
        with distributed_session():
            raise KeyError('boom')
    assert not torch_dist.is_initialized()
    assert barriers == []  # the other ranks may never reach a barrier after a failure


def test_distributed_session_without_a_group_does_nothing() -> None:
    assert not torch_dist.is_initialized()
    with distributed_session():
        pass
    assert not torch_dist.is_initialized()


# --------------------------------------------------------------------------- setup_distributed


@pytest.fixture
def cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)


@pytest.fixture
def gloo_group(cpu: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """torchrun's environment for a single-process group; the group is destroyed afterwards."""
    assert not torch_dist.is_initialized()
    for name, value in dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0', MASTER_ADDR='127.0.0.1',
                            MASTER_PORT=str(free_port())).items():
        monkeypatch.setenv(name, value)
    yield
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def test_setup_distributed_noop_without_launcher(cpu: None) -> None:
    cfg = Config(dict(model_wrapper_cfg=dict(type='MMFullyShardedDataParallel')))
    setup_distributed(cfg, 'none')
    assert cfg.model_wrapper_cfg == dict(type='MMFullyShardedDataParallel')
    assert not torch_dist.is_initialized()


def test_setup_distributed_noop_on_gpu(cuda: None) -> None:
    cfg = Config(dict())
    setup_distributed(cfg, 'pytorch')
    assert 'model_wrapper_cfg' not in cfg
    assert not torch_dist.is_initialized()


def test_cpu_wrapper_defaults_to_stock_ddp_without_device_ids() -> None:
    cfg = Config(dict(find_unused_parameters=True))
    assert cpu_model_wrapper_cfg(cfg) == dict(
        type='MMDistributedDataParallel', device_ids=None, find_unused_parameters=True)


def test_cpu_wrapper_keeps_separate_ddp_and_user_keys() -> None:
    cfg = Config(
        dict(
            find_unused_parameters=False,
            model_wrapper_cfg=dict(
                type='MMSeparateDistributedDataParallel', find_unused_parameters=True,
                broadcast_buffers=True)))
    assert cpu_model_wrapper_cfg(cfg) == dict(
        type='MMSeparateDistributedDataParallel', device_ids=None, find_unused_parameters=True,
        broadcast_buffers=True)


def test_cpu_wrapper_rejects_other_types() -> None:
    cfg = Config(dict(model_wrapper_cfg=dict(type='MMFullyShardedDataParallel')))
    with pytest.raises(ValueError, match="model_wrapper_cfg.type='MMFullyShardedDataParallel'"):
        cpu_model_wrapper_cfg(cfg)


def test_cpu_wrapper_rejects_device_ids() -> None:
    cfg = Config(dict(model_wrapper_cfg=dict(device_ids=[0])))
    with pytest.raises(ValueError, match=r'model_wrapper_cfg.device_ids=\[0\]'):
        cpu_model_wrapper_cfg(cfg)


def test_setup_distributed_needs_torchrun_env(cpu: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match='launcher slurm.*RANK, WORLD_SIZE'):
        setup_distributed(Config(dict()), 'slurm')


class TwoParts(nn.Module):
    """A model with two parameterised parts, like a segmentor and a discriminator."""

    def __init__(self) -> None:
        super().__init__()
        self.segmentor = nn.Linear(2, 2)
        self.discriminator = nn.Linear(2, 1)


def test_stock_wrapper_rejects_cpu_modules(gloo_group: None) -> None:
    """Why the rewrite is needed: the runner's ``device_ids=[LOCAL_RANK]`` fails on CPU."""
    torch_dist.init_process_group('gloo')
    with pytest.raises(ValueError, match='device_ids'):
        MODEL_WRAPPERS.build(dict(type='MMSeparateDistributedDataParallel'),
                             default_args=dict(module=TwoParts(), device_ids=[0]))


@pytest.mark.parametrize('wrapper', ['MMDistributedDataParallel',
                                     'MMSeparateDistributedDataParallel'])
def test_setup_distributed_on_cpu_builds_the_wrapper(gloo_group: None, wrapper: str) -> None:
    """After setup_distributed, the wrapper builds the way ``Runner.wrap_model`` builds it."""
    cfg = Config(dict(model_wrapper_cfg=dict(type=wrapper, find_unused_parameters=True),
                      env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60))))
    setup_distributed(cfg, 'pytorch')
    assert torch_dist.get_backend() == 'gloo'
    assert cfg.model_wrapper_cfg == dict(type=wrapper, find_unused_parameters=True,
                                         device_ids=None)
    runner_default_args = dict(module=TwoParts(), device_ids=[int(os.environ['LOCAL_RANK'])])
    model = MODEL_WRAPPERS.build(cfg.model_wrapper_cfg, default_args=runner_default_args)
    assert type(model).__name__ == wrapper


def test_setup_distributed_keeps_an_existing_group(gloo_group: None) -> None:
    torch_dist.init_process_group('gloo')
    group = torch_dist.group.WORLD
    setup_distributed(Config(dict()), 'pytorch')
    assert torch_dist.group.WORLD is group


# --------------------------------------------------------------------------- tools/ end to end

needs_mmseg = pytest.mark.skipif(
    importlib.util.find_spec('mmseg') is None, reason='the tools need mmsegmentation installed')

TINY_CONFIG = """
default_scope = 'mmseg'
custom_imports = dict(imports=['mmseg_uda'], allow_failed_imports=False)
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], size=(64, 64), bgr_to_rgb=True,
                           pad_val=0, seg_pad_val=255),
    backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8,
                  out_indices=(0, 1, 2, 3), norm_cfg=norm_cfg),
    decode_head=dict(type='FCNHead', in_channels=64, in_index=3, channels=8, num_convs=1,
                     concat_input=False, dropout_ratio=0., num_classes=2, norm_cfg=norm_cfg,
                     loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    train_cfg=dict(), test_cfg=dict(mode='whole'))
pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')]
dataset = dict(type='BaseSegDataset', data_root={data_root!r},
               data_prefix=dict(img_path='images', seg_map_path='labels'),
               img_suffix='.png', seg_map_suffix='.png', pipeline=pipeline,
               metainfo=dict(classes=('background', 'thing'), palette=[[0, 0, 0], [255, 0, 0]]))
train_dataloader = dict(batch_size=2, num_workers=0, sampler=dict(type='InfiniteSampler'),
                        dataset=dataset)
test_dataloader = dict(batch_size=1, num_workers=0,
                       sampler=dict(type='DefaultSampler', shuffle=False), dataset=dataset)
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=6, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
visualizer = dict(type='SegLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer')
log_processor = dict(by_epoch=False)
"""

DUMP_HOOK = '''
"""Save every rank's final parameters, to compare them across DDP ranks."""
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class DumpParamsHook(Hook):

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        params = {name: p.detach().clone() for name, p in model.named_parameters()}
        torch.save(params, f'{runner.work_dir}/params_rank{get_rank()}.pth')
'''

DIST_CONFIG = """
_base_ = './tiny.py'
custom_imports = dict(imports=['mmseg_uda', 'dump_params_hook'], allow_failed_imports=False)
custom_hooks = [dict(type='DumpParamsHook')]
train_dataloader = dict(batch_size=1, sampler=dict(type='InfiniteSampler'))
"""


@pytest.fixture(scope='module')
def tiny_setup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four 64x64 images with 2-class label maps, and the tiny configs, in one folder."""
    root = tmp_path_factory.mktemp('tiny')
    rng = np.random.default_rng(0)
    for folder in ('images', 'labels'):
        (root / folder).mkdir()
    for i in range(4):
        cv2.imwrite(str(root / 'images' / f'{i}.png'),
                    rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
        cv2.imwrite(str(root / 'labels' / f'{i}.png'),
                    rng.integers(0, 2, (64, 64), dtype=np.uint8))
    (root / 'tiny.py').write_text(TINY_CONFIG.format(data_root=str(root)))
    (root / 'tiny_dist.py').write_text(DIST_CONFIG)
    (root / 'dump_params_hook.py').write_text(DUMP_HOOK)
    return root


def run_tool(args: List[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> str:
    """Run a tools/ command with this interpreter on CPU; return its combined output."""
    full_env = {**os.environ, 'PYTHON': sys.executable, 'CUDA_VISIBLE_DEVICES': '', **(env or {})}
    proc = subprocess.run(args, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    assert proc.returncode == 0, f'{args} exited with {proc.returncode}:\n{proc.stdout[-6000:]}'
    return proc.stdout


def checkpoint_iter(path: Path) -> int:
    return torch.load(path, map_location='cpu', weights_only=False)['meta']['iter']


@needs_mmseg
def test_train_resume_and_test(tiny_setup: Path, tmp_path: Path) -> None:
    """Train 4 iters, resume to 6 (mmengine checkpoints load again), then test the result."""
    config, work_dir = str(tiny_setup / 'tiny.py'), str(tmp_path / 'work')
    train = [sys.executable, str(REPO / 'tools' / 'train.py'), config, '--work-dir', work_dir]
    run_tool(train, cwd=tmp_path)
    assert checkpoint_iter(tmp_path / 'work' / 'iter_4.pth') == 4

    out = run_tool(train + ['--resume', '--cfg-options', 'train_cfg.max_iters=6'], cwd=tmp_path)
    assert re.search(r'resumed epoch: \d+, iter: 4', out), out[-3000:]
    assert 'Iter(train) [5/6]' in out
    assert checkpoint_iter(tmp_path / 'work' / 'iter_6.pth') == 6

    out = run_tool([sys.executable, str(REPO / 'tools' / 'test.py'), config,
                    str(tmp_path / 'work' / 'iter_6.pth'), '--work-dir', work_dir], cwd=tmp_path)
    assert 'Load checkpoint from' in out and 'mIoU' in out


@needs_mmseg
def test_dist_train_two_cpu_processes(tiny_setup: Path, tmp_path: Path) -> None:
    """tools/dist_train.sh with 2 gloo processes, launched three times in a row: every launch
    exits 0 (the process group is shut down cleanly), and both ranks end with the same
    parameters."""
    python_path = os.pathsep.join([str(tiny_setup), os.environ.get('PYTHONPATH', '')])
    for launch in range(3):
        work_dir = tmp_path / f'work{launch}'
        out = run_tool(['bash', str(REPO / 'tools' / 'dist_train.sh'),
                        str(tiny_setup / 'tiny_dist.py'), '2', '--work-dir', str(work_dir),
                        '--cfg-options', 'train_cfg.max_iters=2'],
                       cwd=tmp_path, env={'PORT': str(free_port()), 'PYTHONPATH': python_path})
        assert 'terminate called' not in out, f'launch {launch}:\n{out[-3000:]}'
    rank0 = torch.load(work_dir / 'params_rank0.pth')
    rank1 = torch.load(work_dir / 'params_rank1.pth')
    assert rank0.keys() == rank1.keys() and rank0
    for name in rank0:
        torch.testing.assert_close(rank0[name], rank1[name], rtol=0, atol=0, msg=name)
    state_dict = torch.load(work_dir / 'iter_2.pth', weights_only=False)['state_dict']
    for name in rank0:
        torch.testing.assert_close(state_dict[name], rank0[name], rtol=0, atol=0, msg=name)
