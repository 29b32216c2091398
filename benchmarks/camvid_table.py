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

With a warm-up, the patch-alignment rows continue from the warm-up checkpoint with their patch
head H fitted on it first (``--patch-head-iters``, default the warm-up's length; 0 continues
with a random H): ``tools/fit_patch_head.py`` trains H alone on Ld over the source images,
the segmentor frozen and written back unchanged, so these rows still start from the seed's
source-only weights. In the paper H trains with Ld for the 140k iterations after the warm-up;
continued from a source-only model with a random H, it stays uniform through a 250-iteration
adaptation at λd and the tail learning rate, and the patch discriminator then sees the same
input from both domains.

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

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401  (registers the datasets, models and AdaBNHook)
from mmseg_uda.utils import (continuation_options, schedule_length_options,  # noqa: E402
                             segmentor_key)

SOURCE_ONLY = 'source only'
PATCH = ' + patch'
PI = 'Pi (FDA)'
PS_ADV = 'Ps (adversarial)'
PS_CBST = 'Ps (CBST)'
FUSION = 'Fusion (Ou + Pi + Ps)'
DACS = 'DACS'
MIC = 'DACS + MIC'
DAFORMER = 'DAFormer (DACS + RCS + FD)'
MODES_TINY = (['tools/build_patch_modes.py', 'configs/patch_align/camvid_day2dusk_tiny.py',
               '--out'], 'work_dirs/patch_modes/camvid_day2dusk_k50.pth')
MODES_LITE0 = (['tools/build_patch_modes.py', 'configs/patch_align/camvid_day2dusk_lite0.py',
                '--out'], 'work_dirs/patch_modes/camvid_day2dusk_p32_k50.pth')
CLASS_STATS = (['tools/compute_class_stats.py', 'configs/fcn_wild/camvid_day2dusk_ga_ca.py',
                '--out'], 'work_dirs/class_stats/camvid_day.json')
LABEL_STATS = (['tools/compute_label_stats.py', 'configs/dacs/camvid_day2dusk_lite0_daformer.py',
                '--out'], 'work_dirs/label_stats/camvid_day.json')

