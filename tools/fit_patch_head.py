"""Fit the patch-cluster head H of a patch-alignment config on a trained segmentor, alone.

    python tools/fit_patch_head.py CONFIG CHECKPOINT --out work_dirs/NAME/head.pth \
        [--iters 1000] [--lr 1e-3] [--seed 0] [--cfg-options k=v ...]

For adapting from a source-only model with a short schedule (the CamVid protocol of
``benchmarks/camvid_table.py``: one source-only warm-up per seed, every method continued from
it for 250 iterations). Tsai et al. (ICCV 2019) train H with Ld for the 140k iterations after
their source-only warm-up; continued from a source-only checkpoint for a few hundred
iterations at λd = 0.01 and the schedule's tail learning rate, H stays at chance (Ld = ln K)
and the patch discriminator sees the same uniform input from both domains.

This tool trains H alone on Ld over the source images of CONFIG's training set (its source
pipeline, an ``InfiniteSampler`` seeded with ``--seed``), with the segmentor of CHECKPOINT (a
plain MMSeg or a UDA checkpoint) frozen: :func:`mmseg_uda.patch_head_fit.fit_patch_heads`,
Adam at ``--lr``. It writes a UDA checkpoint with CHECKPOINT's segmentor weights bit for bit and
the fitted H, without discriminators (a run continued from it with ``load_from`` initialises
them), and prints the mean Ld every ``--log-interval`` iterations.
"""
import argparse
import copy
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import DictAction
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

import mmseg_uda  # noqa: F401  (registers mmseg_uda's datasets and models)
from mmseg.registry import MODELS
from mmseg_uda.engine.export import segmentor_weights
from mmseg_uda.patch_head_fit import fit_patch_heads, patch_adaptations
from mmseg_uda.utils import drop_pretrained, load_tool_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Train the patch-cluster head H of a patch '
                                     'alignment config on a frozen trained segmentor')
    parser.add_argument('config', help='patch-alignment (UDA) config')
    parser.add_argument('checkpoint', help='segmentor checkpoint (plain MMSeg or UDA)')
    parser.add_argument('--out', required=True, help='output checkpoint (.pth)')
    parser.add_argument('--iters', type=int, default=1000, help='training iterations of H')
    parser.add_argument('--lr', type=float, default=1e-3, help='Adam learning rate of H')
    parser.add_argument('--seed', type=int, default=0, help='seed of H and of the sampler')
    parser.add_argument('--log-interval', type=int, default=100, help='iterations per Ld line')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, as tools/train.py')
    return parser.parse_args(argv)


def load_segmentor(model: torch.nn.Module, checkpoint: str) -> None:
    """Load CHECKPOINT's segmentor weights (a plain or a UDA checkpoint,
    :func:`mmseg_uda.engine.export.segmentor_weights`) into the UDA model's segmentor, strictly:
    a missing or unexpected weight is an error naming it."""
    ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
    model.generator.segmentor.load_state_dict(segmentor_weights(state_dict, checkpoint))


def main(argv: Optional[List[str]] = None) -> None:
    """Build the model and the source loader, fit H, write the checkpoint."""
    args = parse_args(argv)
    if args.iters < 1 or not args.lr > 0:
        raise ValueError(f'--iters must be >= 1 and --lr > 0, got {args.iters} and {args.lr}')
    cfg = load_tool_config(args.config, args.cfg_options)
    dataset = cfg.train_dataloader.dataset
    if dataset.get('type') != 'UDADataset':
        raise ValueError(f'{args.config}: train_dataloader.dataset must be a UDADataset, got '
                         f"{dataset.get('type')}")
    torch.manual_seed(args.seed)
    model_cfg = copy.deepcopy(cfg.model)
    drop_pretrained(model_cfg)  # every segmentor weight comes from the checkpoint
    model = MODELS.build(model_cfg)
    if not patch_adaptations(model):
        raise ValueError(f'{args.config} has no PatchAlignment adaptation (model.adaptations)')
    load_segmentor(model, args.checkpoint)
    for adaptation in patch_adaptations(model).values():
        adaptation.require_file_state()  # the modes: its error names the command building them
    loader_cfg = dict(batch_size=cfg.train_dataloader.batch_size,
                      num_workers=cfg.train_dataloader.get('num_workers', 0),
                      sampler=dict(type='InfiniteSampler', shuffle=True, seed=args.seed),
                      dataset=dataset.source)
    loader = Runner.build_dataloader(loader_cfg, seed=args.seed)
    log = fit_patch_heads(model, loader, args.iters, args.lr, args.log_interval)
    print()
    for entry in log:
        print(', '.join(f'{k} {v:.4f}' if isinstance(v, float) else f'{k} {v}'
                        for k, v in entry.items()))
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('discriminators.')}
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    meta = dict(patch_head_fit=dict(config=args.config, checkpoint=args.checkpoint,
                                    iters=args.iters, lr=args.lr, seed=args.seed, log=log))
    torch.save(dict(state_dict=state, meta=meta), args.out)
    print(f'wrote {args.out}: the segmentor of {args.checkpoint} and H fitted for {args.iters} '
          'iterations')


if __name__ == '__main__':
    main()
