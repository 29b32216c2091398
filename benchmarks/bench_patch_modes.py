"""Throughput and memory of tools/build_patch_modes.py: in memory, and end to end from PNG files.

    python benchmarks/bench_patch_modes.py [--num 64] [--batch-size 8] [--patch-size 32] [--k 50]
        [--from-files DIR [--size 1914 1052] [--num-workers 2] [--full-pipeline]
                          [--camvid-root ../shared/data/camvid_daydusk]]

In memory: ``--num`` blocky random 1280x720 label maps (19 classes plus the ignore label 255: a
random 45x80 class map upsampled 16x, with random ignore blocks, so the cell histograms are not
all near-uniform) are generated one batch at a time and streamed through the tool's own
``fit_modes`` (``patch_histograms`` per map, ``MiniBatchKMeans.partial_fit`` per batch); the
generation is not timed.

``--from-files DIR``: the same ``fit_modes`` fed by the tool's reader
(:class:`mmseg_uda.source_labels.SourceLabelMaps`, the label path of
``configs/patch_align/gta2cs.py``: label PNG decoding, the 1280x720 nearest resize, the label
checks, ``--num-workers`` dataloader workers), timed end to end (wall clock, dataloader start
included). ``DIR`` (outside the repository) gets a GTA5-layout copy of real label maps unless it
has one: the CamVid day training labels of ``--camvid-root`` (train ids 0..10, 255) upscaled to
``--size`` (GTA5's 1914x1052 by default) with nearest interpolation, written as the GTA5
converter writes labels (``write_label_png``), cycled when ``--num`` exceeds the 406 frames, and
their images upscaled bilinearly (PNG, fast compression; only their headers are read, except by
``--full-pipeline``, which also times the tool's ``--full-pipeline`` path that decodes them).

Prints, for each path, the rate and peak RSS after N/4, N/2 and N maps (bounded streaming: flat
after the first quarter), then one table with the rates side by side: label maps/s, CPU seconds
per map (this process and its workers) and the peak RSS of the main process and of the largest
worker. On a machine shared with other work the wall-clock rate understates the idle rate;
``2 / CPU s per map`` bounds what two idle cores would do.
"""
import argparse
import glob
import importlib.util
import os
import os.path as osp
import resource
import sys
import time
from typing import Callable, Dict, Iterator, List, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401  (registers the datasets and transforms)
from mmseg_uda.datasets.convert import write_label_png  # noqa: E402
from mmseg_uda.models.adaptation import PatchAlignment  # noqa: E402
from mmseg_uda.source_labels import SourceLabelMaps  # noqa: E402