#: model -> method -> (config, the files it needs as [(command building the file, the file)]).
MODELS: Dict[str, Dict[str, Tuple[str, List[tuple]]]] = {
    'tiny': {
        SOURCE_ONLY: ('configs/source_only/camvid_day2dusk_tiny.py', []),
        'output space': ('configs/output_space/camvid_day2dusk_tiny.py', []),
        'patch alignment': ('configs/patch_align/camvid_day2dusk_tiny.py', [MODES_TINY]),
        'output space + patch': ('configs/patch_align/camvid_day2dusk_tiny_ou.py', [MODES_TINY]),
        'GA (FCNs in the Wild)': ('configs/fcn_wild/camvid_day2dusk_ga.py', []),
        'GA + CA (FCNs in the Wild)': ('configs/fcn_wild/camvid_day2dusk_ga_ca.py', [CLASS_STATS]),
    },
    'lite0': {
        SOURCE_ONLY: ('configs/source_only/camvid_day2dusk_lite0.py', []),
        'output space': ('configs/output_space/camvid_day2dusk_lite0.py', []),
        'patch alignment': ('configs/patch_align/camvid_day2dusk_lite0.py', [MODES_LITE0]),
        'output space + patch': ('configs/patch_align/camvid_day2dusk_lite0_ou.py', [MODES_LITE0]),
        'GA (FCNs in the Wild)': ('configs/fcn_wild/camvid_day2dusk_lite0_ga.py', []),
        'GA + CA (FCNs in the Wild)': ('configs/fcn_wild/camvid_day2dusk_lite0_ga_ca.py',
                                       [CLASS_STATS]),
        PI: ('configs/pixel_level/camvid_day2dusk_lite0_fda.py', []),
        PI + PATCH: ('configs/pixel_level/camvid_day2dusk_lite0_fda_patch.py', [MODES_LITE0]),
        PS_ADV: ('configs/self_training/camvid_day2dusk_lite0_ps.py', []),
        PS_ADV + PATCH: ('configs/self_training/camvid_day2dusk_lite0_ps_patch.py', [MODES_LITE0]),
        PS_CBST: ('configs/self_training/camvid_day2dusk_lite0_cbst.py', []),
        PS_CBST + PATCH: ('configs/self_training/camvid_day2dusk_lite0_cbst_patch.py',
                          [MODES_LITE0]),
        FUSION: ('configs/fusion/camvid_day2dusk_lite0_fusion.py', []),
        FUSION + PATCH: ('configs/fusion/camvid_day2dusk_lite0_fusion_patch.py', [MODES_LITE0]),
        'Pi (FDA) + Ou': ('configs/fusion/camvid_day2dusk_lite0_pi_ou.py', []),
        DACS: ('configs/dacs/camvid_day2dusk_lite0.py', []),
        DACS + PATCH: ('configs/dacs/camvid_day2dusk_lite0_patch.py', [MODES_LITE0]),
        MIC: ('configs/dacs/camvid_day2dusk_lite0_mic.py', []),
        MIC + PATCH: ('configs/dacs/camvid_day2dusk_lite0_mic_patch.py', [MODES_LITE0]),
        DAFORMER: ('configs/dacs/camvid_day2dusk_lite0_daformer.py', [LABEL_STATS]),
        DAFORMER + PATCH: ('configs/dacs/camvid_day2dusk_lite0_daformer_patch.py',
                           [MODES_LITE0, LABEL_STATS]),
    },
}
ALL_METHODS = list(dict.fromkeys(m for methods in MODELS.values() for m in methods))
#: The rows of Tsai et al. 2019's Tables 2-3 on CamVid: adaptation -> (method without patch
#: alignment, the same with patch alignment).
MATRIX = {
    'none': (SOURCE_ONLY, 'patch alignment'),
    'Ou (output space)': ('output space', 'output space + patch'),
    PI: (PI, PI + PATCH),
    PS_ADV: (PS_ADV, PS_ADV + PATCH),
    PS_CBST: (PS_CBST, PS_CBST + PATCH),
    FUSION: (FUSION, FUSION + PATCH),
}
#: --table -> the methods it runs by default
TABLES = {
    'main': list(MODELS['tiny']),
    'matrix': [m for pair in MATRIX.values() for m in pair],
    'self-training': [SOURCE_ONLY, 'patch alignment', DACS, DACS + PATCH, MIC, MIC + PATCH,
                      DAFORMER, DAFORMER + PATCH],
}
#: methods re-trained on each seed's pseudo labels, made from its source-only warm-up
PSEUDO_LABEL_METHODS = (PS_CBST, PS_CBST + PATCH)
#: the config whose patch head ``tools/fit_patch_head.py`` fits for every patch row of a seed
#: (the rows' PatchAlignment settings are the same)
PATCH_HEAD_METHOD = 'patch alignment'
PATCH_HEAD = 'patch head'


def is_patch_method(method: str) -> bool:
    """Whether ``method`` is a patch-alignment row (its H is fitted on the warm-up first)."""
    return method == PATCH_HEAD_METHOD or method.endswith(PATCH)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='CamVid day->dusk multi-seed table')
    parser.add_argument('--model', choices=list(MODELS), default='tiny')
    parser.add_argument('--table', choices=list(TABLES), default='main',
                        help="'main': source only, output space, patch alignment and their "
                        "combination, GA, GA + CA; 'matrix' (lite0): Tsai et al.'s Tables 2-3 "
                        '(none, Ou, Pi, both Ps, Fusion, each without and with patch alignment); '
                        "'self-training' (lite0): source only, DACS, DACS + MIC and DAFormer's "
                        'strategies, each without and with patch alignment')
    parser.add_argument('--methods', nargs='+', default=None, choices=ALL_METHODS,
                        metavar='NAME', help=f"default: the table's; any of {ALL_METHODS}")
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
    parser.add_argument('--portion', type=float, default=0.2,
                        help="CBST rows: the pseudo labels' class-balanced portion p")
    parser.add_argument('--patch-head-iters', type=int, default=None,
                        help='with a warm-up: iterations of tools/fit_patch_head.py on the '
                        'warm-up checkpoint before the patch rows (default: the warm-up '
                        'length; 0: the patch rows start with a random H)')
    parser.add_argument('--workers', type=int, default=1, help='runs trained at a time')
    parser.add_argument('--report', action='store_true',
                        help='train nothing: rewrite the tables and the chart from the results '
                        'in the work dir')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/camvid_table (tiny), work_dirs/camvid_table_lite0'
                        ' (+ _trainbn with --bn train)')
    args = parser.parse_args(argv)
    if args.methods is None:
        args.methods = TABLES[args.table]
    missing = [m for m in args.methods if m not in MODELS[args.model]]
    if missing:
        parser.error(f'--model {args.model} has no config for {missing}; its methods: '
                     f'{list(MODELS[args.model])}')
    if args.bn == 'train' and args.model == 'tiny':
        parser.error('--bn train is for --model lite0 (the tiny model trains its BatchNorm)')
    if args.work_dir is None:
        args.work_dir = ('work_dirs/camvid_table' if args.model == 'tiny'
                         else f'work_dirs/camvid_table_{args.model}')
        if args.bn == 'train':
            args.work_dir += '_trainbn'
    return args


