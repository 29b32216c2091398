"""Label conversion shared by ``tools/dataset_converters/{gta,synthia}.py``.

Both synthetic source datasets ship labels in their own id space; the converters rewrite every
label map as single-channel uint8 Cityscapes *train ids* (0..18, 255 = ignore), so that a model
trained on them predicts the Cityscapes classes directly and MMSeg's ``CityscapesDataset``
conventions (``*_labelTrainIds.png``) apply.

- GTA5 (Richter et al., "Playing for Data", ECCV 2016): ``labels/*.png`` are palette PNGs whose
  indices are the 34 Cityscapes *label ids* (``cityscapesscripts/helpers/labels.py``); they are
  read with PIL, which returns the palette indices.
- SYNTHIA-RAND-CITYSCAPES (Ros et al., CVPR 2016): ``GT/LABELS/*.png`` are 16-bit 3-channel
  PNGs; per the dataset's README the *first* channel (R) holds the class id (0..22) and the
  second the instance id. OpenCV returns the channels in BGR order, so the class id is channel
  index 2 (the *last* one) of ``cv2.imread(path, cv2.IMREAD_UNCHANGED)``. The same reading is
  used by ADVENT (``imageio.imread(..., format='PNG-FI')[:, :, 0]``, RGB order), DAFormer
  (``cv2.imread(..., IMREAD_UNCHANGED)[:, :, -1]``) and Datumaro's SYNTHIA importer
  (``[:, :, 2]`` of a BGR image).

Every conversion is idempotent (an output newer than its input is kept), atomic (written to a
hidden temporary file in the output folder, then renamed), and maps ids the dataset does not
define to 255 with a warning naming the file. Per-image class pixel counts are written beside
the converted labels as ``label_stats.json``::

    {"dataset": "gta5", "classes": [19 names], "ignore_index": 255, "num_images": N,
     "class_pixels": [19 totals], "class_images": [19 counts of images containing the class],
     "images": {"00001_labelTrainIds.png": {"height": H, "width": W, "pixels": [19 counts],
                                           "unknown_ids": {"40": 12}}}}   # only if any

A class's pixel fraction in an image is ``pixels[c] / (height * width)``; these statistics feed
class-size constraints (FCNs in the Wild) and rare-class sampling.
"""
import argparse
import json
import os
import os.path as osp
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image

IGNORE_INDEX = 255
CITYSCAPES_CLASSES: Tuple[str, ...] = (
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign',
    'vegetation', 'terrain', 'sky', 'person', 'rider', 'car', 'truck', 'bus', 'train',
    'motorcycle', 'bicycle')
TRAIN_ID_SUFFIX = '_labelTrainIds.png'
STATS_FILE = 'label_stats.json'

# Cityscapes label id -> train id (cityscapesscripts/helpers/labels.py). Ids 0..33 are defined;
# the ones absent here (void, ground, parking, rail track, guard rail, bridge, tunnel,
# pole group, caravan, trailer, ...) are ignored in the 19-class benchmark.
GTA5_ID_TO_TRAIN_ID: Dict[int, int] = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12,
    26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
GTA5_KNOWN_IDS = frozenset(range(34))

# SYNTHIA-RAND-CITYSCAPES class id (README.txt) -> Cityscapes train id. 0 void, 13 parking-slot,
# 14 road-work and 22 lane-marking have no Cityscapes train id and are ignored. Terrain, truck
# and train are defined by the README but do not occur in the RAND-CITYSCAPES frames, so 16 of
# the 19 classes are learnt.
SYNTHIA_ID_TO_TRAIN_ID: Dict[int, int] = {
    1: 10,  # sky
    2: 2,  # building
    3: 0,  # road
    4: 1,  # sidewalk
    5: 4,  # fence
    6: 8,  # vegetation
    7: 5,  # pole
    8: 13,  # car
    9: 7,  # traffic sign
    10: 11,  # pedestrian -> person
    11: 18,  # bicycle
    12: 17,  # motorcycle
    15: 6,  # traffic light
    16: 9,  # terrain
    17: 12,  # rider
    18: 14,  # truck
    19: 15,  # bus
    20: 16,  # train
    21: 3,  # wall
}
SYNTHIA_KNOWN_IDS = frozenset(range(23))


