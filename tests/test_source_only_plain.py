"""The source-only configs are plain MMSeg configs, and their checkpoints load into UDA models.

A source-only config trains MMSeg's own ``EncoderDecoder`` with a stock ``OptimWrapper``: the
same weights, step for step, as the ``UDASegmentor`` around that segmentor without adaptations
(which the configs were before), and its checkpoint is a stock one, which a UDA config's
``load_from`` maps onto ``generator.segmentor.``.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint, set_random_seed

from mmseg.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmseg_uda.testing import build_optim_wrappers, make_batch, prepare_config
from mmseg_uda.utils import alias_target
from tests.conftest import REPO, output_space_cfg, tiny_model_cfg

SOURCE_ONLY = sorted(
    osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs/source_only/*.py'))
    if not alias_target(p)) + ['configs/demo/source_only_synthetic.py']
PREFIX = 'generator.segmentor.'


@pytest.mark.parametrize('path', SOURCE_ONLY)
def test_source_only_configs_are_plain_mmseg_configs(path):
    cfg = Config.fromfile(osp.join(REPO, path))
    assert cfg.model.type == 'EncoderDecoder' and 'data_preprocessor' in cfg.model
    assert cfg.optim_wrapper.type == 'OptimWrapper' and 'constructor' not in cfg.optim_wrapper
    assert cfg.model_wrapper_cfg is None  # mmengine's DDP wrapper, not the UDA one
    assert cfg.train_dataloader.dataset.type != 'UDADataset'


def train(model, optim, batches, uda: bool, message_hub_iter) -> dict:
    """Run ``train_step`` on each batch; the state dict after the last one."""
    for i, batch in enumerate(batches):
        message_hub_iter(i)
        model.train_step(dict(source=batch) if uda else batch, optim)
    return model.state_dict()


def test_plain_source_only_trains_as_the_uda_segmentor_without_adaptations(
        tmp_path, message_hub_iter):
    """Same seed, same batches: the plain model of the demo source-only config ends with the
    weights of the UDASegmentor around it (the former config: model.segmentor = this model,
    optim_wrapper.generator = this optimizer) bit for bit."""
    cfg = prepare_config(osp.join(REPO, 'configs/demo/source_only_synthetic.py'), str(tmp_path))
    batches = [make_batch(2, 64, 64, num_classes=19, seed=i) for i in range(3)]
    set_random_seed(0, deterministic=True)
    plain = MODELS.build(cfg.model)
    plain.init_weights()
    plain_state = train(plain, build_optim_wrappers(cfg, plain), batches, False,
                        message_hub_iter)
    set_random_seed(0, deterministic=True)
    uda = MODELS.build(dict(type='UDASegmentor', segmentor=cfg.model))
    uda.init_weights()
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='UDAOptimWrapperConstructor',
        optim_wrapper_cfg=dict(generator=cfg.optim_wrapper)))(uda)
    uda_state = train(uda, optim, batches, True, message_hub_iter)
    assert sorted(uda_state) == sorted(PREFIX + k for k in plain_state)
    start = MODELS.build(cfg.model).state_dict()
    assert any(not torch.equal(v, start[k]) for k, v in plain_state.items())  # it trained
    assert all(torch.equal(uda_state[PREFIX + k], v) for k, v in plain_state.items())


def test_stock_and_uda_checkpoints_load_into_a_uda_model(tmp_path):
    """``load_from`` (mmengine's non-strict ``load_checkpoint``): a stock MMSeg checkpoint
    (``backbone.*``, ``decode_head.*``, ``auxiliary_head.*``) fills ``generator.segmentor.*``;
    a UDA checkpoint loads as it is, its discriminators too."""
    torch.manual_seed(0)
    stock = MODELS.build(tiny_model_cfg()['segmentor'])
    trained_uda = MODELS.build(tiny_model_cfg(adaptations=output_space_cfg()))
    for name, model in (('stock', stock), ('uda', trained_uda)):
        torch.save(dict(state_dict=model.state_dict(), meta=dict()), str(tmp_path / name))
    for name, source in (('stock', {PREFIX + k: v for k, v in stock.state_dict().items()}),
                         ('uda', trained_uda.state_dict())):
        torch.manual_seed(1)
        model = MODELS.build(tiny_model_cfg(adaptations=output_space_cfg()))
        before = {k: v.clone() for k, v in model.state_dict().items()}
        load_checkpoint(model, str(tmp_path / name), map_location='cpu')
        state = model.state_dict()
        assert all(torch.equal(state[k], v) for k, v in source.items()), name
        kept = set(state) - set(source)  # the stock checkpoint has no discriminator
        assert kept == ({k for k in state if k.startswith('discriminators.')}
                        if name == 'stock' else set()), name
        assert all(torch.equal(state[k], before[k]) for k in kept), name
        assert any(not torch.equal(state[k], before[k]) for k in source
                   if state[k].is_floating_point()), name
