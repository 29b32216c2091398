"""Mode accuracy of the patch-cluster head H: how often argmax F = Γ(Y) on labelled patches.

    python tools/analysis/patch_mode_accuracy.py CONFIG CHECKPOINT [--split source_val] \
        [--adaptation patch] [--mixed-below 0.9] [--batch-size 8] [--cfg-options k=v ...]

CONFIG/CHECKPOINT is a trained UDA model with a ``PatchAlignment`` adaptation (Tsai et al., ICCV
2019). The images of the config's dataset ``--split`` (a top-level dataset config such as
CamVid's ``source_val``, or ``train_dataloader.dataset.source``) go through the segmentor and H
exactly as in training: Γ(Y) is the adaptation's own :meth:`PatchAlignment.patch_targets`
(its ``min_labelled_fraction`` included) and F its own forward. The tool prints the fraction
of valid patches whose most likely mode is their Γ target, over all valid patches and over
the mixed ones, where no class covers ``--mixed-below`` of the labelled pixels (the boundary
patches that distinguish patch modes from class proportions; pure patches are the rest). A
model trained with the pooled head needs ``--cfg-options
model.adaptations.patch.head_pooling=patch`` to load.
"""
import argparse
import os.path as osp
import sys
from typing import Dict

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.runner import load_checkpoint
from torch.utils.data import DataLoader

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmseg_uda  # noqa: E402,F401  (registers mmseg_uda's datasets and models)
from mmseg.registry import DATASETS, MODELS  # noqa: E402
from mmseg_uda.patch_modes import patch_histograms  # noqa: E402
from mmseg_uda.utils import load_tool_config  # noqa: E402
from patch_tsne import patch_adaptation  # noqa: E402  (tools/analysis/)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', default='source_val',
                        help="dataset config: a top-level key of CONFIG, or 'source' for "
                        'train_dataloader.dataset.source (default: source_val)')
    parser.add_argument('--adaptation', default=None,
                        help='name of the PatchAlignment adaptation (default: the only one)')
    parser.add_argument('--mixed-below', type=float, default=0.9,
                        help='a patch is mixed when its largest class share is below this')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args(argv)


def split_dataset_cfg(cfg: Config, split: str) -> dict:
    """The dataset config ``split`` names (see ``--split``)."""
    if split == 'source':
        return cfg.train_dataloader.dataset.source
    if not isinstance(cfg.get(split), dict) or 'type' not in cfg.get(split):
        raise KeyError(f"--split {split!r}: the config has no dataset config of that name (use "
                       "'source' or a top-level dataset key such as 'source_val')")
    return cfg[split]


@torch.no_grad()
def mode_accuracy(model, patch, dataset, batch_size: int, mixed_below: float) -> Dict[str, float]:
    """Counts and accuracies of argmax F against Γ(Y) over valid, mixed and pure patches."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=pseudo_collate)
    counts = dict(valid=0, valid_hit=0, mixed=0, mixed_hit=0)
    for batch in loader:
        data = model.data_preprocessor(batch, True)  # as in training: labels padded to inputs
        inputs, samples = data['inputs'], data['data_samples']
        outputs = model.generator.segmentor_outputs(inputs, need_aux=False)
        _, reps = patch(outputs, samples, 'target')  # F only: no loss, same forward
        pred = reps[patch.rep_key].argmax(1)
        targets = patch.patch_targets(samples, inputs.shape[2:])
        labels = torch.stack([s.gt_sem_seg.data[0] for s in samples])
        shares, _ = patch_histograms(labels, patch.patch_size, patch.num_classes,
                                     patch.ignore_index, grid=1)
        valid = targets != patch.ignore_index
        mixed = valid & (shares.max(-1).values < mixed_below)
        hit = pred == targets
        counts['valid'] += int(valid.sum())
        counts['valid_hit'] += int((hit & valid).sum())
        counts['mixed'] += int(mixed.sum())
        counts['mixed_hit'] += int((hit & mixed).sum())
    pure, pure_hit = counts['valid'] - counts['mixed'], counts['valid_hit'] - counts['mixed_hit']
    return dict(patches=counts['valid'], mixed_patches=counts['mixed'],
                accuracy=counts['valid_hit'] / max(counts['valid'], 1),
                mixed_accuracy=counts['mixed_hit'] / max(counts['mixed'], 1),
                pure_accuracy=pure_hit / max(pure, 1))


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = load_tool_config(args.config, args.cfg_options)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.eval()
    _, patch = patch_adaptation(model, args.adaptation)
    dataset = DATASETS.build(split_dataset_cfg(cfg, args.split))
    result = mode_accuracy(model, patch, dataset, args.batch_size, args.mixed_below)
    print(f"{args.checkpoint} ({patch.head.pooling} pooling), {args.split}: "
          f"{result['patches']} valid patches, mode accuracy {result['accuracy']:.3f}; "
          f"mixed (largest class < {args.mixed_below:.0%}) {result['mixed_patches']} patches, "
          f"{result['mixed_accuracy']:.3f}; pure {result['pure_accuracy']:.3f}")


if __name__ == '__main__':
    main()