class UnknownLabelIdWarning(UserWarning):
    """A label map contains ids the dataset does not define; they were mapped to ignore."""


def read_gta5_label(path: str) -> np.ndarray:
    """Cityscapes label ids of a GTA5 label map (the palette indices of the PNG).

    Raises:
        ValueError: The file cannot be decoded (e.g. truncated) or is not a palette or
            single-channel 8-bit image.
    """
    try:
        with Image.open(path) as img:
            if img.mode not in ('P', 'L'):
                raise ValueError(f'{path}: expected a palette (P) or 8-bit grey (L) GTA5 label, '
                                 f'got PIL mode {img.mode!r}')
            return np.asarray(img)
    except FileNotFoundError:
        raise
    except OSError as err:  # PIL: "image file is truncated", "cannot identify image file"
        raise ValueError(f'{path}: PIL cannot decode this label file ({err})') from err


def read_synthia_label(path: str) -> np.ndarray:
    """SYNTHIA class ids of a SYNTHIA-RAND-CITYSCAPES label map (its R channel).

    Raises:
        ValueError: OpenCV cannot read the file, or it has fewer than 3 channels.
    """
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if label is None:
        raise ValueError(f'{path}: OpenCV cannot read this label file')
    if label.ndim != 3 or label.shape[2] < 3:
        raise ValueError(f'{path}: expected a 3-channel SYNTHIA label (class id in R, instance '
                         f'id in G), got an array of shape {label.shape}')
    return label[:, :, 2]  # BGR(A) order: index 2 is R


@dataclass(frozen=True)
class LabelSpec:
    """How to read one dataset's labels and map them to Cityscapes train ids.

    Args:
        name (str): Dataset name, recorded in the statistics file.
        read (Callable[[str], np.ndarray]): Reads a label file into a 2-D array of dataset ids.
        id_to_train_id (Mapping[int, int]): Dataset id -> train id; known ids not listed map
            to ignore silently.
        known_ids (frozenset): All ids the dataset defines; any other id maps to ignore with an
            :class:`UnknownLabelIdWarning`.
        classes (Sequence[str]): Names of the train ids.
    """
    name: str
    read: Callable[[str], np.ndarray]
    id_to_train_id: Mapping[int, int]
    known_ids: frozenset
    classes: Sequence[str] = field(default=CITYSCAPES_CLASSES)


GTA5 = LabelSpec('gta5', read_gta5_label, GTA5_ID_TO_TRAIN_ID, GTA5_KNOWN_IDS)
SYNTHIA = LabelSpec('synthia', read_synthia_label, SYNTHIA_ID_TO_TRAIN_ID, SYNTHIA_KNOWN_IDS)


def _lookup_tables(spec: LabelSpec, dtype: np.dtype) -> Tuple[np.ndarray, np.ndarray]:
    """Train id and "is known" lookup tables covering every value of an integer ``dtype``."""
    size = np.iinfo(dtype).max + 1
    lut = np.full(size, IGNORE_INDEX, dtype=np.uint8)
    known = np.zeros(size, dtype=bool)
    for dataset_id in spec.known_ids:
        if dataset_id < size:
            known[dataset_id] = True
    for dataset_id, train_id in spec.id_to_train_id.items():
        lut[dataset_id] = train_id
    return lut, known


def map_to_train_ids(ids: np.ndarray, spec: LabelSpec,
                     path: str = '<array>') -> Tuple[np.ndarray, Dict[int, int]]:
    """Map a label map of dataset ids to Cityscapes train ids.

    Args:
        ids (np.ndarray): 2-D uint8 or uint16 array of dataset ids.
        spec (LabelSpec): The dataset's mapping.
        path (str): File the array came from, for error messages.

    Returns:
        tuple: the uint8 train-id map and ``{unknown id: pixel count}`` (empty when all known).
    """
    if ids.dtype not in (np.uint8, np.uint16):
        raise ValueError(f'{path}: expected uint8 or uint16 label ids, got dtype {ids.dtype}')
    lut, known = _lookup_tables(spec, ids.dtype)
    unknown_mask = ~known[ids]
    unknown: Dict[int, int] = {}
    if unknown_mask.any():
        values, counts = np.unique(ids[unknown_mask], return_counts=True)
        unknown = {int(v): int(c) for v, c in zip(values, counts)}
    return lut[ids], unknown


