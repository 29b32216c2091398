"""Throughput and memory of the patch-mode K-means of tools/build_patch_modes.py.

    python benchmarks/bench_patch_modes.py [--num 64] [--batch-size 8] [--patch-size 32] [--k 50]

Generates ``--num`` random 1280x720 label maps (19 classes plus the ignore label 255) in memory,
one batch at a time, and streams them as the tool does: ``patch_histograms`` (the function
training uses) on each map, then ``MiniBatchKMeans.partial_fit`` on the batch's valid patches
(the first fit waits for 10 * K patches, as in the tool). The maps are blocky (a random 45x80
class map upsampled 16x, with random ignore blocks) rather than i.i.d. pixels, so the cell
histograms are not all near-uniform. Prints label maps per second and the process's peak RSS
after N/4, N/2 and N maps: with bounded streaming the peak stays flat after the first quarter.
"""
import argparse
import os.path as osp
import resource
import sys
import time

import numpy as np
import torch
from sklearn.cluster import MiniBatchKMeans

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from mmseg_uda.label_stats import patch_histograms  # noqa: E402

WIDTH, HEIGHT = 1280, 720
NUM_CLASSES, IGNORE = 19, 255
BLOCK = 16
INIT_PATCHES_PER_MODE = 10


def random_labels(rng: np.random.Generator, num: int) -> np.ndarray:
    """``num`` blocky random label maps (num, 720, 1280) uint8, about 5 % ignore."""
    coarse = rng.integers(0, NUM_CLASSES, (num, HEIGHT // BLOCK, WIDTH // BLOCK), dtype=np.uint8)
    coarse[rng.random(coarse.shape) < 0.05] = IGNORE
    return coarse.repeat(BLOCK, axis=1).repeat(BLOCK, axis=2)


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=64, help='label maps in all (N)')
    parser.add_argument('--batch-size', type=int, default=8, help='label maps per partial_fit')
    parser.add_argument('--patch-size', type=int, default=32, help='patch size in pixels')
    parser.add_argument('--k', type=int, default=50, help='number of modes')
    parser.add_argument('--seed', type=int, default=0, help='seed of the maps and K-means')
    args = parser.parse_args()
    if args.num < 4 or args.batch_size < 1:
        raise ValueError(f'--num must be >= 4 and --batch-size >= 1, got --num {args.num} '
                         f'--batch-size {args.batch_size}')

    rng = np.random.default_rng(args.seed)
    kmeans = MiniBatchKMeans(n_clusters=args.k, random_state=args.seed)
    checkpoints = sorted({args.num // 4, args.num // 2, args.num})
    print(f'{args.num} label maps of {WIDTH}x{HEIGHT}, batch {args.batch_size}, '
          f'patch {args.patch_size}, K {args.k}; peak RSS at start {peak_rss_mib():.0f} MiB')
    done, patches, busy = 0, 0, 0.0
    pending = []
    while done < args.num:
        labels = random_labels(rng, min(args.batch_size, args.num - done))
        start = time.perf_counter()
        for label in labels:
            hist, valid = patch_histograms(torch.from_numpy(label), args.patch_size, NUM_CLASSES,
                                           IGNORE)
            pending.append(hist[valid].numpy())
        rows = sum(len(p) for p in pending)
        if hasattr(kmeans, 'cluster_centers_') or rows >= INIT_PATCHES_PER_MODE * args.k:
            kmeans.partial_fit(np.concatenate(pending))
            patches += rows
            pending = []
        busy += time.perf_counter() - start
        before, done = done, done + len(labels)
        for mark in checkpoints:
            if before < mark <= done:
                print(f'after {done:5d} maps: {done / busy:7.2f} label maps/s '
                      f'(histograms + partial_fit), {patches} patches fitted, '
                      f'peak RSS {peak_rss_mib():.0f} MiB')


if __name__ == '__main__':
    main()
