"""Browse the source and target samples of a UDA config's training set, as the model sees them.

    python tools/analysis/browse_uda_dataset.py CONFIG --out-dir DIR \
        [--indices I [I ...] | --num-images N] [--alpha 0.5] [--with-labels] \
        [--cfg-options k=v ...]

MMSeg's ``tools/analysis_tools/browse_dataset.py`` reads ``item['inputs']`` and fails on
``UDADataset``, whose items are ``dict(source=..., target=...)``. This tool builds the config's
``train_dataloader.dataset`` (a ``UDADataset``) and, for each index ``i``, draws source sample
``i`` and target sample ``i`` (modulo the target set's length) through their training
pipelines (random flips and crops included), with MMSeg's ``SegLocalVisualizer`` in the
dataset's palette: the source image with its label as an overlay, next to the target image
(with its label when the target set carries one, e.g. ``target_pseudo_labels``). One PNG per
index, ``DIR/NNNNN.png``; a target image of another height is scaled to the source's.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

import cv2
import numpy as np
from mmengine.config import Config, DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmseg_uda  # noqa: E402,F401  (registers mmseg_uda's datasets)
from mmseg.registry import DATASETS  # noqa: E402
from mmseg_uda.visualization import draw_label, make_visualizer  # noqa: E402
from mmseg_uda.utils import load_tool_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--out-dir', required=True)
    pick = parser.add_mutually_exclusive_group()
    pick.add_argument('--indices', type=int, nargs='+', help='source indices to draw')
    pick.add_argument('--num-images', type=int, default=8,
                      help='the first N source indices (default 8)')
    parser.add_argument('--alpha', type=float, default=0.5, help='opacity of the labels')
    parser.add_argument('--with-labels', action='store_true',
                        help='write the class names on the labels')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def uda_dataset(cfg: Config, config: str):
    """The built ``train_dataloader.dataset`` of ``cfg``; it must be a ``UDADataset``."""
    dataset_cfg = cfg.get('train_dataloader', {}).get('dataset', {})
    if dataset_cfg.get('type') != 'UDADataset':
        raise ValueError(f'{config}: train_dataloader.dataset is {dataset_cfg.get("type")!r}, '
                         'not a UDADataset; browse a plain dataset with MMSeg\'s '
                         'tools/analysis_tools/browse_dataset.py')
    return DATASETS.build(dataset_cfg)


def draw_sample(visualizer, item: dict, alpha: float, with_labels: bool) -> np.ndarray:
    """A packed sample's image (RGB), its label drawn over it when it has one."""
    image = np.ascontiguousarray(item['inputs'].permute(1, 2, 0).numpy()[..., ::-1])
    sample = item['data_samples']
    if 'gt_sem_seg' not in sample:
        return image
    return draw_label(visualizer, image, sample.gt_sem_seg.data, alpha, with_labels)


def side_by_side(left: np.ndarray, right: np.ndarray, gap: int = 4) -> np.ndarray:
    """``left`` | ``right`` on a white background, ``right`` scaled to ``left``'s height."""
    h = left.shape[0]
    if right.shape[0] != h:
        w = max(1, round(right.shape[1] * h / right.shape[0]))
        right = cv2.resize(right, (w, h), interpolation=cv2.INTER_AREA)
    canvas = np.full((h, left.shape[1] + gap + right.shape[1], 3), 255, np.uint8)
    canvas[:, :left.shape[1]] = left
    canvas[:, left.shape[1] + gap:] = right
    return canvas


def browse(dataset, out_dir: str, indices: Sequence[int], alpha: float = 0.5,
           with_labels: bool = False) -> List[str]:
    """Write ``out_dir/NNNNN.png`` (source | target) for each source index; their paths.

    Raises:
        ValueError: On an index outside the source set.
    """
    bad = [i for i in indices if not 0 <= i < len(dataset.source)]
    if bad:
        raise ValueError(f'indices {bad}: the source set has {len(dataset.source)} images')
    meta = dataset.metainfo
    visualizer = make_visualizer(meta['classes'], meta['palette'])
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for i in indices:
        j = i % len(dataset.target)
        source, target = dataset.source[i], dataset.target[j]
        picture = side_by_side(draw_sample(visualizer, source, alpha, with_labels),
                               draw_sample(visualizer, target, alpha, with_labels))
        path = osp.join(out_dir, f'{i:05d}.png')
        cv2.imwrite(path, picture[..., ::-1])
        written.append(path)
        print(f'{path}: source {source["data_samples"].img_path} | '
              f'target {target["data_samples"].img_path}')
    return written


def main(argv: Optional[list] = None) -> None:
    args = parse_args(argv)
    cfg = load_tool_config(args.config, args.cfg_options)
    dataset = uda_dataset(cfg, args.config)
    indices = args.indices or list(range(min(args.num_images, len(dataset.source))))
    browse(dataset, args.out_dir, indices, args.alpha, args.with_labels)


if __name__ == '__main__':
    main()
