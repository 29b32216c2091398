"""Qualitative grid: target image, ground truth, each model's prediction (Tsai et al. 2019, Fig. 6).

    python tools/analysis/qualitative_grid.py --out PNG \
        NAME=CONFIG:CHECKPOINT [NAME=CONFIG:CHECKPOINT ...] \
        [--indices I [I ...] | --num-images N] [--cfg-options k=v ...]

Each ``NAME=CONFIG:CHECKPOINT`` is one column (e.g. source only, output space, patch alignment),
built and loaded as ``tools/test.py`` does (its runner, strict checkpoint loading). The rows are
images of the first config's test set (the target test set of a UDA config), picked by
``--indices`` or ``--num-images`` spread evenly over the set; every model predicts them
through its own config's test pipeline and ``test_step``, at the original image size, like the
test loop. Ground truth and predictions are coloured by MMSeg's ``SegLocalVisualizer`` in the
dataset's palette (unlabelled pixels black), with the classes as a legend. ``--cfg-options``
apply to every config (e.g. the data roots).
"""
import argparse
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.utils import ProgressBar

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmseg_uda  # noqa: E402,F401  (registers mmseg_uda's components)
from mmseg_uda.analysis import (add_test_runner_args, build_test_runner,  # noqa: E402
                                parse_named_spec, split_config_checkpoint)
from mmseg_uda.visualization import draw_label, make_visualizer, plot_image_grid  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('models', nargs='+', metavar='NAME=CONFIG:CHECKPOINT',
                        help='one column per model, in this order')
    parser.add_argument('--out', required=True, help='output PNG')
    pick = parser.add_mutually_exclusive_group()
    pick.add_argument('--indices', type=int, nargs='+', help='test-set indices of the rows')
    pick.add_argument('--num-images', type=int, default=4,
                      help='rows spread evenly over the test set (default 4)')
    add_test_runner_args(parser)
    return parser.parse_args(argv)


def pick_indices(length: int, indices: Sequence[int] = None, num_images: int = 4) -> List[int]:
    """The test-set indices of the rows: ``indices`` checked, or ``num_images`` spread evenly.

    Raises:
        ValueError: On an index outside ``[0, length)`` or ``num_images`` < 1.
    """
    if indices:
        bad = [i for i in indices if not 0 <= i < length]
        if bad:
            raise ValueError(f'--indices {bad}: the test set has {length} images')
        return list(indices)
    if num_images < 1:
        raise ValueError(f'--num-images must be >= 1, got {num_images}')
    return sorted({int(round(i)) for i in np.linspace(0, length - 1, min(num_images, length))})


@torch.no_grad()
def predict(runner, dataset, indices: Sequence[int]) -> Tuple[List[str], List[np.ndarray]]:
    """Image paths and predicted label maps (original size) of ``dataset[indices]``."""
    runner.model.eval()
    paths, preds = [], []
    for i in indices:
        sample = runner.model.test_step(pseudo_collate([dataset[i]]))[0]
        paths.append(sample.img_path)
        preds.append(sample.pred_sem_seg.data[0].cpu().numpy())
    return paths, preds


def main(argv=None) -> None:
    args = parse_args(argv)
    models: Dict[str, Tuple[str, str]] = {}
    for spec in args.models:
        name, sources = parse_named_spec(spec)
        if len(sources) != 1 or name in models:
            raise ValueError(f'{spec!r}: expected NAME=CONFIG:CHECKPOINT with a new NAME')
        models[name] = split_config_checkpoint(sources[0])
    columns: Dict[str, List[np.ndarray]] = {}
    with tempfile.TemporaryDirectory(prefix='qualitative_grid_') as tmp:
        progress = ProgressBar(len(models))
        for k, (name, (config, checkpoint)) in enumerate(models.items()):
            runner = build_test_runner(config, checkpoint, osp.join(args.work_dir or tmp, str(k)),
                                       args.cfg_options)
            dataset = runner.test_dataloader.dataset
            if k == 0:
                reference, meta = config, dataset.metainfo
                indices = pick_indices(len(dataset), args.indices, args.num_images)
                ref_paths = [dataset.get_data_info(i)['img_path'] for i in indices]
                labels = [dataset[i]['data_samples'].gt_sem_seg.data[0].numpy()
                          for i in indices]
            paths, columns[name] = predict(runner, dataset, indices)
            if paths != ref_paths:
                raise ValueError(f'{config}: test image {paths[0]} where {reference} has '
                                 f'{ref_paths[0]}; the models must share a test set')
            progress.update()
    print()
    classes, palette = meta['classes'], meta['palette']
    visualizer = make_visualizer(classes, palette)
    rows = []
    for r, path in enumerate(ref_paths):
        image = mmcv.imread(path, channel_order='rgb')
        row = [image, draw_label(visualizer, image, labels[r])]
        row += [draw_label(visualizer, image, columns[name][r]) for name in models]
        rows.append(row)
    plot_image_grid(rows, ['target image', 'ground truth'] + list(models), args.out,
                    row_titles=[osp.basename(p) for p in ref_paths], legend=(classes, palette))
    print(f'{len(rows)} images ({", ".join(map(str, indices))}) x {len(models)} models; '
          f'written {args.out}')


if __name__ == '__main__':
    main()
