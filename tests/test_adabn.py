"""AdaBN (target BatchNorm statistics) and the patch-analysis tools, on small generated data."""
import copy
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config, ConfigDict
from torch import nn

from mmseg.registry import DATASETS, MODELS
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.engine import AdaBNHook, reestimate_bn_stats
from mmseg_uda.engine.adabn import batchnorm_layers
from mmseg_uda.patch_modes import save_patch_modes
from tests.conftest import REPO, make_batch, tiny_model_cfg
from tests.test_launch import run_tool


def test_reestimate_bn_stats_is_the_target_batch_statistics():
    """Running mean/var become the (cumulative) statistics of the given images; nothing else
    changes, and the train/eval flags and momenta are restored."""
    torch.manual_seed(0)
    seg = MODELS.build(tiny_model_cfg()['segmentor'])
    seg.init_weights()
    seg.train()
    first_bn = seg.backbone.bn1
    weights = {k: v.clone() for k, v in seg.state_dict().items() if 'running' not in k
               and 'num_batches' not in k}
    seen = []
    handle = first_bn.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach()))
    batches = [make_batch(4, 32, 48, labels=False, seed=s) for s in range(3)]
    images = reestimate_bn_stats(seg, seg.data_preprocessor, batches)
    handle.remove()
    assert images == 12
    x = torch.cat(seen)  # (12, C, h, w), equal-size batches: the average of batch means is exact
    torch.testing.assert_close(first_bn.running_mean, x.mean(dim=(0, 2, 3)))
    per_batch_var = torch.stack([b.var(dim=(0, 2, 3), unbiased=True) for b in seen])
    torch.testing.assert_close(first_bn.running_var, per_batch_var.mean(0))
    assert all(torch.equal(seg.state_dict()[k], v) for k, v in weights.items())
    assert seg.training and all(m.training for _, m in batchnorm_layers(seg))
    assert all(m.momentum == 0.1 for _, m in batchnorm_layers(seg))
    assert len(seen) == 3  # max_batches not set: every batch used


def test_reestimate_bn_stats_errors():
    with pytest.raises(ValueError, match='no BatchNorm layer'):
        reestimate_bn_stats(nn.Sequential(nn.Conv2d(3, 3, 1)), nn.Identity(), [])
    seg = MODELS.build(tiny_model_cfg()['segmentor'])
    with pytest.raises(ValueError, match='no images'):
        reestimate_bn_stats(seg, seg.data_preprocessor, [])
    with pytest.raises(ValueError, match='batch_size must be >= 2'):
        AdaBNHook(batch_size=1)


def test_adabn_hook_dataset_resolution():
    target = dict(type='CityscapesDataset', data_root='t')
    uda = ConfigDict(train_dataloader=dict(dataset=dict(type='UDADataset', source={},
                                                        target=target)))
    assert AdaBNHook().resolve_dataset(uda) == target
    source_only = ConfigDict(train_dataloader=dict(dataset=dict(type='CityscapesDataset')),
                             target_train=dict(target, data_root='top'))
    assert AdaBNHook().resolve_dataset(source_only)['data_root'] == 'top'
    explicit = dict(type='CamVidDataset')
    assert AdaBNHook(dataset=explicit).resolve_dataset(uda) == explicit
    with pytest.raises(ValueError, match='target_train'):
        AdaBNHook().resolve_dataset(ConfigDict(train_dataloader=dict(dataset=dict(type='X'))))


