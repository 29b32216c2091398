"""Example source patches of each patch mode (Tsai et al., ICCV 2019, the clustered patch space).

    python tools/analysis/patch_mode_examples.py CONFIG --modes-file FILE --out PNG \
        [--num-images 100] [--rows 12] [--examples 6] [--cfg-options k=v ...]

Reads the source training set of CONFIG with its training pipeline (the geometry the modes were
built with), assigns every patch of every label map to its nearest mode with the function
training uses for Γ(Ys) (:func:`mmseg_uda.patch_modes.patch_histograms` +
:func:`~mmseg_uda.patch_modes.assign_modes`), and draws, for the ``--rows`` most frequent
modes, ``--examples`` patches each: the image patch and its label patch in the dataset palette.
It prints the number of patches per mode seen in the first ``--num-images`` images.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.utils import track_iter_progress

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmseg_uda  # noqa: E402,F401  (registers mmseg_uda's datasets)
from mmseg.registry import DATASETS  # noqa: E402
from mmseg_uda.patch_modes import (assign_modes, load_patch_modes,  # noqa: E402
                                   patch_histograms)
from mmseg_uda.models.adaptation import PatchAlignment  # noqa: E402
from mmseg_uda.source_labels import source_dataset_cfg  # noqa: E402
from mmseg_uda.utils import load_tool_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--modes-file', required=True)
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--num-images', type=int, default=100)
    parser.add_argument('--rows', type=int, default=12, help='modes shown (most frequent)')
    parser.add_argument('--examples', type=int, default=6, help='patches shown per mode')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def patch_geometry(cfg: Config) -> Dict:
    """Patch size, grid, K and ignore index of the config's PatchAlignment adaptation
    (:meth:`PatchAlignment.geometry_of`)."""
    for ad in (cfg.model.get('adaptations') or {}).values():
        if ad.get('type') == 'PatchAlignment':
            return PatchAlignment.geometry_of(ad)
    raise ValueError('the config has no PatchAlignment adaptation in model.adaptations')


def collect(dataset, modes: torch.Tensor, geometry: Dict, num_classes: int, num_images: int,
            examples: int) -> (np.ndarray, Dict[int, List]):
    """Patch counts per mode and up to ``examples`` (image, label) patches of each mode."""
    ph, pw = geometry['patch_size']
    counts = np.zeros(len(modes), dtype=np.int64)
    found: Dict[int, List] = {k: [] for k in range(len(modes))}
    for i in track_iter_progress(range(min(num_images, len(dataset)))):
        item = dataset[i]
        image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # BGR -> RGB
        label = item['data_samples'].gt_sem_seg.data[0]
        hist, valid = patch_histograms(label[None], geometry['patch_size'], num_classes,
                                       geometry['ignore_index'], geometry['grid'])
        assigned = assign_modes(hist, modes, valid, geometry['ignore_index'])[0]
        for (r, c), k in np.ndenumerate(assigned.numpy()):
            if k == geometry['ignore_index']:
                continue
            counts[k] += 1
            if len(found[k]) < examples:
                window = (slice(r * ph, (r + 1) * ph), slice(c * pw, (c + 1) * pw))
                found[k].append((image[window], label[window].numpy()))
    return counts, found


def draw(counts: np.ndarray, found: Dict[int, List], palette: np.ndarray, rows: int,
         examples: int, out: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    order = [int(k) for k in np.argsort(-counts)[:rows] if counts[k] > 0]
    fig, axes = plt.subplots(len(order), 2 * examples, squeeze=False,
                             figsize=(1.2 * 2 * examples, 1.3 * len(order)))
    for row, k in zip(axes, order):
        for ax in row:
            ax.axis('off')
        row[0].set_title(f'mode {k}: {counts[k]}', fontsize=7, loc='left')
        for j, (image, label) in enumerate(found[k]):
            colour = np.zeros(label.shape + (3, ), dtype=np.uint8)
            known = label < len(palette)
            colour[known] = palette[label[known]]
            row[2 * j].imshow(image)
            row[2 * j + 1].imshow(colour)
    fig.suptitle('most frequent patch modes: image patch | label patch', fontsize=9)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = load_tool_config(args.config, args.cfg_options)
    geometry = patch_geometry(cfg)
    dataset = DATASETS.build(source_dataset_cfg(cfg))
    classes = dataset.metainfo['classes']
    modes = load_patch_modes(args.modes_file, len(classes), geometry['patch_size'],
                             geometry['grid'], geometry['num_modes'])
    counts, found = collect(dataset, modes, geometry, len(classes), args.num_images,
                            args.examples)
    palette = np.asarray(dataset.metainfo.get('palette')
                         or np.random.default_rng(0).integers(0, 255, (len(classes), 3)),
                         dtype=np.uint8)
    draw(counts, found, palette, args.rows, args.examples, args.out)
    used = np.sort(counts[counts > 0])[::-1]
    print(f'{counts.sum()} patches in {min(args.num_images, len(dataset))} images; '
          f'{len(used)} of {len(counts)} modes used; largest {used[:5].tolist()}')
    print(f'written {args.out}')


if __name__ == '__main__':
    main()
