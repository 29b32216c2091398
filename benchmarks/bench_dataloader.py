"""Dataloader throughput of ``UDADataset`` (source + target pairs) vs the plain source dataset.

    python benchmarks/bench_dataloader.py [--workers 0 2] [--batch 8] [--batches 100]
        [--num-images 64] [--height 96] [--width 192] [--camvid]

Both loaders are built by mmengine's ``Runner.build_dataloader`` from the config's own
``train_dataloader`` (sampler, collate function, batch size), one with its ``UDADataset``, the
other with that dataset's ``source`` alone: the same source pipeline, so the difference is the
target sample (one more image decoded and transformed per sample). For each worker count it
prints samples/s (after one untimed batch, which includes starting the workers) and the ratios
UDA / plain and N workers / 0 workers. The main process and every worker are single-threaded
(``torch.set_num_threads(1)``, ``cv2.setNumThreads(0)``: the default runtime's ``mp_cfg``).

Default data: the built-in synthetic domain shift (``configs/demo/output_space_synthetic.py``),
generated into a temporary folder at ``--width`` x ``--height``. ``--camvid`` reads the CamVid
day -> dusk frames in ``../shared/data/camvid_daydusk`` in place with the pipelines of
``configs/output_space/camvid_day2dusk_tiny.py``.
"""
import argparse
import copy
import os
import os.path as osp
import sys
import tempfile
import time
from typing import Dict, List, Optional

import cv2
import torch
from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401
from mmseg.utils import register_all_modules  # noqa: E402
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data  # noqa: E402
from _args import at_least  # noqa: E402  (benchmarks/_args.py)

SYNTHETIC_CONFIG = 'configs/demo/output_space_synthetic.py'
CAMVID_CONFIG = 'configs/output_space/camvid_day2dusk_tiny.py'
CAMVID_ROOT = osp.join(osp.dirname(REPO), 'shared', 'data', 'camvid_daydusk')


def loader_cfg(cfg: Config, dataset: dict, batch: int, workers: int) -> dict:
    """``cfg.train_dataloader`` with another dataset, batch size and worker count."""
    return dict(copy.deepcopy(cfg.train_dataloader.to_dict()), dataset=copy.deepcopy(dataset),
                batch_size=batch, num_workers=workers, persistent_workers=False)


def samples_per_second(dataloader_cfg: dict, batches: int) -> float:
    """Samples/s over ``batches`` batches, after one untimed batch (worker start-up)."""
    loader = Runner.build_dataloader(dataloader_cfg, seed=0)
    it = iter(loader)
    next(it)
    t0 = time.perf_counter()
    for _ in range(batches):
        next(it)
    seconds = time.perf_counter() - t0
    del it  # stops the workers
    return batches * dataloader_cfg['batch_size'] / seconds


def load_config(args: argparse.Namespace, folder: str) -> Config:
    """The config whose train dataloader is measured, its data roots pointed at the data."""
    if args.camvid:
        if not osp.isdir(CAMVID_ROOT):
            raise FileNotFoundError(f'--camvid: {CAMVID_ROOT} does not exist')
        cfg = Config.fromfile(osp.join(REPO, CAMVID_CONFIG))
        roots = dict(source=CAMVID_ROOT, target=CAMVID_ROOT)
    else:
        cfg = Config.fromfile(osp.join(REPO, SYNTHETIC_CONFIG))
        info = generate_synthetic_uda_data(osp.join(folder, 'data'), num_train=args.num_images,
                                           num_val=1, width=args.width, height=args.height)
        roots = dict(source=info['source_root'], target=info['target_root'])
    for domain, root in roots.items():
        cfg.train_dataloader.dataset[domain].data_root = root
    return cfg


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--workers', type=at_least(0), nargs='+', default=[0, 2],
                        help='worker counts; the first is the reference of the workers ratio')
    parser.add_argument('--batch', type=at_least(1), default=8)
    parser.add_argument('--batches', type=at_least(1), default=100, help='timed batches per loader')
    parser.add_argument('--num-images', type=at_least(1), default=64,
                        help='synthetic training images per domain')
    parser.add_argument('--height', type=at_least(32), default=96, help='synthetic image height')
    parser.add_argument('--width', type=at_least(64), default=192, help='synthetic image width')
    parser.add_argument('--camvid', action='store_true',
                        help=f'CamVid day -> dusk in {CAMVID_ROOT} instead of synthetic data')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(1)
    cv2.setNumThreads(0)
    register_all_modules(init_default_scope=True)
    with tempfile.TemporaryDirectory() as folder:
        cfg = load_config(args, folder)
        uda = cfg.train_dataloader.dataset
        datasets = dict(plain=uda.source, UDA=uda)
        print(f"{CAMVID_CONFIG if args.camvid else SYNTHETIC_CONFIG}'s train dataloader, "
              f'{"CamVid day -> dusk" if args.camvid else "synthetic data"}, batch {args.batch}, '
              f'{args.batches} timed batches, {os.cpu_count()} CPUs (load average '
              f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}); plain = the source dataset "
              'alone, UDA = source + target sample', flush=True)
        rates: Dict[tuple, float] = {}
        for workers in args.workers:
            for name, dataset in datasets.items():
                rates[name, workers] = samples_per_second(
                    loader_cfg(cfg, dataset, args.batch, workers), args.batches)
                print(f'  {name}, {workers} workers: {rates[name, workers]:.1f} samples/s',
                      flush=True)
    ref = args.workers[0]
    print(f'\n| workers | plain samples/s | UDA samples/s | UDA / plain | plain vs {ref} workers '
          f'| UDA vs {ref} workers |')
    print('|---|---|---|---|---|---|')
    for workers in args.workers:
        plain, pair = rates['plain', workers], rates['UDA', workers]
        print(f'| {workers} | {plain:.1f} | {pair:.1f} | x{pair / plain:.2f} | '
              f'x{plain / rates["plain", ref]:.2f} | x{pair / rates["UDA", ref]:.2f} |')


if __name__ == '__main__':
    main()