#: --cfg-options, under the config's segmentor key (:func:`mmseg_uda.utils.segmentor_key`), that
#: put lite0's backbone BatchNorm in train mode (statistics updated by every batch the backbone
#: sees, source and target; affine parameters trained).
TRAIN_BN_OPTIONS = ['backbone.norm_eval=False', 'backbone.norm_cfg.requires_grad=True']


def bn_options(args: argparse.Namespace, config: str) -> List[str]:
    """``TRAIN_BN_OPTIONS`` for ``config`` (plain or UDA) with ``--bn train``, else none."""
    if args.bn != 'train':
        return []
    key = segmentor_key(load_config(config).model)
    return [f'{key}.{option}' for option in TRAIN_BN_OPTIONS]


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


def evaluate(config: str, checkpoint: str, work_dir: str, adabn: bool) -> Dict[str, float]:
    """Target test metrics of ``checkpoint``, optionally after AdaBN (in this process):
    ``mIoU`` and ``IoU.<class>`` (%, :class:`~mmseg_uda.evaluation.ClassIoUMetric`)."""
    from mmengine.runner import Runner

    cfg = load_config(config)
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    cfg.default_hooks.visualization = dict(type='SegVisualizationHook', draw=False)
    cfg.test_evaluator = dict(type='ClassIoUMetric', iou_metrics=['mIoU'])
    if adabn:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [dict(type='AdaBNHook')]
    return {k: float(v) for k, v in Runner.from_cfg(cfg).test().items()}


