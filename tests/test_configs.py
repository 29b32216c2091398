"""Every shipped config loads and its model builds; AMP works with the two-optimizer wrapper."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from mmseg.registry import DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmseg_uda.label_stats import save_patch_modes
from tests.conftest import REPO, make_batch, output_space_cfg, tiny_model_cfg

CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def _drop_pretrained(cfg):
    """No weight download in tests: remove every init_cfg of type Pretrained."""
    if isinstance(cfg, dict):
        if isinstance(cfg.get('init_cfg'), dict) and cfg['init_cfg'].get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        for v in cfg.values():
            _drop_pretrained(v)


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
    cfg = Config.fromfile(osp.join(REPO, path))
    assert cfg.model.type == 'UDASegmentor'
    assert cfg.train_dataloader and cfg.val_dataloader and cfg.optim_wrapper
    _drop_pretrained(cfg.model)
    _write_patch_modes(cfg, tmp_path)
    model = MODELS.build(cfg.model)
    val = cfg.val_dataloader.dataset
    classes = val.get('metainfo', {}).get('classes') or DATASETS.get(val.type).METAINFO['classes']
    assert model.segmentor.decode_head.num_classes == len(classes), 'model/dataset class count'


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
