"""End to end: tools/train.py, tools/dist_train.sh and tools/test.py on a UDA config.

Output-space adaptation on the built-in synthetic data, past its warm-up, on CPU.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.engine import DistParamsCheckHook
from tests.conftest import REPO
from tests.test_launch import free_port, run_tool

TRAIN = [sys.executable, os.path.join(REPO, 'tools', 'train.py')]
CONFIG = """
_base_ = '{repo}/configs/demo/output_space_synthetic.py'
model = dict(warmup_iters=2)
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(source=dict(data_root='{root}/source'), target=dict(data_root='{root}/target')))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{root}/target'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=4, val_interval=4)
param_scheduler = [dict(type='PolyLR', eta_min=0., power=0.9, begin=0, end=8, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=5), logger=dict(interval=1),
                     visualization=dict(draw=False))
custom_hooks = [dict(type='DistParamsCheckHook', interval=1)]
"""


def write_setup(root: Path) -> Path:
    generate_synthetic_uda_data(str(root / 'data'), num_train=6, num_val=2, width=128, height=64,
                                seed=3)
    config = root / 'uda_tiny.py'
    config.write_text(CONFIG.format(repo=REPO, root=root / 'data'))
    return config


def state(path: Path) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """4 iterations (2 source-only, 2 adapted) of the tiny config; returns (config, work_dir)."""
    root = tmp_path_factory.mktemp('uda')
    config = write_setup(root)
    out = run_tool(TRAIN + [str(config), '--work-dir', str(root / 'work')], cwd=root)
    assert 'adv.output.loss_adv_logits' in out and 'disc.tgt.output.loss_d_logits' in out
    assert re.search(r'Iter\(train\) \[2/4\].*src\.loss', out)
    return config, root / 'work'


def test_target_labels_are_never_read(trained, tmp_path):
    """Garbage or missing target training labels leave training bit-identical."""
    config, work = trained
    reference = state(work / 'iter_4.pth')['state_dict']
    data = tmp_path / 'data'
    shutil.copytree(config.parent / 'data', data)
    labels = sorted((data / 'target' / 'gtFine' / 'train').rglob('*.png'))
    assert labels
    for label in labels:
        label.write_bytes(os.urandom(300))
    for variant in ('garbage', 'removed'):
        if variant == 'removed':
            shutil.rmtree(data / 'target' / 'gtFine' / 'train')
        cfg = tmp_path / f'{variant}.py'
        cfg.write_text(config.read_text().replace(str(config.parent / 'data'), str(data)))
        run_tool(TRAIN + [str(cfg), '--work-dir', str(tmp_path / variant)], cwd=tmp_path)
        result = state(tmp_path / variant / 'iter_4.pth')['state_dict']
        assert result.keys() == reference.keys()
        for key in reference:
            assert torch.equal(result[key], reference[key]), f'{variant}: {key} differs'


def test_target_images_are_not_decoded_during_warmup(trained, tmp_path):
    """Undecodable target training images: the warm-up (2 iterations) still trains, because
    UDAWarmupBatchSampler keeps the target out of the warm-up batches; the first adapted
    iteration then fails naming the target file."""
    config, _ = trained
    data = tmp_path / 'data'
    shutil.copytree(config.parent / 'data', data)
    images = sorted((data / 'target' / 'leftImg8bit' / 'train').rglob('*.png'))
    assert images
    for image in images:
        image.write_bytes(b'not a png')
    cfg = tmp_path / 'broken_target.py'
    cfg.write_text(config.read_text().replace(str(config.parent / 'data'), str(data)))
    run_tool(TRAIN + [str(cfg), '--work-dir', str(tmp_path / 'warmup'), '--cfg-options',
                      'train_cfg.max_iters=2', 'train_cfg.val_interval=100'], cwd=tmp_path)
    out = run_failing(TRAIN + [str(cfg), '--work-dir', str(tmp_path / 'adapt'), '--cfg-options',
                               'train_cfg.max_iters=3', 'train_cfg.val_interval=100'],
                      cwd=tmp_path)
    assert 'while loading target sample' in out and 'leftImg8bit/train' in out, out[-3000:]


def test_resume_restores_both_optimizers_then_test(trained, tmp_path):
    config, work = trained
    resumed = tmp_path / 'work'
    shutil.copytree(work, resumed)
    out = run_tool(TRAIN + [str(config), '--work-dir', str(resumed), '--resume', '--cfg-options',
                            'train_cfg.max_iters=6'], cwd=tmp_path)
    assert re.search(r'resumed epoch: \d+, iter: 4', out), out[-3000:]
    ckpt = state(resumed / 'iter_6.pth')
    assert ckpt['meta']['iter'] == 6
    assert set(ckpt['optimizer']) >= {'generator', 'discriminator'}
    assert ckpt['optimizer']['discriminator']['state'], 'Adam state of D was not saved'
    out = run_tool([sys.executable, os.path.join(REPO, 'tools', 'test.py'), str(config),
                    str(resumed / 'iter_6.pth'), '--work-dir', str(tmp_path / 'test')],
                   cwd=tmp_path)
    assert re.search(r'mIoU: \d+\.\d+', out)

    # a checkpoint saved when optim_wrapper.generator was called segmentor resumes the same way
    former = tmp_path / 'former'
    shutil.copytree(work, former)
    old = state(former / 'iter_4.pth')
    for field in ('optimizer', 'param_schedulers'):
        old[field] = {'segmentor' if k == 'generator' else k: v for k, v in old[field].items()}
    assert set(old['optimizer']) == set(old['param_schedulers']) == {'segmentor',
                                                                       'discriminator'}
    torch.save(old, former / 'iter_4.pth')
    out = run_tool(TRAIN + [str(config), '--work-dir', str(former), '--resume', '--cfg-options',
                            f'load_from={former / "iter_4.pth"}', 'train_cfg.max_iters=6'],
                   cwd=tmp_path)
    assert 'read as: optimizer.segmentor -> optimizer.generator, param_schedulers.segmentor -> ' \
        'param_schedulers.generator' in out, out[-3000:]
    again = state(former / 'iter_6.pth')
    for key, value in ckpt['state_dict'].items():
        assert torch.equal(again['state_dict'][key], value), key


def run_failing(args, cwd):
    """Run a tool that must fail; return its combined output."""
    proc = subprocess.run(args, cwd=cwd, env={**os.environ, 'CUDA_VISIBLE_DEVICES': ''},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert proc.returncode != 0, proc.stdout[-3000:]
    return proc.stdout


def miou(out: str) -> float:
    return float(re.findall(r'mIoU: (\d+\.\d+)', out)[-1])


def test_test_tool_loads_strictly(trained, tmp_path):
    """tools/test.py: a checkpoint for another class count, or of another architecture, is an
    error naming the first keys; an exported plain-segmentor checkpoint on the UDA config
    scores exactly what the UDA checkpoint scores."""
    config, work = trained
    test = [sys.executable, os.path.join(REPO, 'tools', 'test.py'), str(config)]
    out = run_tool(test + [str(work / 'iter_4.pth'), '--work-dir', str(tmp_path / 'a')],
                   cwd=tmp_path)
    reference = miou(out)
    out = run_failing(test + [str(work / 'iter_4.pth'), '--work-dir', str(tmp_path / 'b'),
                              '--cfg-options', 'model.segmentor.decode_head.num_classes=11',
                              'model.segmentor.auxiliary_head.num_classes=11'], cwd=tmp_path)
    assert re.search(r'does not fit the model.*tensors have another shape, e\.g\. '
                     r'generator\.segmentor\.\S+: \(19, ', out), out[-3000:]
    plain = tmp_path / 'plain.pth'
    run_tool([sys.executable, os.path.join(REPO, 'tools', 'model_converters', 'uda_to_mmseg.py'),
              str(work / 'iter_4.pth'), str(plain)], cwd=tmp_path)
    out = run_tool(test + [str(plain), '--work-dir', str(tmp_path / 'c')], cwd=tmp_path)
    assert miou(out) == reference


NAN_HOOK = '''
"""From iteration 3 on, the backbone's last features get a NaN gradient; the loss stays finite."""
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class NaNGradientHook(Hook):

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == 3:
            def poison(module, args, output):
                if output[-1].requires_grad:  # not in validation
                    output[-1].register_hook(lambda grad: grad * float('nan'))
            runner.model.segmentor.backbone.register_forward_hook(poison)