def class_pixel_counts(train_ids: np.ndarray, num_classes: int) -> List[int]:
    """Pixels of each train id ``0..num_classes-1`` in a label map (ignore not counted)."""
    return np.bincount(train_ids.ravel(), minlength=256)[:num_classes].tolist()


def new_file_mode() -> int:
    """Permissions ``open()`` would give a new file under the current umask."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a hidden temporary file in the same folder.

    A reader (or a re-run after an interruption) sees either the old file or the complete new
    one, never a partial file; the temporary file is removed if anything fails.
    """
    folder, name = osp.split(path)
    fd, tmp = tempfile.mkstemp(prefix=f'.{name}.', suffix='.tmp', dir=folder or '.')
    try:
        os.fchmod(fd, new_file_mode())  # mkstemp creates 0600; give the usual permissions
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_label_png(path: str, train_ids: np.ndarray) -> None:
    """Atomically write a single-channel uint8 label PNG."""
    ok, buf = cv2.imencode('.png', train_ids)
    if not ok:
        raise ValueError(f'{path}: OpenCV could not encode the label map as PNG')
    _write_atomic(path, buf.tobytes())


def is_up_to_date(src: str, dst: str) -> bool:
    """Whether ``dst`` exists and is at least as new as ``src``."""
    return osp.isfile(dst) and osp.getmtime(dst) >= osp.getmtime(src)


@dataclass(frozen=True)
class ConvertTask:
    """One label file to convert (picklable, for the worker processes)."""
    spec: LabelSpec
    src: str
    dst: str
    cached: Optional[dict]
    force: bool


def convert_one(task: ConvertTask) -> Tuple[str, dict, bool]:
    """Convert one label file unless its output is up to date.

    Returns:
        tuple: the output path, its statistics entry and whether it was (re)written.
    """
    num_classes = len(task.spec.classes)
    if not task.force and is_up_to_date(task.src, task.dst):
        if task.cached is not None:
            return task.dst, task.cached, False
        train_ids = cv2.imread(task.dst, cv2.IMREAD_UNCHANGED)
        if train_ids is None or train_ids.ndim != 2:
            raise ValueError(f'{task.dst}: existing output is not a single-channel label map; '
                             'delete it or run with --force')
        entry = dict(height=train_ids.shape[0], width=train_ids.shape[1],
                     pixels=class_pixel_counts(train_ids, num_classes))
        return task.dst, entry, False
    ids = task.spec.read(task.src)
    if ids.ndim != 2:
        raise ValueError(f'{task.src}: expected a 2-D label map, got shape {ids.shape}')
    train_ids, unknown = map_to_train_ids(ids, task.spec, task.src)
    write_label_png(task.dst, train_ids)
    entry = dict(height=train_ids.shape[0], width=train_ids.shape[1],
                 pixels=class_pixel_counts(train_ids, num_classes))
    if unknown:
        entry['unknown_ids'] = {str(k): v for k, v in unknown.items()}
    return task.dst, entry, True


@dataclass
class ConversionReport:
    """Outcome of :func:`convert_labels`."""
    converted: int
    skipped: int
    stats_file: str
    files_with_unknown_ids: List[str]


def list_source_labels(label_dir: str) -> List[str]:
    """Sorted raw label files (``*.png``, not already converted) in ``label_dir``."""
    if not osp.isdir(label_dir):
        raise FileNotFoundError(f'label folder {label_dir!r} does not exist')
    names = sorted(n for n in os.listdir(label_dir)
                   if n.endswith('.png') and not n.endswith(TRAIN_ID_SUFFIX))
    if not names:
        raise FileNotFoundError(f'no *.png label files in {label_dir!r}')
    return [osp.join(label_dir, n) for n in names]


def _load_cached_entries(stats_file: str, num_classes: int) -> Dict[str, dict]:
    """The well-formed per-image entries of an existing statistics file.

    An absent or unreadable file gives no entries; the outputs they would describe are then
    re-counted from the label files.
    """
    try:
        with open(stats_file) as f:
            images = json.load(f).get('images', {})
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(images, dict):
        return {}
    return {name: entry for name, entry in images.items()
            if isinstance(entry, dict) and {'height', 'width'} <= entry.keys()
            and len(entry.get('pixels', ())) == num_classes}