def evaluate_in_subprocess(config: str, checkpoint: str, work_dir: str, adabn: bool,
                           env: dict) -> Dict[str, float]:
    cmd = [sys.executable, osp.abspath(__file__), '--evaluate', config, checkpoint, work_dir,
           *(['--adabn'] if adabn else [])]
    out = subprocess.run(cmd, check=True, cwd=REPO, env=env, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def class_iou(metrics: Dict[str, float]) -> Dict[str, float]:
    """The ``IoU.<class>`` entries of ``metrics`` as class -> IoU."""
    return {k[len('IoU.'):]: v for k, v in metrics.items() if k.startswith('IoU.')}


def evaluate_run(config: str, checkpoint: str, run_dir: str, env: dict) -> dict:
    """mIoU and per-class IoU of a run's checkpoint, as trained and after AdaBN."""
    plain = evaluate_in_subprocess(config, checkpoint, osp.join(run_dir, 'eval'), False, env)
    adabn = evaluate_in_subprocess(config, checkpoint, osp.join(run_dir, 'eval_adabn'), True,
                                   env)
    return dict(miou=plain['mIoU'], miou_adabn=adabn['mIoU'], class_iou=class_iou(plain),
                class_iou_adabn=class_iou(adabn))


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
        self.pseudo = any(m in PSEUDO_LABEL_METHODS for m in args.methods)
        if self.pseudo and not self.warmup:
            raise SystemExit(f'{PSEUDO_LABEL_METHODS} need a source-only warm-up (--warmup) '
                             'to take their pseudo labels from')
        self.head_iters = args.patch_head_iters
        if self.head_iters is None:
            self.head_iters = self.warmup
        if self.head_iters < 0 or self.head_iters and not self.warmup:
            raise SystemExit(f'--patch-head-iters {self.head_iters}: must be >= 0, and needs a '
                             'warm-up (--warmup) to fit the head on')
        self.fit_head = self.head_iters > 0 and any(is_patch_method(m) for m in args.methods)
        # seed-major: a partial sweep still covers every method of the first seeds
        self.jobs: List[Tuple[str, int]] = []
        for seed in args.seeds:
            if self.warmup:
                self.jobs.append(('warmup', seed))
            if self.pseudo:
                self.jobs.append(('pseudo labels', seed))
            if self.fit_head:
                self.jobs.append((PATCH_HEAD, seed))
            self.jobs += [(m, seed) for m in args.methods]
        self.started: set = set()
        self.done: set = set()
        self.count = 0
        self.todo = sum(not self.finished(job) for job in self.jobs)

    def run_dir(self, method: str, seed: int) -> str:
        return osp.join(self.root, slug(method), f'seed{seed}')

    def warmup_checkpoint(self, seed: int) -> str:
        return osp.join(self.run_dir('warmup', seed), f'iter_{self.warmup}.pth')

    def pseudo_label_dir(self, seed: int) -> str:
        return osp.join(self.run_dir('pseudo labels', seed), 'labels')

    def head_checkpoint(self, seed: int) -> str:
        return osp.join(self.run_dir(PATCH_HEAD, seed), 'head.pth')

    def start_checkpoint(self, method: str, seed: int) -> str:
        """What a row continues from: the warm-up, with H fitted on it for the patch rows."""
        if self.fit_head and is_patch_method(method):
            return self.head_checkpoint(seed)
        return self.warmup_checkpoint(seed)

    def finished(self, job: Tuple[str, int]) -> bool:
        """The job's output exists (a result of an older version without the per-class IoU
        counts as unfinished: :meth:`run_job` then only evaluates it again)."""
        method, seed = job
        if method == 'warmup':
            return osp.isfile(self.warmup_checkpoint(seed)) and osp.isfile(
                osp.join(self.run_dir(method, seed), 'done'))
        if method in ('pseudo labels', PATCH_HEAD):
            return osp.isfile(osp.join(self.run_dir(method, seed), 'done'))
        result = osp.join(self.run_dir(method, seed), 'result.json')
        if not osp.isfile(result):
            return False
        with open(result) as f:
            return 'class_iou' in json.load(f)

    def ready(self, job: Tuple[str, int]) -> bool:
        method, seed = job
        if method == 'warmup' or not self.warmup:
            return True
        needs = [('warmup', seed)]
        if method in PSEUDO_LABEL_METHODS:
            needs.append(('pseudo labels', seed))
        if self.fit_head and is_patch_method(method):
            needs.append((PATCH_HEAD, seed))
        return all(job in self.done for job in needs)

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
                    if self.warmup and ('warmup', job[1]) in self.failed_jobs or (
                            job[0] in PSEUDO_LABEL_METHODS
                            and ('pseudo labels', job[1]) in self.failed_jobs) or (
                            self.fit_head and is_patch_method(job[0])
                            and (PATCH_HEAD, job[1]) in self.failed_jobs):
                        self.started.add(job)  # nothing to start from
                        self.failed_jobs.add(job)
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
                       f'param_scheduler.0.end={self.total}']
            config = MODELS[self.args.model][SOURCE_ONLY][0]
            train(config, run_dir, options + bn_options(self.args, config), log, self.env)
            open(osp.join(run_dir, 'done'), 'w').close()
            return
        if method == 'pseudo labels':
            self.make_pseudo_labels(seed, run_dir, log)
            return
        if method == PATCH_HEAD:
            self.fit_patch_head(seed, run_dir, log)
            return
        config = MODELS[self.args.model][method][0]
        result_file = osp.join(run_dir, 'result.json')
        if osp.isfile(result_file):  # trained by an older version: per-class IoU missing
            self.evaluate_again(config, run_dir, result_file)
            return
        if self.warmup:
            options = [seed_opt, f'load_from={self.start_checkpoint(method, seed)}',
                       *continuation_options(load_config(config), self.warmup, self.total)]
        else:
            options = [seed_opt, *schedule_length_options(self.total)]
        if method in PSEUDO_LABEL_METHODS:
            options.append(f'train_dataloader.dataset.target_pseudo_labels='
                           f'{self.pseudo_label_dir(seed)}')
        options += bn_options(self.args, config)
        t0 = time.time()
        ckpt = train(config, run_dir, options, log, self.env)
        train_min = (time.time() - t0) / 60
        result = dict(
            method=method, seed=seed, config=config, model=self.args.model, bn=self.args.bn,
            iters=self.total, warmup=self.warmup, train_min=round(train_min, 2),
            patch_head_iters=self.head_iters if self.fit_head and is_patch_method(method) else 0,
            **evaluate_run(config, ckpt, run_dir, self.env))
        with open(result_file, 'w') as f:
            json.dump(result, f, indent=1)

    def run_tool(self, tool: str, args: List[str], run_dir: str, log: str) -> None:
        """``tools/<tool> ARGS`` writing into a fresh ``run_dir``, marked ``done`` after it."""
        if osp.isdir(run_dir):  # interrupted: start again in a new folder
            shutil.rmtree(run_dir)
        os.makedirs(run_dir)
        cmd = [sys.executable, osp.join(REPO, 'tools', tool), *args]
        print('+', ' '.join(cmd), f'> {log}', flush=True)
        with open(log, 'w') as f:
            subprocess.run(cmd, check=True, cwd=REPO, stdout=f, stderr=subprocess.STDOUT,
                           env=self.env)
        open(osp.join(run_dir, 'done'), 'w').close()

    def make_pseudo_labels(self, seed: int, run_dir: str, log: str) -> None:
        """CBST pseudo labels of the dusk train frames from the seed's source-only warm-up."""
        self.run_tool('generate_pseudo_labels.py', [
            osp.join(REPO, MODELS[self.args.model][SOURCE_ONLY][0]), self.warmup_checkpoint(seed),
            '--out', self.pseudo_label_dir(seed), '--portion', str(self.args.portion)
        ], run_dir, log)

    def fit_patch_head(self, seed: int, run_dir: str, log: str) -> None:
        """H of the patch rows fitted on the seed's source-only warm-up (segmentor frozen)."""
        self.run_tool('fit_patch_head.py', [
            osp.join(REPO, MODELS[self.args.model][PATCH_HEAD_METHOD][0]),
            self.warmup_checkpoint(seed), '--out', self.head_checkpoint(seed), '--iters',
            str(self.head_iters), '--seed', str(seed)
        ], run_dir, log)

    def evaluate_again(self, config: str, run_dir: str, result_file: str) -> None:
        """Add the per-class IoU to a result written without it, from the run's checkpoint;
        the mIoU must come out as recorded (evaluation is deterministic)."""
        with open(result_file) as f:
            result = json.load(f)
        with open(osp.join(run_dir, 'last_checkpoint')) as f:
            ckpt = f.read().strip()
        for sub in ('eval', 'eval_adabn'):
            shutil.rmtree(osp.join(run_dir, sub), ignore_errors=True)
        new = evaluate_run(config, ckpt, run_dir, self.env)
        for key in ('miou', 'miou_adabn'):
            if abs(new[key] - result[key]) > 0.01:
                raise RuntimeError(f'{result_file}: {key} evaluated again is {new[key]}, '
                                   f'recorded {result[key]}')
        result.update(class_iou=new['class_iou'], class_iou_adabn=new['class_iou_adabn'])
        with open(result_file, 'w') as f:
            json.dump(result, f, indent=1)

    def worker(self) -> None:
        while True:
            job = self.next_job()
            if job is None:
                return
            with self.lock:
                self.count += 1
                print(f'[job {self.count} of {self.todo}] {job}', flush=True)
            try:
                self.run_job(job)
            except (subprocess.CalledProcessError, RuntimeError) as exc:
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
        if any(r['method'] in TABLES['matrix'] and r['method'] not in TABLES['main']
               for r in results):
            text += ('\n## Tsai et al. 2019 Tables 2-3 rows, without and with patch alignment\n\n'
                     'dusk mIoU as trained, mean ± std over seeds; Δ source only / Δ AdaBN: '
                     'per-seed difference to the source-only model of the same seed as trained / '
                     'after AdaBN; patch: with − without, per seed\n\n' + matrix_table(results))
            for suffix, column in (('', 0), ('_patch', 1)):
                class_iou_chart(results, [pair[column] for pair in MATRIX.values()],
                                osp.join(self.root, f'class_iou{suffix}.png'))
        with open(osp.join(self.root, 'results.md'), 'w') as f:
            f.write(text)
        print(text, flush=True)


