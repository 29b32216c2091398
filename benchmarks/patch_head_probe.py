"""How well can each patch-cluster head H predict the patch modes from a trained segmentor?

    python benchmarks/patch_head_probe.py CONFIG CHECKPOINT [--steps 300] [--lr 1e-3] \
        [--batch-size 8] [--seed 0] [--split source_val]

The segmentor of CHECKPOINT (a trained UDA model with a ``PatchAlignment`` adaptation) is
frozen; for each head design (``head_pooling='patch'``: one pooled cell per patch, 1x1 convs;
``'cell'``: one pooled cell per descriptor cell, a grid-sized first conv) a freshly initialised
H is trained alone with Adam on Ld = CE(H(O), Γ(Ys)) over the source training set (its training
pipeline; :func:`mmseg_uda.patch_head_fit.fit_patch_heads`, as ``tools/fit_patch_head.py``), then its mode accuracy is measured on ``--split`` with
``tools/analysis/patch_mode_accuracy.py``'s ``mode_accuracy``. Γ, F and Ld are the
adaptation's own (:meth:`PatchAlignment.patch_targets`, its forward, ``patch_cluster_loss``).
This separates what each head can represent from how far a short adaptation run trained it.
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis'))

import mmseg_uda  # noqa: E402,F401  (registers the datasets and models)
from mmseg.registry import DATASETS, MODELS  # noqa: E402
from mmseg_uda.engine import safe_torch_load  # noqa: E402
from mmseg_uda.patch_head_fit import fit_patch_heads  # noqa: E402
from patch_mode_accuracy import mode_accuracy, split_dataset_cfg  # noqa: E402
from patch_tsne import patch_adaptation  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--steps', type=int, default=300)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--split', default='source_val')
    return parser.parse_args(argv)


def probe(cfg: Config, checkpoint: str, pooling: str, args: argparse.Namespace) -> dict:
    """Train a fresh H of ``pooling`` on the frozen segmentor, return its mode accuracy."""
    cfg = cfg.copy()
    cfg.merge_from_dict({'model.adaptations.patch.head_pooling': pooling})
    torch.manual_seed(args.seed)
    model = MODELS.build(cfg.model)
    state = safe_torch_load(checkpoint, map_location='cpu')['state_dict']
    name, patch = patch_adaptation(model)
    head_prefix = f'generator.adaptations.{name}.head.'
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith(head_prefix)},
                          strict=False)
    source = DATASETS.build(cfg.train_dataloader.dataset.source)
    loader = DataLoader(source, batch_size=args.batch_size, shuffle=True,
                        collate_fn=pseudo_collate,
                        generator=torch.Generator().manual_seed(args.seed))
    log = fit_patch_heads(model, loader, args.steps, args.lr, log_interval=1, progress=False)
    result = mode_accuracy(model, patch, DATASETS.build(split_dataset_cfg(cfg, args.split)),
                           args.batch_size, 0.9)
    result['train_loss'] = log[-1][f'{name}.loss_cluster']
    return result


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    print(f'| head pooling | Ld after {args.steps} steps | {args.split} mode accuracy, all | '
          'mixed | pure |\n|---|---|---|---|---|')
    for pooling in ('patch', 'cell'):
        r = probe(cfg, args.checkpoint, pooling, args)
        print(f"| {pooling} | {r['train_loss']:.3f} | {r['accuracy']:.3f} "
              f"({r['patches']} patches) | {r['mixed_accuracy']:.3f} ({r['mixed_patches']}) | "
              f"{r['pure_accuracy']:.3f} |", flush=True)


if __name__ == '__main__':
    main()
