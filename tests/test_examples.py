"""The README's recipe: output-space adaptation mixed into MMSeg's own SegFormer config."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from mmseg.registry import DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from tests.conftest import REPO, make_batch

EXAMPLE = osp.join(REPO, 'configs/examples/segformer_mit-b0_output_space_cityscapes.py')


def test_segformer_example_builds_and_trains(tmp_path):
    generate_synthetic_uda_data(str(tmp_path), num_train=2, num_val=1, width=128, height=64)
    cfg = Config.fromfile(EXAMPLE)
    assert cfg.model.segmentor.backbone.type == 'MixVisionTransformer'
    # CPU, single process, no download: BN instead of SyncBN, no pretrained weights
    cfg.model.segmentor.decode_head.norm_cfg = dict(type='BN', requires_grad=True)
    cfg.model.segmentor.backbone.init_cfg = None
    cfg.model.segmentor.data_preprocessor.size = (64, 128)
    cfg.model.warmup_iters = 0
    source = cfg.train_dataloader.dataset.source
    source.data_root = str(tmp_path / 'source')
    source.pipeline = [p for p in source.pipeline if p.type in ('LoadImageFromFile',
                                                               'LoadAnnotations', 'PackSegInputs')]
    target = cfg.train_dataloader.dataset.target
    target.data_root = str(tmp_path / 'target')
    target.pipeline = [p for p in target.pipeline if p.type in ('LoadImageFromFile',
                                                               'PackSegInputs')]
    item = DATASETS.build(cfg.train_dataloader.dataset)[0]
    assert 'gt_sem_seg' in item['source']['data_samples']
    assert 'gt_sem_seg' not in item['target']['data_samples']

    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_cfg = cfg.optim_wrapper.to_dict()
    optim_cfg.pop('constructor')
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type='UDAOptimWrapperConstructor', optim_wrapper_cfg=optim_cfg))(model)
    assert type(optim['generator'].optimizer).__name__ == 'AdamW'
    MessageHub.get_current_instance().update_info('iter', 0)
    before = [p.detach().clone() for p in model.discriminators.parameters()]
    log_vars = model.train_step(
        dict(source=make_batch(n=1, h=64, w=128, num_classes=19),
             target=make_batch(n=1, h=64, w=128, labels=False)), optim)
    assert torch.isfinite(log_vars['adv.output.loss_adv_logits'])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.discriminators.parameters()))
