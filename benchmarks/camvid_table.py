"""CamVid day -> dusk table: every method, several seeds, as trained and with AdaBN.

    python benchmarks/camvid_table.py [--model tiny|lite0] [--methods NAME ...] [--seeds 0 1 2]
        [--iters N] [--warmup W] [--bn config|train] [--workers N] [--work-dir DIR]

Two models: ``tiny``, the from-scratch quarter-width ResNet-18 DeepLabV2 (each method trains
its own config from scratch), and ``lite0``, the ImageNet EfficientNet-Lite0 DeepLabV2 with
frozen BatchNorm, trained with the papers' protocol: per seed one source-only warm-up of ``W``
iterations (``--warmup``, default the schedule's ``uda_warmup_iters``), then every method, the
source-only row included, continues from that one checkpoint for the rest of the schedule
(``--iters`` in all, default the configs' ``max_iters``), with the learning rates the full
schedule has there (:func:`mmseg_uda.utils.continuation_options`) and fresh discriminators, so
every row of a seed starts from the same weights and the per-seed differences are paired.
``--bn train`` runs the lite0 table with the backbone's BatchNorm in train mode (statistics
updated, affine parameters trained) in the warm-up and every method, the regime of the
from-scratch model, to see whether it changes the ranking.

For each (seed, method) the final checkpoint is evaluated on the 62 dusk test frames twice with
``IoUMetric``: as trained, and after :class:`~mmseg_uda.engine.AdaBNHook` re-estimated the
BatchNorm statistics on the 62 unlabelled dusk training frames (the AdaBN baseline of Li et al.,
2016). Each run's result is written to ``<work-dir>/<method>/seed<S>/result.json`` and skipped
when it exists, so an interrupted sweep resumes where it stopped (a run folder without a result
is trained again from the start). ``--workers N`` trains N runs at a time, each a
``tools/train.py`` process (with ``OMP_NUM_THREADS`` = cores / N unless it is set). After every
run the table of every finished run under the work dir (mean ± sample std over the seeds; the
per-seed differences to the source-only row, as trained and with AdaBN) is rewritten to
``<work-dir>/results.md``.

Files the methods need (the patch modes, the class-size statistics) are built first from the
labelled day frames when missing.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import statistics
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401  (registers the datasets, models and AdaBNHook)
from mmseg_uda.utils import continuation_options, schedule_length_options  # noqa: E402

SOURCE_ONLY = 'source only'
MODES_TINY = (['tools/build_patch_modes.py', 'configs/patch_align/camvid_day2dusk_tiny.py',
               '--out'], 'work_dirs/patch_modes/camvid_day2dusk_k50.pth')
MODES_LITE0 = (['tools/build_patch_modes.py', 'configs/patch_align/camvid_day2dusk_lite0.py',
                '--out'], 'work_dirs/patch_modes/camvid_day2dusk_p32_k50.pth')
CLASS_STATS = (['tools/compute_class_stats.py', 'configs/fcn_wild/camvid_day2dusk_ga_ca.py',
                '--out'], 'work_dirs/class_stats/camvid_day.json')

#: model -> method -> (config, [command building a file the config needs, the file]).
MODELS: Dict[str, Dict[str, tuple]] = {
    'tiny': {
        SOURCE_ONLY: ('configs/source_only/camvid_day2dusk_tiny.py', None),
        'output space': ('configs/output_space/camvid_day2dusk_tiny.py', None),
        'patch alignment': ('configs/patch_align/camvid_day2dusk_tiny.py', MODES_TINY),
        'output space + patch': ('configs/patch_align/camvid_day2dusk_tiny_ou.py', MODES_TINY),
        'GA (FCNs in the Wild)': ('configs/fcn_wild/camvid_day2dusk_ga.py', None),
        'GA + CA (FCNs in the Wild)': ('configs/fcn_wild/camvid_day2dusk_ga_ca.py', CLASS_STATS),
    },
    'lite0': {
        SOURCE_ONLY: ('configs/source_only/camvid_day2dusk_lite0.py', None),
        'output space': ('configs/output_space/camvid_day2dusk_lite0.py', None),
        'patch alignment': ('configs/patch_align/camvid_day2dusk_lite0.py', MODES_LITE0),
        'output space + patch': ('configs/patch_align/camvid_day2dusk_lite0_ou.py', MODES_LITE0),
        'GA (FCNs in the Wild)': ('configs/fcn_wild/camvid_day2dusk_lite0_ga.py', None),
        'GA + CA (FCNs in the Wild)': ('configs/fcn_wild/camvid_day2dusk_lite0_ga_ca.py',
                                       CLASS_STATS),
    },
}
ALL_METHODS = list(MODELS['tiny'])


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='CamVid day->dusk multi-seed table')
    parser.add_argument('--model', choices=list(MODELS), default='tiny')
    parser.add_argument('--methods', nargs='+', default=ALL_METHODS, choices=ALL_METHODS,
                        metavar='NAME', help=f'default: all of {ALL_METHODS}')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--iters', type=int, default=None,
                        help="schedule length of every method (default: the configs' own)")
    parser.add_argument('--warmup', type=int, default=None,
                        help='iterations of the shared source-only warm-up (lite0 default: the '
                        "schedule's uda_warmup_iters; tiny: 0, each method from scratch)")
    parser.add_argument('--bn', choices=['config', 'train'], default='config',
                        help="'config': BatchNorm as the configs have it (lite0: frozen, as in "
                        "the papers; tiny: trained); 'train': lite0's backbone BatchNorm in "
                        'train mode with trainable affine parameters, in every run')
    parser.add_argument('--workers', type=int, default=1, help='runs trained at a time')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/camvid_table (tiny), work_dirs/camvid_table_lite0'
                        ' (+ _trainbn with --bn train)')
    args = parser.parse_args(argv)
    if args.bn == 'train' and args.model == 'tiny':
        parser.error('--bn train is for --model lite0 (the tiny model trains its BatchNorm)')
    if args.work_dir is None:
        args.work_dir = ('work_dirs/camvid_table' if args.model == 'tiny'
                         else f'work_dirs/camvid_table_{args.model}')
        if args.bn == 'train':
            args.work_dir += '_trainbn'
    return args


#: --cfg-options that put lite0's backbone BatchNorm in train mode (statistics updated by every
#: batch the backbone sees, source and target; affine parameters trained).
TRAIN_BN_OPTIONS = ['model.segmentor.backbone.norm_eval=False',
                    'model.segmentor.backbone.norm_cfg.requires_grad=True']


def bn_options(args: argparse.Namespace) -> List[str]:
    return TRAIN_BN_OPTIONS if args.bn == 'train' else []


def slug(name: str) -> str:
    return ''.join(c if c.isalnum() else '_' for c in name).strip('_').lower()


def load_config(config: str):
    from mmengine.config import Config
    return Config.fromfile(osp.join(REPO, config))


def schedule(args: argparse.Namespace) -> Tuple[int, int]:
    """(total iterations, shared warm-up iterations) of the sweep."""
    cfg = load_config(MODELS[args.model][SOURCE_ONLY][0])
    total = args.iters or cfg.train_cfg.max_iters
    warmup = args.warmup
    if warmup is None:
        warmup = cfg.get('uda_warmup_iters', 0) if args.model != 'tiny' else 0
    if warmup and not 0 < warmup < total:
        raise SystemExit(f'--warmup {warmup} must be between 0 and the schedule length {total}')
    return total, warmup


def train(config: str, run_dir: str, options: List[str], log: str, env: dict) -> str:
    """``tools/train.py config`` into a fresh ``run_dir``; returns its last checkpoint."""
    if osp.isdir(run_dir):  # an interrupted run: start it again
        shutil.rmtree(run_dir)
    os.makedirs(run_dir)
    cmd = [sys.executable, osp.join(REPO, 'tools/train.py'), osp.join(REPO, config),
           '--work-dir', run_dir, '--cfg-options', *options]
    print('+', ' '.join(cmd), f'> {log}', flush=True)
    with open(log, 'w') as f:
        subprocess.run(cmd, check=True, cwd=REPO, stdout=f, stderr=subprocess.STDOUT, env=env)
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def evaluate(config: str, checkpoint: str, work_dir: str, adabn: bool) -> float:
    """Target test mIoU (%) of ``checkpoint``, optionally after AdaBN (in this process)."""
    from mmengine.runner import Runner

    cfg = load_config(config)
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    cfg.default_hooks.visualization = dict(type='SegVisualizationHook', draw=False)
    if adabn:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [dict(type='AdaBNHook')]
    return float(Runner.from_cfg(cfg).test()['mIoU'])


def evaluate_in_subprocess(config: str, checkpoint: str, work_dir: str, adabn: bool,
                           env: dict) -> float:
    cmd = [sys.executable, osp.abspath(__file__), '--evaluate', config, checkpoint, work_dir,
           *(['--adabn'] if adabn else [])]
    out = subprocess.run(cmd, check=True, cwd=REPO, env=env, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


class Sweep:
    """The runs of a table, trained ``workers`` at a time in dependency order."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.root = osp.join(REPO, args.work_dir)
        self.total, self.warmup = schedule(args)
        self.lock = threading.Lock()
        self.failed: List[str] = []
        self.failed_jobs: set = set()
        threads = max(1, (os.cpu_count() or 1) // max(1, args.workers))
        self.env = dict(os.environ)
        self.env.setdefault('OMP_NUM_THREADS', str(threads))
        self.env.setdefault('MKL_NUM_THREADS', self.env['OMP_NUM_THREADS'])
        # seed-major: a partial sweep still covers every method of the first seeds
        self.jobs: List[Tuple[str, int]] = []
        for seed in args.seeds:
            if self.warmup:
                self.jobs.append(('warmup', seed))
            self.jobs += [(m, seed) for m in args.methods]
        self.started: set = set()
        self.done: set = set()

    def run_dir(self, method: str, seed: int) -> str:
        return osp.join(self.root, slug(method), f'seed{seed}')

    def warmup_checkpoint(self, seed: int) -> str:
        return osp.join(self.run_dir('warmup', seed), f'iter_{self.warmup}.pth')

    def finished(self, job: Tuple[str, int]) -> bool:
        method, seed = job
        if method == 'warmup':
            return osp.isfile(self.warmup_checkpoint(seed)) and osp.isfile(
                osp.join(self.run_dir(method, seed), 'done'))
        return osp.isfile(osp.join(self.run_dir(method, seed), 'result.json'))

    def ready(self, job: Tuple[str, int]) -> bool:
        method, seed = job
        return method == 'warmup' or not self.warmup or ('warmup', seed) in self.done

    def next_job(self) -> Optional[Tuple[str, int]]:
        """The first job not started whose warm-up is done; None when nothing is left."""
        while True:
            with self.lock:
                pending = [j for j in self.jobs if j not in self.started]
                if not pending:
                    return None
                for job in pending:
                    if self.finished(job):
                        self.started.add(job)
                        self.done.add(job)
                        continue
                    if self.warmup and ('warmup', job[1]) in self.failed_jobs:
                        self.started.add(job)  # its warm-up failed: nothing to start from
                        continue
                    if self.ready(job):
                        self.started.add(job)
                        return job
            time.sleep(2)

    def run_job(self, job: Tuple[str, int]) -> None:
        method, seed = job
        run_dir = self.run_dir(method, seed)
        log = run_dir + '.log'
        os.makedirs(osp.dirname(run_dir), exist_ok=True)
        seed_opt = f'randomness.seed={seed}'
        if method == 'warmup':
            # the source-only config for the first `warmup` iterations of the full schedule,
            # evaluated on the target test set every quarter of it (its learning curve)
            options = [seed_opt, f'train_cfg.max_iters={self.warmup}',
                       f'train_cfg.val_interval={max(1, self.warmup // 4)}',
                       f'default_hooks.checkpoint.interval={self.warmup}',
                       f'param_scheduler.0.end={self.total}', *bn_options(self.args)]
            train(MODELS[self.args.model][SOURCE_ONLY][0], run_dir, options, log, self.env)
            open(osp.join(run_dir, 'done'), 'w').close()
            return
        config = MODELS[self.args.model][method][0]
        if self.warmup:
            options = [seed_opt, f'load_from={self.warmup_checkpoint(seed)}',
                       'model.warmup_iters=0',
                       *continuation_options(load_config(config), self.warmup, self.total)]
        else:
            options = [seed_opt, *schedule_length_options(self.total)]
        options += bn_options(self.args)
        t0 = time.time()
        ckpt = train(config, run_dir, options, log, self.env)
        train_min = (time.time() - t0) / 60
        result = dict(
            method=method, seed=seed, config=config, model=self.args.model, bn=self.args.bn,
            iters=self.total, warmup=self.warmup, train_min=round(train_min, 2),
            miou=evaluate_in_subprocess(config, ckpt, osp.join(run_dir, 'eval'), False,
                                        self.env),
            miou_adabn=evaluate_in_subprocess(config, ckpt, osp.join(run_dir, 'eval_adabn'),
                                              True, self.env))
        with open(osp.join(run_dir, 'result.json'), 'w') as f:
            json.dump(result, f, indent=1)

    def worker(self) -> None:
        while True:
            job = self.next_job()
            if job is None:
                return
            try:
                self.run_job(job)
            except subprocess.CalledProcessError as exc:
                with self.lock:
                    self.failed.append(f'{job}: {exc} (log: {self.run_dir(*job)}.log)')
                    self.failed_jobs.add(job)
                print(f'FAILED {job}: see {self.run_dir(*job)}.log', flush=True)
                continue
            with self.lock:
                self.done.add(job)
                self.write_table()

    def write_table(self) -> None:
        results = []
        for path in sorted(glob.glob(osp.join(self.root, '*', 'seed*', 'result.json'))):
            with open(path) as f:
                results.append(json.load(f))
        protocol = (f'shared source-only warm-up of {self.warmup} iterations per seed, then '
                    f'{self.total - self.warmup} iterations of each method from it'
                    if self.warmup else f'{self.total} iterations, each method from scratch')
        bn = ', backbone BatchNorm in train mode' if self.args.bn == 'train' else ''
        text = (f'# CamVid day -> dusk, target (dusk) test mIoU, model {self.args.model}{bn}\n\n'
                f'{protocol}; mean ± sample std over seeds; Δ: per-seed difference to the '
                'source-only row of the same seed (as trained − as trained; with AdaBN − with '
                'AdaBN), mean ± std\n\n' + table(results))
        with open(osp.join(self.root, 'results.md'), 'w') as f:
            f.write(text)
        print(text, flush=True)


def mean_std(values: List[float], signed: bool = False) -> str:
    if not values:
        return '-'
    std = statistics.stdev(values) if len(values) > 1 else float('nan')
    return f'{statistics.mean(values):{"+" if signed else ""}.2f} ± {std:.2f}'


def table(results: List[dict]) -> str:
    """Markdown table of ``results`` (dicts with method, seed, miou, miou_adabn, train_min)."""
    lines = ['| method | dusk mIoU, as trained | Δ source only | with AdaBN | Δ source only + '
             'AdaBN | seeds | per seed (as trained / AdaBN) | train min/run |',
             '|---|---|---|---|---|---|---|---|']
    base = {r['seed']: r for r in results if r['method'] == SOURCE_ONLY}
    for method in ALL_METHODS:
        rows = sorted((r for r in results if r['method'] == method), key=lambda r: r['seed'])
        if not rows:
            continue
        paired = [r for r in rows if r['seed'] in base]
        if method == SOURCE_ONLY or not paired:
            delta = delta_adabn = '-'
        else:
            delta = mean_std([r['miou'] - base[r['seed']]['miou'] for r in paired], True)
            delta_adabn = mean_std(
                [r['miou_adabn'] - base[r['seed']]['miou_adabn'] for r in paired], True)
            if len(paired) < len(rows):
                delta += f' (n={len(paired)})'
                delta_adabn += f' (n={len(paired)})'
        per_seed = ', '.join(f"{r['seed']}: {r['miou']:.1f} / {r['miou_adabn']:.1f}" for r in rows)
        lines.append(f"| {method} | {mean_std([r['miou'] for r in rows])} | {delta} | "
                     f"{mean_std([r['miou_adabn'] for r in rows])} | {delta_adabn} | "
                     f"{len(rows)} | {per_seed} | "
                     f"{statistics.mean(r['train_min'] for r in rows):.1f} |")
    return '\n'.join(lines) + '\n'


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == '--evaluate':  # one evaluation, for the workers
        config, checkpoint, work_dir = sys.argv[2:5]
        print(evaluate(config, checkpoint, work_dir, adabn='--adabn' in sys.argv[5:]))
        return
    args = parse_args()
    sweep = Sweep(args)
    os.makedirs(sweep.root, exist_ok=True)
    for method in args.methods:  # files the methods need, built once
        needs = MODELS[args.model][method][1]
        if needs is not None and not osp.exists(osp.join(REPO, needs[1])):
            subprocess.run([sys.executable, *needs[0], needs[1]], check=True, cwd=REPO)
    workers = [threading.Thread(target=sweep.worker) for _ in range(max(1, args.workers))]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    if sweep.failed:
        raise SystemExit('failed runs:\n' + '\n'.join(sweep.failed))


if __name__ == '__main__':
    main()