'''


def test_nan_gradients_are_never_saved(trained, tmp_path):
    """A finite loss with NaN gradients from iteration 3 on: the steps are skipped and counted,
    training stops after max_nonfinite_steps with a message that is true, and every checkpoint
    written (the one last_checkpoint names included) holds finite weights."""
    config, _ = trained
    (tmp_path / 'nan_gradient_hook.py').write_text(NAN_HOOK)
    (tmp_path / 'nan.py').write_text(
        f"_base_ = '{config}'\n"
        "custom_imports = dict(imports=['mmseg_uda', 'nan_gradient_hook'])\n"
        "custom_hooks = [dict(type='NaNGradientHook')]\n")
    work = tmp_path / 'work'
    args = TRAIN + [str(tmp_path / 'nan.py'), '--work-dir', str(work), '--cfg-options',
                    'train_cfg.max_iters=8', 'model.max_nonfinite_steps=3',
                    'default_hooks.checkpoint.interval=1']
    proc = subprocess.run(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300,
                          env={**os.environ, 'CUDA_VISIBLE_DEVICES': '',
                               'PYTHONPATH': os.pathsep.join([str(tmp_path), REPO])})
    out = proc.stdout
    assert proc.returncode != 0, out[-3000:]
    assert 'FloatingPointError: 3 consecutive steps had non-finite gradients' in out, out[-3000:]
    assert re.search(r'non-finite gradients in the generator step.*3 in all', out)
    saved = sorted(work.glob('iter_*.pth'))
    assert [p.name for p in saved] == [f'iter_{i}.pth' for i in (1, 2, 3, 4, 5)], saved
    for path in saved:
        for key, value in state(path)['state_dict'].items():
            assert torch.isfinite(value.float()).all(), f'{path.name}: {key} is not finite'
    last = (work / 'last_checkpoint').read_text().strip()
    assert last.endswith('iter_5.pth')
    reference = state(work / 'iter_3.pth')['state_dict']
    for key, value in state(work / 'iter_5.pth')['state_dict'].items():
        if 'running' not in key and 'num_batches' not in key:
            assert torch.equal(value, reference[key]), f'{key} changed in a skipped step'
    hub = state(work / 'iter_5.pth')['message_hub']['runtime_info']
    assert hub['uda_nonfinite_steps'] == 2


def test_dist_train_two_ranks_stay_identical(tmp_path):
    """2 gloo processes through dist_train.sh; every parameter equal on both ranks."""
    config = write_setup(tmp_path)
    out = run_tool(['bash', os.path.join(REPO, 'tools', 'dist_train.sh'), str(config), '2',
                    '--work-dir', str(tmp_path / 'work')], cwd=tmp_path,
                   env={'PORT': str(free_port())})
    assert 'adv.output.loss_adv_logits' in out
    checks = re.findall(r'DistParamsCheckHook: all (\d+) parameters identical on 2 ranks at '
                        r'iteration (\d+)', out)
    assert [int(i) for _, i in checks] == [1, 2, 3, 4, 4], out[-3000:]
    seg = sum(1 for k in state(tmp_path / 'work' / 'iter_4.pth')['state_dict']
              if 'running' not in k and 'num_batches' not in k)
    assert int(checks[-1][0]) == seg  # segmentor + discriminator parameters, all of them


class _FakeRunner:

    def __init__(self, model):
        self.model = model
        self.logger = type('L', (), {'info': staticmethod(lambda msg: None)})


def _diverge(rank: int, port: int, queue) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    model = torch.nn.Linear(3, 2)
    torch.nn.init.zeros_(model.weight)
    torch.nn.init.zeros_(model.bias)
    if rank == 1:
        with torch.no_grad():
            model.bias[1] = 0.5
    try:
        DistParamsCheckHook.check(_FakeRunner(model), 7)
        queue.put((rank, 'no error'))
    except RuntimeError as e:
        queue.put((rank, str(e)))
    dist.destroy_process_group()


def test_params_check_hook_detects_divergence():
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=_diverge, args=(r, port, queue)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    results = dict(queue.get(timeout=5) for _ in range(2))
    assert 'parameter bias differs between rank 0 and rank 1' in results[0]
    assert 'max abs difference 0.5' in results[0] and 'iteration 7' in results[0]
