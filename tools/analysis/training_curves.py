"""Training curves (losses, target mIoU) of UDA runs from mmengine's JSON logs.

Segmentation, adversarial and discriminator losses and the target validation mIoU.

    python tools/analysis/training_curves.py --out PNG NAME=LOG[,LOG...] [NAME=LOG ...] \
        [--per-run] [--panel TITLE=REGEX ...] [--title TEXT]

``LOG`` is a training work dir (every ``<timestamp>/vis_data/scalars.json`` in it, in order: a
resumed run's starts are joined) or one ``scalars.json``. Several comma-separated logs under one
name are runs that continue each other, e.g. a shared source-only warm-up and the adaptation
started from its checkpoint: a later run whose iteration count restarts is shifted to follow
the earlier one. All runs are overlaid in one figure, one colour per run; ``--per-run`` writes
one figure per run instead, ``<out>_<NAME>.png``. The default panels
(:data:`mmseg_uda.visualization.DEFAULT_PANELS`) group the keys ``src.*`` (segmentation and
other source losses), ``adv.*`` / ``tgt.*`` (adversarial and target losses), ``disc.*``
(discriminator) and ``mIoU`` (validation, the target set in UDA configs); ``--panel`` replaces
them, e.g. ``--panel 'learning rate=lr$'``.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg_uda.analysis import file_stem, parse_named_spec  # noqa: E402
from mmseg_uda.visualization import (DEFAULT_PANELS, chain_runs,  # noqa: E402
                                     plot_training_curves, read_scalars)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+', metavar='NAME=LOG[,LOG...]',
                        help='LOG: a work dir or a scalars.json')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--per-run', action='store_true', help='one PNG per run')
    parser.add_argument('--panel', action='append', metavar='TITLE=REGEX',
                        help='a panel of the keys matching REGEX (repeatable; replaces the '
                        'default panels)')
    parser.add_argument('--title', default=None)
    return parser.parse_args(argv)


def load_runs(specs: List[str]) -> Dict[str, List[dict]]:
    """Per run name, its chained records.

    Raises:
        ValueError: On a repeated name or a run whose logs hold no record.
    """
    runs: Dict[str, List[dict]] = {}
    for spec in specs:
        name, logs = parse_named_spec(spec)
        if name in runs:
            raise ValueError(f'{spec!r}: run name {name!r} given twice')
        runs[name] = chain_runs([read_scalars(log) for log in logs])
        if not runs[name]:
            raise ValueError(f'{spec!r}: no logged step in {", ".join(logs)}')
    return runs


def main(argv=None) -> None:
    args = parse_args(argv)
    panels = DEFAULT_PANELS
    if args.panel:
        panels = []
        for spec in args.panel:
            title, sep, regex = spec.partition('=')
            if not sep or not title or not regex:
                raise ValueError(f'--panel {spec!r}: expected TITLE=REGEX')
            panels.append((title, regex))
    runs = load_runs(args.runs)
    if args.per_run:
        stem = osp.splitext(args.out)[0]
        for name, records in runs.items():
            out = f'{stem}_{file_stem(name)}.png'
            drawn = plot_training_curves({name: records}, out, panels,
                                         title=args.title or name)
            print(f'{name}: {sum(map(len, drawn.values()))} keys in {len(drawn)} panels; '
                  f'written {out}')
    else:
        drawn = plot_training_curves(runs, args.out, panels, title=args.title)
        for panel, keys in drawn.items():
            print(f'{panel}: {", ".join(keys)}')
        print(f'written {args.out}')


if __name__ == '__main__':
    main()