def _tool_function(tool: str, name: str) -> Callable:
    """``name`` from ``tools/<tool>.py`` (loaded by path: ``tools/`` is no package)."""
    spec = importlib.util.spec_from_file_location(f'_tool_{tool}',
                                                  osp.join(REPO, 'tools', f'{tool}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


fit_modes = _tool_function('build_patch_modes', 'fit_modes')

WIDTH, HEIGHT = 1280, 720
NUM_CLASSES, IGNORE = 19, 255
BLOCK = 16
GTA_SIZE = (1914, 1052)
CONFIG = osp.join(REPO, 'configs', 'patch_align', 'gta2cs.py')
CAMVID_ROOT = osp.join(osp.dirname(REPO), 'shared', 'data', 'camvid_daydusk')
LABEL_SUFFIX = '_labelTrainIds.png'  # GTA5Dataset's seg_map_suffix


def default_grid() -> Tuple[int, int]:
    """PatchAlignment's default cells per patch (the paper's 2x2)."""
    return PatchAlignment.geometry_of(dict(patch_size=1))['grid']


def random_labels(rng: np.random.Generator, num: int) -> np.ndarray:
    """``num`` blocky random label maps (num, 720, 1280) uint8, about 5 % ignore."""
    coarse = rng.integers(0, NUM_CLASSES, (num, HEIGHT // BLOCK, WIDTH // BLOCK), dtype=np.uint8)
    coarse[rng.random(coarse.shape) < 0.05] = IGNORE
    return coarse.repeat(BLOCK, axis=1).repeat(BLOCK, axis=2)


def write_gta5_like(folder: str, num: int, size: Tuple[int, int], camvid_root: str) -> int:
    """A GTA5-layout folder of ``num`` upscaled real CamVid frames; returns how many were new.

    ``folder/labels/NNNNN_labelTrainIds.png``: the CamVid day training labels upscaled to
    ``size = (W, H)`` (nearest), written by the converters' ``write_label_png``;
    ``folder/images/NNNNN.png``: their images, upscaled bilinearly. Existing files are kept.

    Raises:
        FileNotFoundError: when ``camvid_root`` holds no training labels.
    """
    labels = sorted(glob.glob(osp.join(camvid_root, 'source', 'ann', 'train', '*.png')))
    if not labels:
        raise FileNotFoundError(f'no CamVid training labels in {camvid_root}/source/ann/train')
    os.makedirs(osp.join(folder, 'labels'), exist_ok=True)
    os.makedirs(osp.join(folder, 'images'), exist_ok=True)
    written = 0
    for i in range(num):
        name = f'{i:05d}'
        label_out = osp.join(folder, 'labels', name + LABEL_SUFFIX)
        image_out = osp.join(folder, 'images', name + '.png')
        if osp.exists(label_out) and osp.exists(image_out):
            continue
        label_in = labels[i % len(labels)]
        label = cv2.imread(label_in, cv2.IMREAD_UNCHANGED)
        write_label_png(label_out, cv2.resize(label, size, interpolation=cv2.INTER_NEAREST))
        image = cv2.imread(label_in.replace(osp.join('ann', 'train'), osp.join('img', 'train')))
        cv2.imwrite(image_out, cv2.resize(image, size, interpolation=cv2.INTER_LINEAR),
                    [cv2.IMWRITE_PNG_COMPRESSION, 1])
        written += 1
    return written


def rss_mib() -> Tuple[float, float]:
    """Current and peak resident set size of this process in MiB (``/proc/self/status``)."""
    values = {}
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(('VmRSS:', 'VmHWM:')):
                values[line.split(':')[0]] = int(line.split()[1]) / 1024
    return values['VmRSS'], values['VmHWM']


def reset_peak_rss() -> None:
    """Start a new peak RSS measurement (Linux: ``5 > /proc/self/clear_refs``), if allowed."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def with_checkpoints(batches: Iterator[List[torch.Tensor]], num: int, label: str,
                     busy: Callable[[], float]) -> Iterator[List[torch.Tensor]]:
    """Pass ``batches`` through, printing the rate (maps / ``busy()`` seconds) and the peak RSS
    after N/4, N/2 and N maps, then the rate of the second half alone."""
    marks = sorted({num // 4, num // 2, num})
    done, half = 0, None
    for labels in batches:
        yield labels
        before, done = done, done + len(labels)
        for mark in marks:
            if before < mark <= done:
                print(f'{label}: after {done:5d} maps: {done / busy():7.2f} label maps/s, '
                      f'peak RSS {rss_mib()[1]:.0f} MiB', flush=True)
        if half is None and done >= num // 2:
            half = (done, busy())
    if half is not None and done > half[0]:
        print(f'{label}: second half alone (start-up excluded): '
              f'{(done - half[0]) / (busy() - half[1]):.2f} label maps/s', flush=True)


def in_memory(args: argparse.Namespace) -> Dict[str, float]:
    """``fit_modes`` on generated maps; the generation is not timed."""
    rng = np.random.default_rng(args.seed)
    generating, generating_cpu = 0.0, 0.0

    def batches() -> Iterator[List[torch.Tensor]]:
        nonlocal generating, generating_cpu
        for start in range(0, args.num, args.batch_size):
            t, cpu = time.perf_counter(), time.process_time()
            labels = random_labels(rng, min(args.batch_size, args.num - start))
            generating += time.perf_counter() - t
            generating_cpu += time.process_time() - cpu
            yield [torch.from_numpy(label) for label in labels]

    start = time.perf_counter()
    reset_peak_rss()
    cpu = cpu_seconds()
    stream = with_checkpoints(batches(), args.num, 'in memory',
                              lambda: time.perf_counter() - start - generating)
    fit_modes(stream, args.k, (args.patch_size, args.patch_size), NUM_CLASSES, IGNORE,
              default_grid(), args.seed)
    seconds = time.perf_counter() - start - generating
    return dict(maps=args.num, seconds=seconds, cpu=cpu_seconds() - cpu - generating_cpu,
                rss=rss_mib()[1], worker_rss=0.0)


def from_files(args: argparse.Namespace, full_pipeline: bool) -> Dict[str, float]:
    """``fit_modes`` fed by ``SourceLabelMaps`` on the GTA5-layout folder, end to end."""
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({'train_dataloader.dataset.source.data_root': args.from_files})
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    start = time.perf_counter()
    reset_peak_rss()
    cpu = cpu_seconds()
    source = SourceLabelMaps(cfg, args.batch_size, args.num_workers, shuffle=True,
                             seed=args.seed, progress=False, full_pipeline=full_pipeline)
    name = 'full pipeline' if full_pipeline else 'label path'
    stream = with_checkpoints(source.batches(), len(source), f'from files, {name}',
                              lambda: time.perf_counter() - start)
    fit_modes(stream, args.k, (args.patch_size, args.patch_size), NUM_CLASSES, IGNORE,
              default_grid(), args.seed)
    seconds = time.perf_counter() - start
    return dict(maps=len(source), seconds=seconds, cpu=cpu_seconds() - cpu, rss=rss_mib()[1],
                worker_rss=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def table(rows: Sequence[Tuple[str, Dict[str, float]]]) -> str:
    """The markdown table of the rates side by side."""
    lines = ['| path | label maps | label maps/s | CPU s per map | peak RSS main (MiB) | '
             'peak RSS largest worker (MiB) |', '|---|---|---|---|---|---|']
    for name, r in rows:
        worker = f'{r["worker_rss"]:.0f}' if r['worker_rss'] else '-'
        lines.append(f'| {name} | {r["maps"]} | {r["maps"] / r["seconds"]:.1f} | '
                     f'{r["cpu"] / r["maps"]:.4f} | {r["rss"]:.0f} | {worker} |')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=64, help='label maps in all (N)')
    parser.add_argument('--batch-size', type=int, default=8, help='label maps per partial_fit')
    parser.add_argument('--patch-size', type=int, default=32, help='patch size in pixels')
    parser.add_argument('--k', type=int, default=50, help='number of modes')
    parser.add_argument('--seed', type=int, default=0, help='seed of the maps and K-means')
    parser.add_argument('--from-files', metavar='DIR',
                        help='also time the reader end to end on the GTA5-layout folder DIR '
                        '(generated from CamVid labels when missing; outside the repository)')
    parser.add_argument('--size', type=int, nargs=2, default=GTA_SIZE, metavar=('W', 'H'),
                        help='size of the generated label maps (default: GTA5, 1914 1052)')
    parser.add_argument('--num-workers', type=int, default=2,
                        help='dataloader workers of the reader (the tools\' --num-workers)')
    parser.add_argument('--full-pipeline', action='store_true',
                        help='with --from-files: also time the full pipeline (images decoded)')
    parser.add_argument('--camvid-root', default=CAMVID_ROOT,
                        help='CamVid day/dusk folder the generated label maps come from')
    args = parser.parse_args()
    if args.num < 4 or args.batch_size < 1 or args.num_workers < 0:
        raise ValueError(f'--num must be >= 4, --batch-size >= 1 and --num-workers >= 0, got '
                         f'{args.num}, {args.batch_size}, {args.num_workers}')
    if args.from_files:
        args.from_files = osp.abspath(args.from_files)
        if (args.from_files + os.sep).startswith(REPO + os.sep):
            raise ValueError(f'--from-files {args.from_files} is inside the repository {REPO}: '
                             'give a folder outside it (e.g. /tmp/gta5_like)')
    return args


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    print(f'{args.num} label maps, batch {args.batch_size}, patch {args.patch_size}, K {args.k}; '
          f'torch threads {torch.get_num_threads()}; peak RSS at start {rss_mib()[1]:.0f} MiB')
    rows = [(f'in memory ({WIDTH}x{HEIGHT}, histograms + partial_fit)', in_memory(args))]
    if args.from_files:
        written = write_gta5_like(args.from_files, args.num, tuple(args.size), args.camvid_root)
        print(f'{args.from_files}: {args.num} label maps of {args.size[0]}x{args.size[1]} '
              f'({written} written now)')
        files = glob.glob(osp.join(args.from_files, 'labels', '*' + LABEL_SUFFIX))
        if len(files) != args.num:
            raise ValueError(f'{args.from_files} holds {len(files)} label maps, not --num '
                             f'{args.num}: give an empty folder or the same --num')
        size = f'{args.size[0]}x{args.size[1]} PNG -> {WIDTH}x{HEIGHT}'
        rows.append((f'from files, label path ({size}, {args.num_workers} workers)',
                     from_files(args, False)))
        if args.full_pipeline:
            rows.append((f'from files, full pipeline ({size}, {args.num_workers} workers)',
                         from_files(args, True)))
    print(table(rows))
    print(f'CPUs available: {len(os.sched_getaffinity(0))}; load average '
          f'{os.getloadavg()[0]:.2f} (other work on the machine slows the wall-clock rates)')


if __name__ == '__main__':
    main()