def mean_std(values: List[float], signed: bool = False) -> str:
    if not values:
        return '-'
    mean = f'{statistics.mean(values):{"+" if signed else ""}.2f}'
    if len(values) == 1:  # one seed: no spread to give
        return mean
    return f'{mean} ± {statistics.stdev(values):.2f}'


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


def paired(results: List[dict], method: str, base: Dict[int, dict], key: str,
           base_key: str) -> List[float]:
    """Per seed, ``method``'s ``key`` minus the ``base_key`` of the same seed's base row."""
    return [r[key] - base[r['seed']][base_key] for r in results
            if r['method'] == method and r['seed'] in base]


def matrix_table(results: List[dict]) -> str:
    """Markdown table of the :data:`MATRIX` rows: each without and with patch alignment, as
    trained, with the paired differences to the source-only model and to AdaBN on it."""
    base = {r['seed']: r for r in results if r['method'] == SOURCE_ONLY}
    lines = ['| adaptation | without patch | Δ source only | Δ AdaBN | with patch | '
             'Δ source only | Δ AdaBN | patch: with − without | seeds |',
             '|---|---|---|---|---|---|---|---|---|']
    for row, (plain, patch) in MATRIX.items():
        cells, seeds = [], []
        for method in (plain, patch):
            runs = [r for r in results if r['method'] == method]
            seeds.append(str(len(runs)))
            cells += [mean_std([r['miou'] for r in runs]),
                      '-' if method == SOURCE_ONLY else
                      mean_std(paired(results, method, base, 'miou', 'miou'), True),
                      mean_std(paired(results, method, base, 'miou', 'miou_adabn'), True)]
        by_seed = {r['seed']: r for r in results if r['method'] == plain}
        gain = mean_std(paired(results, patch, by_seed, 'miou', 'miou'), True)
        lines.append(f"| {row} | {' | '.join(cells)} | {gain} | {' / '.join(seeds)} |")
    source = [r for r in results if r['method'] == SOURCE_ONLY]
    lines.append(f"| AdaBN (source only + AdaBN) | {mean_std([r['miou_adabn'] for r in source])} "
                 '| - | - | | | | | ' f'{len(source)} |')
    return '\n'.join(lines) + '\n'


