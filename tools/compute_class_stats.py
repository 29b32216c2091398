"""Compute the class-size statistics of category-specific adaptation (FCNs in the Wild, CA).

    python tools/compute_class_stats.py CONFIG --out work_dirs/class_stats/NAME.json \
        [--label-stats DIR/label_stats.json] [--batch-size 8] [--num-workers 2] \
        [--full-pipeline] [--cfg-options k=v ...]

Hoffman, Wang, Yu, Darrell, "FCNs in the Wild", 2016, Sec. 3.2: for each class c, over the
SOURCE images that contain c, the pixel fraction's lower 10 % boundary α_c, mean δ_c and upper
10 % boundary γ_c. The label maps are read through
:class:`mmseg_uda.source_labels.SourceLabelMaps` (the source training set of CONFIG through the
label path of its pipeline, no image decoded, as ``tools/build_patch_modes.py`` reads them;
``--full-pipeline``: through the whole pipeline, images decoded) and streamed into
:class:`mmseg_uda.class_stats.ClassSizeAccumulator`, which keeps only the per-class fractions of
each image. ``--label-stats`` reads the per-image class pixel counts of a dataset converter's
``label_stats.json`` (``tools/dataset_converters/{gta,synthia}.py``) instead of decoding the
label PNGs; they describe the converted label files at their stored resolution (fractions do
not change under the training resize).

The file (:meth:`mmseg_uda.class_stats.ClassSizeStats.save`) holds α, δ, γ, the number of images
containing each class, the classes, the dataset, the number of images and the config; it is
read by :class:`~mmseg_uda.models.adaptation.CategoryAdaptation` (``stats_file``). A summary
table is printed.
"""
import argparse
import json
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.config import Config, DictAction

import mmseg_uda  # noqa: F401  (registers mmseg_uda's datasets and models)
from mmseg.registry import DATASETS
from mmseg_uda.class_stats import ClassSizeAccumulator, ClassSizeStats
from mmseg_uda.source_labels import SourceLabelMaps, source_dataset_cfg
from mmseg_uda.utils import load_tool_config

#: α_c above which CategoryAdaptation scales a class's gradients by 0.1 (Hoffman et al. 2016).
LARGE_CLASS_ALPHA = 0.1


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Class-size statistics (alpha, delta, gamma) of the source label maps')
    parser.add_argument('config', help='config whose source training set provides the labels')
    parser.add_argument('--out', required=True, help='output statistics file (.json)')
    parser.add_argument('--label-stats',
                        help="a converter's label_stats.json to read instead of the label maps")
    parser.add_argument('--batch-size', type=int, default=8, help='label maps per batch')
    parser.add_argument('--num-workers', type=int, default=2, help='dataloader workers')
    parser.add_argument('--full-pipeline', action='store_true',
                        help='decode the images and run the dataset\'s whole pipeline instead of '
                        'its label path (same label maps, slower)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        raise ValueError(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.num_workers < 0:
        raise ValueError(f'--num-workers must be >= 0, got {args.num_workers}')
    return args


def configured_classes(cfg: Config) -> List[str]:
    """Class names of the config's source dataset without building it (metainfo override, else
    the dataset type's ``METAINFO``)."""
    dataset_cfg = source_dataset_cfg(cfg)
    override = (dataset_cfg.get('metainfo') or {}).get('classes')
    if override is not None:
        return [str(c) for c in override]
    return [str(c) for c in DATASETS.get(dataset_cfg.type).METAINFO['classes']]


def check_num_classes(cfg: Config, classes: Sequence[str], where: str) -> None:
    """The segmentor's ``num_classes`` must equal the number of classes of the statistics."""
    num_classes = cfg.model.segmentor.decode_head.num_classes
    if len(classes) != num_classes:
        raise ValueError(f'model.segmentor.decode_head.num_classes={num_classes} but {where} has '
                         f'{len(classes)} classes {list(classes)}')


def from_label_stats(path: str, cfg: Config) -> ClassSizeAccumulator:
    """The accumulator of a converter's ``label_stats.json``, checked against the config."""
    with open(path) as f:
        content = json.load(f)
    for key in ('classes', 'images'):
        if key not in content:
            raise ValueError(f'{path} has no {key!r}: not a converter label_stats.json')
    expected = configured_classes(cfg)
    if [str(c) for c in content['classes']] != expected:
        raise ValueError(f'{path} counts the classes {content["classes"]}, but the source '
                         f'dataset {source_dataset_cfg(cfg).type} of the config has the classes '
                         f'{expected}')
    check_num_classes(cfg, expected, path)
    return ClassSizeAccumulator.from_label_stats(content)


def from_label_maps(source: SourceLabelMaps, cfg: Config) -> ClassSizeAccumulator:
    """Stream the source label maps into an accumulator."""
    check_num_classes(cfg, source.classes, f'the source dataset {source.dataset_cfg.type}')
    acc = ClassSizeAccumulator(source.classes, source.ignore_index, source.description)
    for labels in source.batches():
        for label in labels:
            acc.update(label)
    return acc


def summary_table(stats: ClassSizeStats) -> str:
    """One row per class: images containing it, α, δ, γ, and whether its gradients are scaled."""
    width = max(len('class'), *(len(c) for c in stats.classes))
    lines = [f'{"class":<{width}}  {"images":>7}  {"alpha":>8}  {"delta":>8}  {"gamma":>8}  '
             'grad x0.1 (alpha > 0.1)']
    for c, name in enumerate(stats.classes):
        large = 'yes' if stats.alpha[c] > LARGE_CLASS_ALPHA else ''
        lines.append(f'{name:<{width}}  {stats.class_images[c]:>7}  {stats.alpha[c]:>8.4f}  '
                     f'{stats.delta[c]:>8.4f}  {stats.gamma[c]:>8.4f}  {large}')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> ClassSizeStats:
    """Compute, save and summarise the statistics."""
    args = parse_args(argv)
    cfg = load_tool_config(args.config, args.cfg_options)

    if args.label_stats:
        print(f'reading per-image class pixel counts from {args.label_stats}')
        acc = from_label_stats(args.label_stats, cfg)
    else:
        source = SourceLabelMaps(cfg, args.batch_size, args.num_workers,
                                 full_pipeline=args.full_pipeline)
        print(f'source dataset: {source.description}, {len(source)} label maps, '
              f'{len(source.classes)} classes')
        acc = from_label_maps(source, cfg)
    if acc.num_images == 0:
        raise ValueError(f'the source data of {args.config} hold no label maps')
    stats = acc.compute()
    stats.config = args.config
    stats.save(args.out)
    print(summary_table(stats))
    print(f'images: {stats.num_images}; classes present in no image (unconstrained): '
          f'{[c for c, n in zip(stats.classes, stats.class_images) if n == 0]}')
    print(f'saved class-size statistics to {osp.abspath(args.out)}')
    return stats


if __name__ == '__main__':
    main()
