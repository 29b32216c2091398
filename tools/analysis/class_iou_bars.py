"""Per-class IoU bars of several evaluated checkpoints side by side.

    python tools/analysis/class_iou_bars.py --out PNG \
        NAME=CONFIG:CHECKPOINT [NAME=CONFIG:CHECKPOINT,CONFIG:CHECKPOINT ...] [NAME=RESULT.json] \
        [--title TEXT] [--save-metrics DIR] [--work-dir DIR] [--cfg-options k=v ...]

Each ``NAME=...`` is one bar colour. A ``CONFIG:CHECKPOINT`` source is tested on the config's
test set as ``tools/test.py`` does (its runner, strict checkpoint loading), with the config's
``IoUMetric`` replaced by ``ClassIoUMetric`` (the same metric that also returns ``IoU.<class>``);
a ``.json`` source is read instead: ``tools/test.py``'s ``<timestamp>.json`` of a run evaluated
with ``--cfg-options test_evaluator.type=ClassIoUMetric``, or a file of ``--save-metrics``.
Several comma-separated sources under one name (e.g. the seeds of a method) are drawn as their
mean with the sample standard deviation as error bars. The classes are those of the first
config's test set (JSON sources only: the ``IoU.*`` keys of the first file, in order).
``--cfg-options`` apply to every config (e.g. the data roots).
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.fileio import dump

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmseg_uda  # noqa: E402,F401  (registers mmseg_uda's components)
from mmseg_uda.analysis import (add_test_runner_args, class_iou_values,  # noqa: E402
                                evaluate_class_iou, file_stem, parse_named_spec, read_metrics,
                                split_config_checkpoint)
from mmseg_uda.visualization import plot_class_iou  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('series', nargs='+', metavar='NAME=SOURCE[,SOURCE...]',
                        help='SOURCE: CONFIG:CHECKPOINT or a metrics .json')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--title', default=None)
    parser.add_argument('--save-metrics', default=None, metavar='DIR',
                        help='write the metrics of every evaluated source to DIR/NAME_K.json')
    add_test_runner_args(parser)
    return parser.parse_args(argv)


def source_metrics(source: str, work_dir: str,
                   cfg_options: Optional[dict]) -> Tuple[Dict[str, float], Optional[List[str]]]:
    """The metrics of one source, and the test set's classes when it was evaluated."""
    if source.endswith('.json'):
        return read_metrics(source), None
    config, checkpoint = split_config_checkpoint(source)
    metrics = evaluate_class_iou(config, checkpoint, work_dir, cfg_options)
    classes = [k[len('IoU.'):] for k in metrics if k.startswith('IoU.')]
    return metrics, classes


def collect(specs: Sequence[str], work_dir: str, cfg_options: Optional[dict] = None,
            save_dir: Optional[str] = None
            ) -> Tuple[Dict[str, List[float]], Dict[str, List[float]], List[str]]:
    """Per name, the mean class IoU over its sources and their std (names with >= 2 sources).

    Returns:
        tuple: ``series``, ``errors`` and the class names, as :func:`plot_class_iou` takes them.
    """
    parsed = [parse_named_spec(spec) for spec in specs]
    names = [name for name, _ in parsed]
    if len(set(names)) != len(names):
        raise ValueError(f'series names must differ, got {names}')
    evaluated: Dict[str, List[Tuple[str, Dict[str, float]]]] = {}
    class_names: Optional[List[str]] = None
    for name, sources in parsed:
        evaluated[name] = []
        for k, source in enumerate(sources):
            run_dir = osp.join(work_dir, f'{file_stem(name)}_{k}')
            metrics, classes = source_metrics(source, run_dir, cfg_options)
            if class_names is None and classes is not None:
                class_names = classes
            if save_dir is not None and not source.endswith('.json'):
                dump(metrics, osp.join(save_dir, f'{osp.basename(run_dir)}.json'), indent=1)
            evaluated[name].append((source, metrics))
    if class_names is None:  # JSON sources only
        source, metrics = evaluated[names[0]][0]
        class_names = [k[len('IoU.'):] for k in metrics if k.startswith('IoU.')]
        if not class_names:
            raise KeyError(f'{source}: no IoU.<class> keys; evaluate with ClassIoUMetric')
    series, errors = {}, {}
    for name, results in evaluated.items():
        values = np.array([class_iou_values(m, class_names, s) for s, m in results])
        series[name] = values.mean(axis=0).tolist()
        if len(values) > 1:
            errors[name] = values.std(axis=0, ddof=1).tolist()
    return series, errors, class_names


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.save_metrics:
        os.makedirs(args.save_metrics, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='class_iou_bars_') as tmp:
        series, errors, classes = collect(args.series, args.work_dir or tmp, args.cfg_options,
                                          args.save_metrics)
    plot_class_iou(series, classes, args.out, title=args.title, errors=errors)
    for name, values in series.items():
        cells = ', '.join(f'{c} {v:.1f}' + (f' ± {errors[name][i]:.1f}' if name in errors else '')
                          for i, (c, v) in enumerate(zip(classes, values)))
        print(f'{name}: mIoU {np.nanmean(values):.2f}; {cells}')
    print(f'written {args.out}')


if __name__ == '__main__':
    main()
