"""The main job on the built-in data: source-only vs. adaptation on a synthetic domain shift.

    python tools/run_demo.py [--work-dir work_dirs/demo] [--iters N]

Generates the synthetic source/target cities (seconds, cached), builds the patch-modes file of
the patch-alignment methods from the source labels (``tools/build_patch_modes.py``, K-means,
seconds), trains every method of ``METHODS`` with ``tools/train.py`` (MMSeg's usual logging),
evaluates each checkpoint with
``IoUMetric`` on the target val split (and the source-only model on the source val split too),
prints a results table and writes it to ``<work-dir>/results.md``.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data  # noqa: E402
from mmseg_uda.utils import schedule_length_options  # noqa: E402

#: (row label, config) in table order; the first one is the source-only baseline.
METHODS = [
    ('source only', 'configs/demo/source_only_synthetic.py'),
    ('output space (AdaptSegNet)', 'configs/demo/output_space_synthetic.py'),
    ('patch alignment (Tsai et al. 2019)', 'configs/demo/patch_align_synthetic.py'),
    ('output space + patch', 'configs/demo/output_space_patch_synthetic.py'),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mmseg_uda demo on the synthetic domain shift')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--iters', type=int, default=None,
                        help='override the number of training iterations of every method')
    return parser.parse_args()


def patch_adaptations(cfg: Config) -> List[str]:
    """Names of the config's PatchAlignment adaptations."""
    return [name for name, ad in (cfg.model.get('adaptations') or {}).items()
            if ad.get('type') == 'PatchAlignment']


def build_patch_modes(config: str, data_root: str, out: str) -> None:
    """The K-means patch modes of the source labels (skipped when ``out`` exists)."""
    if osp.exists(out):
        return
    cmd = [sys.executable, osp.join(REPO, 'tools/build_patch_modes.py'), osp.join(REPO, config),
           '--out', out, '--cfg-options', f'train_dataloader.dataset.source.data_root={data_root}'
           '/source']
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def train(config: str, work_dir: str, data_root: str, iters: Optional[int],
          modes_file: str) -> str:
    """Train one config with tools/train.py; returns the final checkpoint path."""
    options = [f'train_dataloader.dataset.{k}data_root={data_root}/{d}'
               for k, d in (('source.', 'source'), ('target.', 'target'))]
    cfg = Config.fromfile(osp.join(REPO, config))
    options += [f'model.adaptations.{name}.modes_file={modes_file}'
                for name in patch_adaptations(cfg)]
    if cfg.train_dataloader.dataset.type != 'UDADataset':
        options = [f'train_dataloader.dataset.data_root={data_root}/source']
    options.append(f'val_dataloader.dataset.data_root={data_root}/target')
    if iters is not None:
        options += schedule_length_options(iters)
    cmd = [sys.executable, osp.join(REPO, 'tools/train.py'), osp.join(REPO, config),
           '--work-dir', work_dir, '--cfg-options', *options]
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def evaluate(config: str, checkpoint: str, data_root: str, work_dir: str,
             modes_file: str) -> float:
    """mIoU (%) of ``checkpoint`` on the val split under ``data_root``."""
    cfg = Config.fromfile(osp.join(REPO, config))
    for name in patch_adaptations(cfg):
        cfg.model.adaptations[name].modes_file = modes_file
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    cfg.test_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.data_prefix = dict(img_path='leftImg8bit/val',
                                                   seg_map_path='gtFine/val')
    cfg.default_hooks.visualization = dict(type='SegVisualizationHook', draw=False)
    metrics = Runner.from_cfg(cfg).test()
    return float(metrics['mIoU'])


def table(rows: List[Dict[str, str]]) -> str:
    header = '| method | source val mIoU | target val mIoU | train time |\n|---|---|---|---|\n'
    return header + ''.join(
        f"| {r['method']} | {r['source']} | {r['target']} | {r['time']} |\n" for r in rows)


def main() -> None:
    args = parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    start = time.time()
    info = generate_synthetic_uda_data(osp.join(REPO, args.data_root))
    print(f'synthetic data ready in {time.time() - start:.1f}s: {info}', flush=True)
    data_root = osp.join(REPO, args.data_root)
    modes_file = osp.abspath(osp.join(args.work_dir, 'patch_modes_k50.pth'))
    rows = []
    for label, config in METHODS:
        name = osp.splitext(osp.basename(config))[0]
        work_dir = osp.join(args.work_dir, name)
        t0 = time.time()
        if patch_adaptations(Config.fromfile(osp.join(REPO, config))):
            build_patch_modes(config, data_root, modes_file)
        ckpt = train(config, work_dir, data_root, args.iters, modes_file)
        train_time = time.time() - t0
        source = evaluate(config, ckpt, data_root + '/source', osp.join(work_dir, 'eval_source'),
                          modes_file)
        target = evaluate(config, ckpt, data_root + '/target', osp.join(work_dir, 'eval_target'),
                          modes_file)
        rows.append(dict(method=label, source=f'{source:.2f}', target=f'{target:.2f}',
                         time=f'{train_time / 60:.1f} min'))
    text = ('# mmseg_uda demo: synthetic source city -> appearance-shifted target city\n\n'
            + table(rows) + f'\nTotal wall time: {(time.time() - start) / 60:.1f} min.\n')
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text)
    print('\n' + text, flush=True)
    print(f"written to {osp.join(args.work_dir, 'results.md')}")


if __name__ == '__main__':
    main()