def build_stats(spec: LabelSpec, entries: Dict[str, dict]) -> dict:
    """The statistics file's content from per-image entries (keyed by output file name)."""
    num_classes = len(spec.classes)
    pixels = np.zeros(num_classes, dtype=np.int64)
    images = np.zeros(num_classes, dtype=np.int64)
    for entry in entries.values():
        counts = np.asarray(entry['pixels'], dtype=np.int64)
        pixels += counts
        images += counts > 0
    return dict(dataset=spec.name, classes=list(spec.classes), ignore_index=IGNORE_INDEX,
                num_images=len(entries), class_pixels=pixels.tolist(),
                class_images=images.tolist(), images=dict(sorted(entries.items())))


def convert_labels(spec: LabelSpec, label_dir: str, out_dir: Optional[str] = None,
                   nproc: int = 1, force: bool = False) -> ConversionReport:
    """Convert every raw label in ``label_dir`` to ``<name>_labelTrainIds.png`` in ``out_dir``.

    Args:
        spec (LabelSpec): The dataset (:data:`GTA5` or :data:`SYNTHIA`).
        label_dir (str): Folder of the dataset's raw label PNGs.
        out_dir (str, optional): Output folder; defaults to ``label_dir``.
        nproc (int): Worker processes (1 converts in this process).
        force (bool): Rewrite outputs even when they are up to date.

    Returns:
        ConversionReport: counts of converted / skipped files and the statistics file path.
    """
    out_dir = out_dir or label_dir
    sources = list_source_labels(label_dir)
    os.makedirs(out_dir, exist_ok=True)
    stats_file = osp.join(out_dir, STATS_FILE)
    cached = {} if force else _load_cached_entries(stats_file, len(spec.classes))
    tasks = []
    for src in sources:
        name = osp.splitext(osp.basename(src))[0] + TRAIN_ID_SUFFIX
        tasks.append(ConvertTask(spec, src, osp.join(out_dir, name), cached.get(name), force))
    if nproc > 1:
        results = track_parallel_progress(convert_one, tasks, nproc, chunksize=8)
    else:
        results = track_progress(convert_one, tasks)
    entries: Dict[str, dict] = {}
    unknown_files = []
    converted = 0
    for (dst, entry, written), task in zip(results, tasks):
        entries[osp.basename(dst)] = entry
        converted += written
        if written and 'unknown_ids' in entry:
            unknown_files.append(task.src)
            warnings.warn(f'{task.src}: ids {sorted(map(int, entry["unknown_ids"]))} are not '
                          f'{spec.name} label ids; mapped to {IGNORE_INDEX} (ignore)',
                          UnknownLabelIdWarning)
    _write_atomic(stats_file, json.dumps(build_stats(spec, entries)).encode())
    return ConversionReport(converted, len(tasks) - converted, stats_file, unknown_files)


def converter_main(spec: LabelSpec, label_subdir: str, argv: Optional[List[str]] = None) -> None:
    """Command line of a converter: ``ROOT [--out-dir DIR] [--nproc N] [--force]``.

    Args:
        spec (LabelSpec): The dataset to convert.
        label_subdir (str): Raw label folder relative to the dataset root.
        argv (list[str], optional): Arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(
        description=f'Convert {spec.name} labels to Cityscapes train ids '
        f'(<name>{TRAIN_ID_SUFFIX}) and write per-image class statistics ({STATS_FILE}).')
    parser.add_argument('root', help=f'dataset root (raw labels in ROOT/{label_subdir})')
    parser.add_argument('--out-dir', help=f'output folder (default: ROOT/{label_subdir})')
    parser.add_argument('--nproc', type=int, default=8, help='worker processes')
    parser.add_argument('--force', action='store_true',
                        help='rewrite outputs that are already up to date')
    args = parser.parse_args(argv)
    report = convert_labels(spec, osp.join(args.root, label_subdir), args.out_dir,
                            nproc=args.nproc, force=args.force)
    print(f'\n{spec.name}: converted {report.converted}, kept {report.skipped} up-to-date; '
          f'{len(report.files_with_unknown_ids)} file(s) with unknown ids; '
          f'statistics: {report.stats_file}')
