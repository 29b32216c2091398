"""Write the per-image class pixel counts of a config's source training set (label_stats.json).

    python tools/compute_label_stats.py CONFIG --out work_dirs/label_stats/NAME.json \
        [--cfg-options k=v ...]

The file has the format of the dataset converters' ``label_stats.json``
(``mmseg_uda.datasets.convert``): for each label file (by base name) its height, width and
pixels of each class, and the totals. Rare-class sampling reads it
(``train_dataloader.dataset.rare_class_sampling.stats_file``, DAFormer's RCS). Each label is
read as training reads it, by the label-loading transform of the source pipeline
(``LoadCheckedAnnotations`` / ``LoadAnnotations``, with the dataset's ``reduce_zero_label``
and ``label_map``), at its stored resolution and before any resize or crop.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction
from mmengine.utils import track_iter_progress

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmseg_uda  # noqa: E402,F401  (registers the datasets and transforms)
from mmseg_uda.source_labels import source_label_stats  # noqa: E402
from mmseg_uda.utils import load_tool_config  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config whose source training set provides the labels')
    parser.add_argument('--out', required=True, help='output label_stats.json')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = load_tool_config(args.config, args.cfg_options)
    stats = source_label_stats(cfg, progress=track_iter_progress)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(stats, f)
    width = max(len(c) for c in stats['classes'])
    print(f'{"class":<{width}}  {"images":>7}  {"pixels":>12}')
    for name, images, pixels in zip(stats['classes'], stats['class_images'],
                                    stats['class_pixels']):
        print(f'{name:<{width}}  {images:>7}  {pixels:>12}')
    print(f'wrote {args.out}: {stats["num_images"]} label maps')
    return stats


if __name__ == '__main__':
    main()