@pytest.fixture(scope='module')
def synthetic_run(tmp_path_factory):
    """Synthetic data and a checkpoint of a 3-iteration patch-alignment training run."""
    tmp = tmp_path_factory.mktemp('adabn')
    data = generate_synthetic_uda_data(str(tmp / 'data'), num_train=6, num_val=2)
    config = 'configs/demo/patch_align_synthetic.py'
    cfg = Config.fromfile(osp.join(REPO, config))
    num_classes = cfg.model.segmentor.decode_head.num_classes
    modes = str(tmp / 'modes.pth')
    # the source dataset's class names: DataChecksHook compares them with the file's
    classes = DATASETS.get(cfg.train_dataloader.dataset.source.type).METAINFO['classes']
    save_patch_modes(modes, torch.rand(50, 4 * num_classes), list(classes), 16, 2, 'test', 0)
    options = [f"train_dataloader.dataset.source.data_root={data['source_root']}",
               f"train_dataloader.dataset.target.data_root={data['target_root']}",
               f"val_dataloader.dataset.data_root={data['target_root']}",
               f"test_dataloader.dataset.data_root={data['target_root']}",
               f'model.adaptations.patch.modes_file={modes}', 'model.warmup_iters=1',
               'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
               'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
               'test_dataloader.persistent_workers=False', 'train_cfg.max_iters=3',
               'train_cfg.val_interval=3', 'default_hooks.checkpoint.interval=3',
               'param_scheduler.0.end=3']
    work = tmp / 'work'
    run_tool([sys.executable, 'tools/train.py', config, '--work-dir', str(work),
              '--cfg-options', *options], cwd=REPO)
    return dict(tmp=tmp, data=data, config=config, options=options, modes=modes,
                ckpt=str(work / 'iter_3.pth'))


def test_test_tool_with_adabn(synthetic_run):
    """tools/test.py --adabn re-estimates on the 6 target train images, then evaluates."""
    r = synthetic_run
    out = run_tool([sys.executable, 'tools/test.py', r['config'], r['ckpt'], '--adabn',
                    '--work-dir', str(r['tmp'] / 'test_adabn'), '--cfg-options',
                    *r['options']], cwd=REPO)
    assert 'AdaBN: re-estimated 20 BatchNorm layers on 6 images of CityscapesDataset' in out
    assert 'mIoU' in out


def test_patch_tsne_and_mode_examples(synthetic_run):
    """The analysis tools run on a trained checkpoint and write their pictures."""
    r = synthetic_run
    roots = (f"train_dataloader.dataset.source.data_root={r['data']['source_root']}",)
    tsne_png = r['tmp'] / 'tsne.png'
    # the tool reads the config's own data roots: write a config with the test's
    cfg = Config.fromfile(osp.join(REPO, r['config']))
    cfg.train_dataloader.dataset.source.data_root = r['data']['source_root']
    cfg.train_dataloader.dataset.target.data_root = r['data']['target_root']
    cfg.model.adaptations.patch.modes_file = r['modes']
    config = str(r['tmp'] / 'patch.py')
    cfg.dump(config)
    out = run_tool([sys.executable, 'tools/analysis/patch_tsne.py', '--out', str(tsne_png),
                    '--model', 'trained', config, r['ckpt'], '--model', 'again', config,
                    r['ckpt'], '--num-images', '4', '--max-patches', '100'], cwd=REPO)
    assert tsne_png.stat().st_size > 1000
    assert out.count('domain mixing of F') == 2
    mixing = [float(line.rsplit(' ', 1)[1]) for line in out.splitlines()
              if 'domain mixing of F' in line]
    assert mixing[0] == mixing[1] and 0 <= mixing[0] <= 2

    modes_png = r['tmp'] / 'modes.png'
    out = run_tool([sys.executable, 'tools/analysis/patch_mode_examples.py', r['config'],
                    '--modes-file', r['modes'], '--out', str(modes_png), '--num-images', '3',
                    '--rows', '4', '--examples', '2', '--cfg-options', *roots], cwd=REPO)
    assert modes_png.stat().st_size > 1000
    total = int(out.split(' patches in ')[0].split()[-1])
    assert total == 3 * 6 * 12  # 96x192 crops, 16 px patches, every patch labelled


def test_domain_mixing_reference():
    """1 for identically distributed domains, 0 for separated ones."""
    sys.path.insert(0, osp.join(REPO, 'tools', 'analysis'))
    from patch_tsne import domain_mixing
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(400, 5, generator=g).numpy(), torch.rand(400, 5, generator=g).numpy()
    assert 0.85 < domain_mixing(a, b) < 1.15
    assert domain_mixing(a, copy.deepcopy(a) + 10) == 0
