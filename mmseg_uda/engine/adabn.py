"""AdaBN: re-estimate BatchNorm statistics on target-domain images (Li et al., 2016).

"Revisiting Batch Normalization For Practical Domain Adaptation" (Li, Wang, Shi, Liu, Hou,
arXiv:1610.04558) replaces the running mean and variance of every BatchNorm layer by the
statistics of the target domain and keeps every learned weight. It needs no labels and no
training, and on small shifts it is a strong baseline that any adaptation method should be
reported against; this module provides it for any MMSeg segmentor, plain or wrapped in
:class:`~mmseg_uda.models.UDASegmentor`.

    reestimate_bn_stats(segmentor, data_preprocessor, dataloader)   # the function
    custom_hooks = [dict(type='AdaBNHook')]                         # before every test
    python tools/test.py CONFIG CHECKPOINT --adabn                  # the same from the CLI
"""
import copy
import sys
from typing import Iterable, List, Optional, Tuple

import torch
from mmengine.config import ConfigDict
from mmengine.dist import broadcast, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.dataset import pseudo_collate
from mmengine.utils import ProgressBar
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmseg.registry import DATASETS, HOOKS
from .strict_load import inner_model


def batchnorm_layers(module: nn.Module) -> List[Tuple[str, _BatchNorm]]:
    """All BatchNorm layers (any dimension, SyncBN included) of ``module``, by name."""
    return [(n, m) for n, m in module.named_modules() if isinstance(m, _BatchNorm)]


@torch.no_grad()
def reestimate_bn_stats(segmentor: nn.Module, data_preprocessor: nn.Module,
                        dataloader: Iterable, max_batches: Optional[int] = None,
                        progress: bool = True) -> int:
    """Replace the running statistics of every BatchNorm layer by those of ``dataloader``.

    The segmentor runs in eval mode (dropout off) except its BatchNorm layers, whose running
    mean and variance are reset and accumulated as a cumulative average over all batches
    (``momentum=None``); the learned affine weights are not touched. Only the main path
    (backbone, neck, decode head) runs: the auxiliary head does not take part in inference.

    Args:
        segmentor (nn.Module): An MMSeg segmentor (``extract_feat`` + ``decode_head``).
        data_preprocessor (nn.Module): Turns the dataloader's batches into ``inputs``.
        dataloader (Iterable): Batches of images of the domain to adapt to; labels are not read.
        max_batches (int, optional): Stop after this many batches (default: all).
        progress (bool): Show mmengine's progress bar (batches) on the main process.

    Returns:
        int: The number of images seen.

    Raises:
        ValueError: If the segmentor has no BatchNorm layer or the dataloader is empty.
    """
    layers = batchnorm_layers(segmentor)
    if not layers:
        raise ValueError(f'AdaBN: {type(segmentor).__name__} has no BatchNorm layer to adapt')
    was_training = segmentor.training
    momenta = [m.momentum for _, m in layers]
    segmentor.eval()
    for _, m in layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over every batch
        m.train()
    seen = 0
    bar = None
    if progress and is_main_process():
        total = len(dataloader) if hasattr(dataloader, '__len__') else 0
        bar = ProgressBar(min(total, max_batches) if max_batches is not None else total,
                          file=sys.stdout)  # the stream of the moment, not that of import
    try:
        for i, batch in enumerate(dataloader):
            if max_batches is not None and i >= max_batches:
                break
            data = data_preprocessor(batch, False)
            inputs = data['inputs']
            segmentor.decode_head(segmentor.extract_feat(inputs))
            seen += inputs.shape[0]
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.file.write('\n')
        for (_, m), momentum in zip(layers, momenta):
            m.momentum = momentum
        segmentor.train(was_training)
    if seen == 0:
        raise ValueError('AdaBN: the dataloader yielded no images')
    return seen


def _plain_segmentor(model: nn.Module) -> Tuple[nn.Module, nn.Module]:
    """(segmentor, data_preprocessor) of a Runner's model, unwrapping DDP, SegTTAModel and
    UDASegmentor."""
    model = inner_model(model)
    generator = getattr(model, 'generator', None)
    segmentor = generator.segmentor if generator is not None else model
    return segmentor, model.data_preprocessor


@HOOKS.register_module()
class AdaBNHook(Hook):
    """Re-estimate the segmentor's BatchNorm statistics on target images before testing.

    AdaBN baseline (Li et al., 2016) as a hook: before the test loop (and, with
    ``before_val=True``, before every validation), the running statistics of every BatchNorm
    layer are recomputed on ``dataset`` with :func:`reestimate_bn_stats`. The change is made in
    place, so a checkpoint saved afterwards holds the adapted statistics.

    Args:
        dataset (dict, optional): The images to adapt to. Default: the target set of the
            config's training data (``train_dataloader.dataset.target`` of a ``UDADataset``),
            else the config's top-level ``target_train`` (defined by the dataset base configs,
            so source-only configs work too).
        batch_size (int): Images per forward pass. Default 8.
        num_workers (int): Dataloader workers. Default 2.
        before_val (bool): Also re-estimate before each validation (the statistics then follow
            the model during training). Default False.
    """

    priority = 'VERY_HIGH'

    def __init__(self, dataset: Optional[dict] = None, batch_size: int = 8,
                 num_workers: int = 2, before_val: bool = False) -> None:
        if batch_size < 2:
            raise ValueError(f'AdaBNHook: batch_size must be >= 2 for batch statistics, got '
                             f'{batch_size}')
        self.dataset = dataset
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.before_val = before_val

    def resolve_dataset(self, cfg: ConfigDict) -> dict:
        """The dataset config to adapt to (see the class docstring)."""
        if self.dataset is not None:
            return copy.deepcopy(self.dataset)
        train = cfg.get('train_dataloader', {}).get('dataset', {})
        if train.get('type') == 'UDADataset':
            return copy.deepcopy(train['target'])
        if cfg.get('target_train') is not None:
            return copy.deepcopy(cfg['target_train'])
        raise ValueError(
            'AdaBNHook: no target images to re-estimate BatchNorm statistics on. The config has '
            'no UDADataset train_dataloader.dataset.target and no top-level target_train; pass '
            "dict(type='AdaBNHook', dataset=dict(type=..., data_root=..., pipeline=...))")

    def adapt(self, runner) -> None:
        """Re-estimate the statistics of ``runner.model`` (identical on every rank)."""
        dataset_cfg = self.resolve_dataset(runner.cfg)
        # Every rank reads the whole set in order (no sampler sharding across ranks).
        dataloader = torch.utils.data.DataLoader(
            DATASETS.build(dataset_cfg), batch_size=self.batch_size, shuffle=False,
            num_workers=self.num_workers, collate_fn=pseudo_collate)
        segmentor, preprocessor = _plain_segmentor(runner.model)
        seen = reestimate_bn_stats(segmentor, preprocessor, dataloader)
        layers = batchnorm_layers(segmentor)
        if get_world_size() > 1:  # random augmentations may differ per rank: take rank 0's
            for _, m in layers:
                broadcast(m.running_mean, 0)
                broadcast(m.running_var, 0)
        prefix = dataset_cfg.get('data_prefix', {}).get('img_path', '')
        runner.logger.info(
            f'AdaBN: re-estimated {len(layers)} BatchNorm layers on {seen} '
            f"images of {dataset_cfg.get('type')} ({dataset_cfg.get('data_root', '')}/{prefix})")

    def before_test(self, runner) -> None:
        self.adapt(runner)

    def before_val_epoch(self, runner) -> None:
        if self.before_val:
            self.adapt(runner)
