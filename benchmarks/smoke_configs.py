"""Train every shipped config (or the given ones) for two iterations, one after another.

    python benchmarks/smoke_configs.py [--configs CFG ...] [--device cpu|cuda] [--size H W]
        [--batch 2] [--iters 2] [--vgg-fc-width N] [--markdown FILE]

Each config goes through :func:`mmseg_uda.testing.smoke_train_config`, the check
``tests/test_configs.py::test_config_trains`` runs on CPU: its own model and optimizer wrappers,
right after its warm-up, on random batches, every logged value finite, the segmentor and the
discriminators updated. A failing config is printed with its error and the next one runs; the
exit status is 1 when any failed. Prints, per config, the mean time of an iteration (the first,
with its one-off costs, included) and, on CUDA, the peak ``max_memory_allocated``.
"""
import argparse
import gc
import os.path as osp
import sys
import tempfile
import time
import traceback
from typing import List, Optional

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401
from mmseg.utils import register_all_modules  # noqa: E402
from mmseg_uda.testing import shipped_configs, smoke_train_config  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', help='default: every config under configs/ '
                        '(_base_ excluded)')
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--size', type=int, nargs=2, default=(64, 64), metavar=('H', 'W'))
    parser.add_argument('--batch', type=int, default=2, help='images per domain')
    parser.add_argument('--iters', type=int, default=2)
    parser.add_argument('--vgg-fc-width', type=int,
                        help='fc6/fc7 width of the dilated VGG-16 configs (default: 4096 as '
                        'configured on CUDA, 64 on CPU)')
    parser.add_argument('--markdown', help='append one markdown table row per config here '
                        '(columns: config, device, batch, size, s/iter, peak MiB, parameters, '
                        'result)')
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: torch.cuda.is_available() is False on this machine')
    if args.vgg_fc_width is None and args.device == 'cpu':
        args.vgg_fc_width = 64
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Smoke-train every config; returns the number that failed."""
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    configs = args.configs or shipped_configs(REPO)
    cuda = args.device == 'cuda'
    print(f'{len(configs)} configs, {args.iters} iterations each, batch {args.batch}+'
          f'{args.batch} at {args.size[0]}x{args.size[1]} (HxW), {args.device}, dilated VGG-16 '
          f'fc6/fc7 width {args.vgg_fc_width or "as configured"}', flush=True)
    failures = 0
    start = time.perf_counter()
    for config in configs:
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        peak = ''
        try:
            with tempfile.TemporaryDirectory() as folder:
                r = smoke_train_config(osp.join(REPO, config), folder, tuple(args.size),
                                       args.batch, args.iters, args.device, args.vgg_fc_width,
                                       mit_layers=None)
            if cuda:
                peak = f'{torch.cuda.max_memory_allocated() / 2**20:.0f}'
            figures = f'{r["s_per_iter"]:.3f} | {peak} | {r["num_params"] / 1e6:.1f}M | ok'
            print(f'{config:60s} ok     {r["s_per_iter"]:7.3f} s/iter  '
                  f'{peak + " MiB" if peak else ""}', flush=True)
        except Exception as exc:  # one failing config must not stop the others
            failures += 1
            error = f'{type(exc).__name__}: {exc}'.replace('\n', ' ').replace('|', '/')
            traceback.print_exc()
            print(f'{config:60s} FAILED {error}', flush=True)
            figures = f' | | | FAILED: {error[:300]}'
        finally:
            gc.collect()
            if cuda:
                torch.cuda.empty_cache()
        if args.markdown:
            with open(args.markdown, 'a') as f:
                f.write(f'| {config} | {args.device} | {args.batch}+{args.batch} | '
                        f'{args.size[1]}x{args.size[0]} | {figures} |\n')
    print(f'{len(configs) - failures}/{len(configs)} configs trained in '
          f'{time.perf_counter() - start:.0f} s', flush=True)
    return failures


if __name__ == '__main__':
    sys.exit(1 if main() else 0)
