"""Every shipped config loads, builds and trains; AMP works with the two-optimizer wrapper."""
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from mmseg.registry import DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmseg_uda.testing import prepare_config, shipped_configs, smoke_train_config
from mmseg_uda.utils import segmentor_cfg
from tests.conftest import REPO, make_batch, output_space_cfg, tiny_model_cfg

#: Without the MMSeg-scheme aliases: each merges to the config it names
#: (tests/test_config_names.py), which is trained here.
CONFIGS = list(shipped_configs(REPO))


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds(path, tmp_path):
    cfg = prepare_config(f'{REPO}/{path}', str(tmp_path))
    # source only (and pixel-level alone): a plain MMSeg model; every other config adapts
    assert cfg.model.type == ('UDASegmentor' if 'segmentor' in cfg.model else 'EncoderDecoder')
    assert cfg.train_dataloader and cfg.val_dataloader and cfg.optim_wrapper
    model = MODELS.build(cfg.model)
    val = cfg.val_dataloader.dataset
    classes = val.get('metainfo', {}).get('classes') or DATASETS.get(val.type).METAINFO['classes']
    assert getattr(model, 'segmentor', model).decode_head.num_classes == len(classes), \
        'model/dataset class count'


@pytest.mark.parametrize('path', CONFIGS)
def test_config_trains(path, tmp_path):
    """Two UDA iterations of the config's own model and optimizers on 64x64 random batches
    (:func:`mmseg_uda.testing.smoke_train_config`, which checks what must move); the VGG-16
    configs with fc6/fc7 narrowed to 64 channels, the SegFormer ones with one block per
    stage. A backbone with an ``output_stride`` above 8
    gets inputs of 8 x output_stride pixels a side instead (8x8 logits at least, for the
    output-space discriminators' three stride-2 layers)."""
    backbone = segmentor_cfg(Config.fromfile(f'{REPO}/{path}').model).backbone
    side = 8 * max(8, backbone.get('output_stride', 8))
    smoke_train_config(f'{REPO}/{path}', str(tmp_path), size=(side, side))


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
            generator=dict(wrapper, optimizer=dict(type='SGD', lr=0.01)),
            discriminator=dict(wrapper, optimizer=dict(type='Adam', lr=1e-3)))))(model)
    assert {type(w).__name__ for w in optim.values()} == {'AmpOptimWrapper'}
    MessageHub.get_current_instance().update_info('iter', 0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    log_vars = model.train_step(dict(source=make_batch(), target=make_batch(labels=False)), optim)
    assert all(torch.isfinite(v) for v in log_vars.values())
    changed = {k.split('.')[0] for k, v in model.state_dict().items()
               if not torch.equal(before[k], v)}
    assert changed == {'generator', 'discriminators'}
