"""Throughput of the GTA5 label converter on full-size (1914x1052) label maps.

    python benchmarks/bench_converters.py [--num 16] [--nproc 2]

Writes ``--num`` random GTA5 label maps (palette PNGs of Cityscapes label ids 0..33, like the
released ones) to a temporary folder, then times ``convert_labels`` with ``--nproc`` workers:
the first run converts everything, the second finds every output up to date. Prints label
maps per second for both. Random ids compress far worse than real labels, so the PNG decode and
encode here are slower than on the real dataset: a lower bound.
"""
import argparse
import os.path as osp
import sys
import tempfile
import time

import numpy as np
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from mmseg_uda.datasets.convert import GTA5, convert_labels  # noqa: E402

WIDTH, HEIGHT = 1914, 1052


def write_random_labels(folder: str, num: int, seed: int = 0) -> None:
    """``num`` random GTA5 label maps (palette PNGs) in ``folder``."""
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, 768, dtype=np.uint8).tolist()
    for i in range(num):
        img = Image.fromarray(rng.integers(0, 34, (HEIGHT, WIDTH), dtype=np.uint8), mode='P')
        img.putpalette(palette)
        img.save(osp.join(folder, f'{i:05d}.png'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=16, help='label maps to convert')
    parser.add_argument('--nproc', type=int, default=2, help='converter worker processes')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        write_random_labels(folder, args.num)
        for run in ('convert', 'rerun (all up to date)'):
            start = time.perf_counter()
            report = convert_labels(GTA5, folder, nproc=args.nproc)
            seconds = time.perf_counter() - start
            print(f'\n{run}: {args.num} label maps {WIDTH}x{HEIGHT}, nproc={args.nproc}: '
                  f'{seconds:.2f} s, {args.num / seconds:.2f} label maps/s '
                  f'(converted {report.converted}, kept {report.skipped})')


if __name__ == '__main__':
    main()