def class_iou_chart(results: List[dict], methods: List[str], out: str) -> None:
    """Per-class dusk IoU bars (mean ± std over seeds, as trained) of ``methods`` and of
    AdaBN on the source-only model, written to ``out``; nothing when no result has them."""
    from mmseg_uda.visualization import plot_class_iou

    with_iou = [r for r in results if 'class_iou' in r]
    if not with_iou:
        return
    classes = list(with_iou[0]['class_iou'])
    series, errors = {}, {}
    entries = [(m, 'class_iou') for m in methods]
    entries.insert(1, (SOURCE_ONLY, 'class_iou_adabn'))
    for method, key in entries:
        runs = [r[key] for r in with_iou if r['method'] == method]
        if not runs:
            continue
        name = 'source only + AdaBN' if key == 'class_iou_adabn' else method
        per_class = np.array([[float(run[c]) for c in classes] for run in runs])  # nan: absent
        series[f'{name} (n={len(runs)})'] = per_class.mean(axis=0).tolist()
        if len(runs) > 1:
            errors[f'{name} (n={len(runs)})'] = per_class.std(axis=0, ddof=1).tolist()
    plot_class_iou(series, classes, out, errors=errors,
                   title='CamVid day -> dusk, per-class dusk test IoU (mean ± std over seeds)')


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == '--evaluate':  # one evaluation, for the workers
        config, checkpoint, work_dir = sys.argv[2:5]
        print(json.dumps(evaluate(config, checkpoint, work_dir,
                                  adabn='--adabn' in sys.argv[5:])))
        return
    args = parse_args()
    sweep = Sweep(args)
    os.makedirs(sweep.root, exist_ok=True)
    if args.report:
        sweep.write_table()
        return
    for method in args.methods:  # files the methods need, built once
        for command, path in MODELS[args.model][method][1]:
            if not osp.exists(osp.join(REPO, path)):
                subprocess.run([sys.executable, *command, path], check=True, cwd=REPO)
    workers = [threading.Thread(target=sweep.worker) for _ in range(max(1, args.workers))]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    if sweep.failed:
        raise SystemExit('failed runs:\n' + '\n'.join(sweep.failed))


if __name__ == '__main__':
    main()
