"""Every shipped config loads, builds and trains; AMP works with the two-optimizer wrapper."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict

from mmseg.registry import DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmseg_uda.label_stats import ClassSizeStats, save_patch_modes
from mmseg_uda.utils import drop_pretrained
from tests.conftest import REPO, make_batch, output_space_cfg, tiny_model_cfg

CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def _write_patch_modes(cfg, folder):
    """Point every PatchAlignment's modes_file at a random modes file of matching geometry."""
    num_classes = cfg.model.segmentor.decode_head.num_classes
    for name, ad in (cfg.model.get('adaptations') or {}).items():
        if ad.get('type') != 'PatchAlignment':
            continue
        grid = ad.get('grid', (2, 2))
        k = ad.get('num_modes', 50)
        path = str(folder / f'{name}_modes.pth')
        save_patch_modes(path, torch.rand(k, grid[0] * grid[1] * num_classes),
                         [f'c{i}' for i in range(num_classes)], ad.patch_size, grid, 'test', 0)
        ad.modes_file = path


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds(path, tmp_path):
    cfg = _prepare(path, tmp_path)
    assert cfg.model.type == 'UDASegmentor'
    assert cfg.train_dataloader and cfg.val_dataloader and cfg.optim_wrapper
    model = MODELS.build(cfg.model)
    val = cfg.val_dataloader.dataset
    classes = val.get('metainfo', {}).get('classes') or DATASETS.get(val.type).METAINFO['classes']
    assert model.segmentor.decode_head.num_classes == len(classes), 'model/dataset class count'


def _write_class_stats(cfg, folder):
    """Point every CategoryAdaptation's stats_file at a generated file for its class set."""
    num_classes = cfg.model.segmentor.decode_head.num_classes
    for name, ad in (cfg.model.get('adaptations') or {}).items():
        if ad.get('type') != 'CategoryAdaptation':
            continue
        classes = ad.get('classes')
        if isinstance(classes, str):
            classes = DATASETS.get(classes).METAINFO['classes']
        classes = list(classes or [f'c{i}' for i in range(num_classes)])
        path = str(folder / f'{name}_class_stats.json')
        ClassSizeStats(classes, [0.01] * num_classes, [0.05] * num_classes,
                       [0.5] * num_classes, [1] * num_classes, 1).save(path)
        ad.stats_file = path


def _prepare(path, tmp_path):
    """The config with no pretrained weights and generated statistics files."""
    cfg = Config.fromfile(osp.join(REPO, path))
    drop_pretrained(cfg.model)
    _write_patch_modes(cfg, tmp_path)
    _write_class_stats(cfg, tmp_path)
    return cfg


def _narrow_vgg_fc(cfg, width=64):
    """fc6/fc7 of the dilated VGG-16 at ``width`` channels instead of 4096 (~120M parameters,
    minutes per CPU step): the layers, heads and GA discriminator stay as configured otherwise."""
    seg = cfg.model.segmentor
    if seg.backbone.type != 'DilatedVGG16':
        return
    seg.backbone.fc_channels = width
    seg.decode_head.update(in_channels=width, channels=width)
    for ad in (cfg.model.get('adaptations') or {}).values():
        if ad.get('type') == 'GlobalFeatureAlignment':
            ad.in_channels = width


@pytest.mark.parametrize('path', CONFIGS)
def test_config_trains(path, tmp_path):
    """Two UDA iterations of the config's own model and optimizers on a small random batch.

    The iterations run right after the config's warm-up (every adaptation takes part), with the
    config's optimizer wrappers built by its constructor; every loss must be finite and both the
    segmentor and (when there are adaptations with discriminators) the discriminators must move.
    """
    cfg = _prepare(path, tmp_path)
    _narrow_vgg_fc(cfg)
    seg = cfg.model.segmentor
    size = (64, 64)
    if seg.get('data_preprocessor', {}).get('size') is not None:
        seg.data_preprocessor.size = size  # e.g. SegFormer's 512x1024 crop: keep the test small
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_cfg = cfg.optim_wrapper.to_dict()
    constructor = optim_cfg.pop('constructor', 'UDAOptimWrapperConstructor')
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=constructor, optim_wrapper_cfg=optim_cfg,
             paramwise_cfg=optim_cfg.pop('paramwise_cfg', None)))(model)
    num_classes = model.segmentor.decode_head.num_classes
    MessageHub.get_current_instance().update_info('iter', cfg.model.get('warmup_iters', 0))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        for step in range(2):
            log_vars = model.train_step(
                dict(source=make_batch(2, *size, num_classes=num_classes, seed=step),
                     target=make_batch(2, *size, num_classes=num_classes, labels=False,
                                       seed=10 + step)), optim)
            bad = {k: float(v) for k, v in log_vars.items() if not torch.isfinite(v).all()}
            assert not bad, f'non-finite log values {bad}'
    finally:
        MessageHub.get_current_instance().update_info('iter', 0)
    assert log_vars['nonfinite_steps'] == 0
    changed = {k.split('.')[0] for k, v in model.state_dict().items()
               if v.is_floating_point() and not torch.equal(before[k], v)}
    expected = {'generator'}
    if isinstance(optim, OptimWrapperDict) and 'discriminator' in optim.keys() \
            and len(model.discriminators):
        expected.add('discriminators')
        assert any(k.startswith('disc.') for k in log_vars), sorted(log_vars)
    if any(ad.uses_target for ad in model.generator.adaptations.values()):
        assert any(k.startswith('adv.') or k.startswith('tgt.') for k in log_vars), \
            f'no target-side losses after warm-up: {sorted(log_vars)}'
    assert changed == expected


def test_amp_with_two_optimizers(monkeypatch):
    """AmpOptimWrapper for both parts (bf16 autocast on CPU; mmengine's CUDA check patched)."""
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp
    monkeypatch.setattr(amp, 'is_cuda_available', lambda: True)
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(adaptations=output_space_cfg(), warmup_iters=0))
    model.init_weights()
    wrapper = dict(type='AmpOptimWrapper', dtype='bfloat16', loss_scale='dynamic')
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='UDAOptimWrapperConstructor',
        optim_wrapper_cfg=dict(
            segmentor=dict(wrapper, optimizer=dict(type='SGD', lr=0.01)),
            discriminator=dict(wrapper, optimizer=dict(type='Adam', lr=1e-3)))))(model)
    assert {type(w).__name__ for w in optim.values()} == {'AmpOptimWrapper'}
    MessageHub.get_current_instance().update_info('iter', 0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    log_vars = model.train_step(dict(source=make_batch(), target=make_batch(labels=False)), optim)
    assert all(torch.isfinite(v) for v in log_vars.values())
    changed = {k.split('.')[0] for k, v in model.state_dict().items()
               if not torch.equal(before[k], v)}
    assert changed == {'generator', 'discriminators'}
