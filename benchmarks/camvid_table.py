"""CamVid day -> dusk table: every method, several seeds, as trained and with AdaBN.

    python benchmarks/camvid_table.py [--methods NAME ...] [--seeds 0 1 2] [--iters N]
        [--work-dir work_dirs/camvid_table]

For each (seed, method) the script trains the method's CamVid config with ``tools/train.py``
(``randomness.seed=SEED``; ``--iters`` overrides the schedule length of every method alike),
then evaluates the final checkpoint on the 62 dusk test frames twice with ``IoUMetric``: as
trained, and after :class:`~mmseg_uda.engine.AdaBNHook` re-estimated the BatchNorm statistics
on the 62 unlabelled dusk training frames (the AdaBN baseline of Li et al., 2016). Each run's
result is written to ``<work-dir>/<method>/seed<S>/result.json`` and skipped when it exists, so
an interrupted sweep resumes where it stopped. After every run the table of every finished run
under the work dir (mean ± sample std over the seeds, n shown; sweeps of different methods may
run side by side) is rewritten to ``<work-dir>/results.md``.

Files the methods need (the patch modes, the class-size statistics) are built first from the
labelled day frames when missing.
"""
import argparse
import glob
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401  (registers the datasets, models and AdaBNHook)
from mmseg_uda.utils import schedule_length_options  # noqa: E402

#: name -> (config, [command building a file the config needs, the file]).
METHODS: Dict[str, tuple] = {
    'source only': ('configs/source_only/camvid_day2dusk_tiny.py', None),
    'output space': ('configs/output_space/camvid_day2dusk_tiny.py', None),
    'patch alignment': (
        'configs/patch_align/camvid_day2dusk_tiny.py',
        (['tools/build_patch_modes.py', 'configs/patch_align/camvid_day2dusk_tiny.py', '--out'],
         'work_dirs/patch_modes/camvid_day2dusk_k50.pth')),
    'output space + patch': (
        'configs/patch_align/camvid_day2dusk_tiny_ou.py',
        (['tools/build_patch_modes.py', 'configs/patch_align/camvid_day2dusk_tiny.py', '--out'],
         'work_dirs/patch_modes/camvid_day2dusk_k50.pth')),
    'GA (FCNs in the Wild)': ('configs/fcn_wild/camvid_day2dusk_ga.py', None),
    'GA + CA (FCNs in the Wild)': (
        'configs/fcn_wild/camvid_day2dusk_ga_ca.py',
        (['tools/compute_class_stats.py', 'configs/fcn_wild/camvid_day2dusk_ga_ca.py', '--out'],
         'work_dirs/class_stats/camvid_day.json')),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='CamVid day->dusk multi-seed table')
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS),
                        metavar='NAME', help=f'default: all of {list(METHODS)}')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--iters', type=int, default=None,
                        help="schedule length of every method (default: the configs' own)")
    parser.add_argument('--work-dir', default='work_dirs/camvid_table')
    parser.add_argument('--skip-started', action='store_true',
                        help='skip runs whose folder exists without a result (another sweep '
                        'running alongside is training them)')
    parser.add_argument('--reverse', action='store_true',
                        help='methods in reverse order (for a second sweep alongside)')
    return parser.parse_args()


def slug(name: str) -> str:
    return ''.join(c if c.isalnum() else '_' for c in name).strip('_').lower()


def evaluate(config: str, checkpoint: str, work_dir: str, adabn: bool) -> float:
    """Target test mIoU (%) of ``checkpoint``, optionally after AdaBN."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    cfg.default_hooks.visualization = dict(type='SegVisualizationHook', draw=False)
    if adabn:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [dict(type='AdaBNHook')]
    return float(Runner.from_cfg(cfg).test()['mIoU'])


def run_one(method: str, seed: int, args: argparse.Namespace) -> Optional[dict]:
    config, _ = METHODS[method]
    run_dir = osp.join(REPO, args.work_dir, slug(method), f'seed{seed}')
    result_file = osp.join(run_dir, 'result.json')
    if osp.exists(result_file):
        with open(result_file) as f:
            return json.load(f)
    if args.skip_started and osp.isdir(run_dir):
        print(f'skipping {method} seed {seed}: {run_dir} exists (started elsewhere)')
        return None
    t0 = time.time()
    cmd = [sys.executable, osp.join(REPO, 'tools/train.py'), osp.join(REPO, config),
           '--work-dir', run_dir, '--cfg-options', f'randomness.seed={seed}',
           *(schedule_length_options(args.iters) if args.iters else [])]
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)
    train_min = (time.time() - t0) / 60
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    result = dict(method=method, seed=seed, config=config, iters=args.iters,
                  train_min=round(train_min, 2),
                  miou=evaluate(config, ckpt, osp.join(run_dir, 'eval'), adabn=False),
                  miou_adabn=evaluate(config, ckpt, osp.join(run_dir, 'eval_adabn'), adabn=True))
    with open(result_file, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def mean_std(values: List[float]) -> str:
    if not values:
        return '-'
    std = statistics.stdev(values) if len(values) > 1 else float('nan')
    return f'{statistics.mean(values):.2f} ± {std:.2f}'


def table(results: List[dict]) -> str:
    lines = ['| method | dusk test mIoU, as trained | with AdaBN | seeds | per seed (as trained '
             '/ AdaBN) | train min/run |', '|---|---|---|---|---|---|']
    for method in METHODS:
        rows = sorted((r for r in results if r['method'] == method), key=lambda r: r['seed'])
        if not rows:
            continue
        per_seed = ', '.join(f"{r['seed']}: {r['miou']:.1f} / {r['miou_adabn']:.1f}" for r in rows)
        lines.append(f"| {method} | {mean_std([r['miou'] for r in rows])} | "
                     f"{mean_std([r['miou_adabn'] for r in rows])} | {len(rows)} | {per_seed} | "
                     f"{statistics.mean(r['train_min'] for r in rows):.1f} |")
    return '\n'.join(lines) + '\n'


def main() -> None:
    args = parse_args()
    os.makedirs(osp.join(REPO, args.work_dir), exist_ok=True)
    for method in args.methods:  # files the methods need, built once
        needs = METHODS[method][1]
        if needs is not None and not osp.exists(osp.join(REPO, needs[1])):
            subprocess.run([sys.executable, *needs[0], needs[1]], check=True, cwd=REPO)
    for seed in args.seeds:  # seed-major: a partial sweep still covers every method
        for method in (reversed(args.methods) if args.reverse else args.methods):
            run_one(method, seed, args)
            # every finished run under the work dir, also those of sweeps run alongside
            results = []
            for path in sorted(glob.glob(osp.join(REPO, args.work_dir, '*', 'seed*',
                                                  'result.json'))):
                with open(path) as f:
                    results.append(json.load(f))
            text = ('# CamVid day -> dusk, target (dusk) test mIoU\n\n'
                    f'iterations: {args.iters or "config default"}; mean ± sample std over '
                    'seeds\n\n' + table(results))
            with open(osp.join(REPO, args.work_dir, 'results.md'), 'w') as f:
                f.write(text)
            print(text, flush=True)


if __name__ == '__main__':
    main()
