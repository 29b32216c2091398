"""The source-only configs are plain MMSeg configs, and their checkpoints load into UDA models.

A source-only config trains MMSeg's own ``EncoderDecoder`` with a stock ``OptimWrapper``: the
same weights, step for step, as the ``UDASegmentor`` around that segmentor during its warm-up
(source-only iterations), and its checkpoint is a stock one, which a UDA config's ``load_from``
maps onto ``generator.segmentor.``. The figures of the former source-only path (a
``UDASegmentor`` without adaptations, now refused) are those stored by
``benchmarks/uda_equivalence.py`` for ``configs/demo/source_only_synthetic.py``.
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


def test_plain_source_only_trains_as_the_uda_segmentor_in_its_warm_up(
        tmp_path, message_hub_iter):
    """Same start, seed and batches: the plain model of the demo source-only config ends with
    the weights of the UDASegmentor around it (optim_wrapper.generator = this optimizer) during
    the warm-up, bit for bit; the discriminators do not move."""
    cfg = prepare_config(osp.join(REPO, 'configs/demo/source_only_synthetic.py'), str(tmp_path))
    batches = [make_batch(2, 64, 64, num_classes=19, seed=i) for i in range(3)]
    set_random_seed(0, deterministic=True)
    plain = MODELS.build(cfg.model)
    plain.init_weights()
    start = {k: v.clone() for k, v in plain.state_dict().items()}
    set_random_seed(0, deterministic=True)  # the same draws in both trainings (dropout)
    plain_state = train(plain, build_optim_wrappers(cfg, plain), batches, False,
                        message_hub_iter)
    uda = MODELS.build(dict(type='UDASegmentor', segmentor=cfg.model, adaptations=dict(
        output=dict(type='OutputSpaceAdaptation')), warmup_iters=len(batches)))
    uda.segmentor.load_state_dict(start)
    disc_start = {k: v.clone() for k, v in uda.discriminators.state_dict().items()}
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='UDAOptimWrapperConstructor',
        optim_wrapper_cfg=dict(generator=cfg.optim_wrapper, discriminator=dict(
            type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))))(uda)
    set_random_seed(0, deterministic=True)
    uda_state = train(uda, optim, batches, True, message_hub_iter)
    assert sorted(k for k in uda_state if k.startswith(PREFIX)) == sorted(
        PREFIX + k for k in plain_state)
    assert any(not torch.equal(v, start[k]) for k, v in plain_state.items())  # it trained
    assert all(torch.equal(uda_state[PREFIX + k], v) for k, v in plain_state.items())
    assert all(torch.equal(uda_state['discriminators.' + k], v) for k, v in disc_start.items())


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
