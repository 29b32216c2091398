"""Class-balanced pseudo labels for offline self-training (CBST), and their folder on disk.

Zou, Yu, Kumar, Wang, "Unsupervised Domain Adaptation for Semantic Segmentation via
Class-Balanced Self-Training", ECCV 2018 (Tsai et al. ICCV 2019's reference [50]); public code
github.com/yzou2/CBST, ``issegm/solve_ST.py``. This module is the one implementation of

- the per-class confidence thresholds at a portion p (:class:`ClassConfidences`),
- the pseudo-label assignment under those thresholds (:func:`assign_pseudo_labels`),
- where the pseudo label of a target image lives (:func:`pseudo_label_path`), the folder's
  manifest, and the check that a folder matches a target dataset
  (:func:`check_pseudo_label_folder`),

used by ``tools/generate_pseudo_labels.py`` (writing) and :class:`~mmseg_uda.datasets.UDADataset`
(``target_pseudo_labels``, reading).
"""
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

#: Name of the manifest file the pseudo-label tool writes into its output folder.
MANIFEST = 'pseudo_labels.json'
#: Suffix of the pseudo-label files (one single-channel PNG per target image).
PSEUDO_LABEL_SUFFIX = '.png'
#: Command that writes a pseudo-label folder, quoted in error messages.
TOOL = 'tools/generate_pseudo_labels.py CONFIG CHECKPOINT --out DIR'


class ClassConfidences:
    """Per-class confidences of a target set's predictions, and CBST's thresholds on them.

    For every pixel the prediction's maximum probability is filed under its arg-max class
    (CBST: "save confidence scores of target domain as class-wise vectors"). CBST keeps every
    4th such value of each class in each image (``stride=4``) to bound memory; ``stride=1``
    keeps all. Values are stored as float32.

    Args:
        num_classes (int): Number of classes C.
        stride (int): Keep every ``stride``-th confidence of each class in each image.
    """

    def __init__(self, num_classes: int, stride: int = 4) -> None:
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        if stride < 1:
            raise ValueError(f'stride must be >= 1, got {stride}')
        self.num_classes = num_classes
        self.stride = stride
        self._values: List[List[np.ndarray]] = [[] for _ in range(num_classes)]
        #: Pixels predicted as each class (all of them, not only the kept ones).
        self.predicted = np.zeros(num_classes, dtype=np.int64)

    def update(self, probs: np.ndarray) -> None:
        """Add one image's class probabilities (C, H, W)."""
        probs = np.asarray(probs)
        if probs.ndim != 3 or probs.shape[0] != self.num_classes:
            raise ValueError(f'probabilities must be ({self.num_classes}, H, W), got '
                             f'{probs.shape}')
        pred = probs.argmax(0).ravel()
        conf = probs.max(0).ravel().astype(np.float32)
        for c in range(self.num_classes):
            values = conf[pred == c]
            self.predicted[c] += values.size
            if values.size:
                self._values[c].append(values[::self.stride])

    def thresholds(self, portion: float) -> np.ndarray:
        """CBST's class-wise thresholds at ``portion`` p.

        For class c the kept confidences are sorted in descending order and the threshold is
        the value at rank ``floor(N_c * p)`` from the top (1-based; ``solve_ST.py``:
        ``cls_thresh[c] = sorted(conf_c, reverse=True)[floor(len * p) - 1]``), so a portion p of
        the pixels predicted as c reach it. A class with ``floor(N_c * p) = 0`` (never
        predicted, or too rarely) gets 1.0, as in CBST (``cls_thresh[cls_thresh == 0] = 1``):
        only a probability of exactly 1 passes. CBST's stored vectors start with a spurious 0
        (``np.float32(0)`` appended to); ours do not.

        Args:
            portion (float): p in (0, 1].

        Returns:
            ndarray: (C,) float thresholds.
        """
        if not 0.0 < portion <= 1.0:
            raise ValueError(f'portion must be in (0, 1], got {portion}')
        out = np.ones(self.num_classes, dtype=np.float64)
        for c, chunks in enumerate(self._values):
            if not chunks:
                continue
            values = np.sort(np.concatenate(chunks))[::-1]
            rank = int(math.floor(values.size * portion))
            if rank > 0:
                out[c] = float(values[rank - 1])
        return out


def assign_pseudo_labels(probs: np.ndarray, thresholds: Sequence[float],
                         ignore_index: int = 255) -> np.ndarray:
    """CBST's pseudo label of one image under class-wise thresholds.

    Each class's probability is divided by its threshold; the label is the arg-max of the
    reweighted map, kept where the reweighted maximum is at least 1 and ``ignore_index``
    elsewhere (``solve_ST.py``: ``rw_probmap[c] = probmap[c] / cls_thresh[c]``,
    ``idx_unconfid = rw_probmap_max < 1``). The reweighted arg-max can differ from the plain
    one: a rare class with a low threshold wins over a frequent class with a high one.

    Args:
        probs (ndarray): Class probabilities (C, H, W).
        thresholds (Sequence[float]): (C,) thresholds in (0, 1], see
            :meth:`ClassConfidences.thresholds`.
        ignore_index (int): Label of the pixels left out.

    Returns:
        ndarray: (H, W) uint8 pseudo labels.
    """
    probs = np.asarray(probs, dtype=np.float64)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if probs.ndim != 3 or thresholds.shape != (probs.shape[0], ):
        raise ValueError(f'probabilities (C, H, W) {probs.shape} and thresholds (C,) '
                         f'{thresholds.shape} do not match')
    if (thresholds <= 0).any():
        raise ValueError(f'thresholds must be > 0, got {thresholds.tolist()}')
    if probs.shape[0] > ignore_index:
        raise ValueError(f'{probs.shape[0]} classes do not fit below ignore_index={ignore_index}')
    reweighted = probs / thresholds[:, None, None]
    labels = reweighted.argmax(0).astype(np.uint8)
    labels[reweighted.max(0) < 1] = ignore_index
    return labels


def pseudo_label_path(folder: str, img_path: str, img_dir: str, img_suffix: str) -> str:
    """Where the pseudo label of a target image lives.

    The image's path relative to the dataset's image folder, its ``img_suffix`` replaced by
    ``.png``: the file MMSeg's ``BaseSegDataset`` looks for when the dataset is built with
    ``data_prefix.seg_map_path=folder`` and ``seg_map_suffix='.png'`` (what
    ``UDADataset(target_pseudo_labels=folder)`` does).
    """
    rel = osp.relpath(img_path, img_dir)
    if not rel.endswith(img_suffix):
        raise ValueError(f'image {img_path!r} does not end with img_suffix {img_suffix!r}')
    return osp.join(folder, rel[:len(rel) - len(img_suffix)] + PSEUDO_LABEL_SUFFIX)


def write_manifest(folder: str, content: Dict[str, object]) -> str:
    """Write the folder's manifest (classes, portion, thresholds, provenance); its path."""
    path = osp.join(folder, MANIFEST)
    with open(path, 'w') as f:
        json.dump(content, f, indent=2)
    return path


def read_manifest(folder: str) -> Dict[str, object]:
    """The folder's manifest; an error naming the folder and the tool when there is none."""
    path = osp.join(folder, MANIFEST)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'pseudo-label folder {folder!r} does not exist; write it '
                                f'with {TOOL}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'pseudo-label folder {folder!r} has no {MANIFEST}: not '
                                f'written by {TOOL}')
    with open(path) as f:
        content = json.load(f)
    if 'classes' not in content:
        raise ValueError(f'{path} lists no classes: not written by {TOOL}')
    return content


def _png_files(folder: str) -> List[str]:
    """Every ``.png`` under ``folder`` (recursively), sorted."""
    found = []
    for root, _, files in os.walk(folder):
        found += [osp.join(root, f) for f in files if f.endswith(PSEUDO_LABEL_SUFFIX)]
    return sorted(found)


def check_pseudo_label_folder(folder: str, classes: Sequence[str],
                              pairs: Sequence[tuple]) -> None:
    """Raise unless ``folder`` holds exactly one pseudo label of the right size per image.

    Checked, each error naming the first mismatch: the manifest's classes are the dataset's
    (names, in order); every image has its pseudo label; the folder holds no other label file;
    every pseudo label has its image's size (read from the PNG headers, nothing is decoded).
    Label values are checked as each label loads (``LoadCheckedAnnotations``).

    Args:
        folder (str): The pseudo-label folder.
        classes (Sequence[str]): The target dataset's classes.
        pairs (Sequence[tuple]): ``(img_path, seg_map_path)`` of every target image.
    """
    manifest = read_manifest(folder)
    written = [str(c) for c in manifest['classes']]
    expected = [str(c) for c in classes]
    if written != expected:
        diff = next((i for i, (a, b) in enumerate(zip(written, expected)) if a != b),
                    min(len(written), len(expected)))
        raise ValueError(f'pseudo-label folder {folder!r} was written for {len(written)} classes '
                         f'{written} but the target dataset has {len(expected)} classes '
                         f'{expected} (first difference at index {diff})')
    wanted = {osp.normpath(seg) for _, seg in pairs}
    for img_path, seg in pairs:
        if not osp.isfile(seg):
            raise FileNotFoundError(f'pseudo-label folder {folder!r} has no label for target '
                                    f'image {img_path!r}: {seg!r} does not exist')
    extra = [p for p in _png_files(folder) if osp.normpath(p) not in wanted]
    if extra:
        raise ValueError(f'pseudo-label folder {folder!r} holds {len(extra)} labels of no '
                         f'target image, e.g. {extra[0]!r}: it was written for another '
                         'target set')
    for img_path, seg in pairs:
        with Image.open(img_path) as img, Image.open(seg) as label:
            if img.size != label.size:
                raise ValueError(f'pseudo label {seg!r} is {label.size[1]}x{label.size[0]} '
                                 f'(HxW) but its image {img_path!r} is '
                                 f'{img.size[1]}x{img.size[0]}')


def summary_rows(classes: Sequence[str], thresholds: Sequence[float],
                 predicted: Sequence[int], kept: Sequence[int]) -> List[Dict[str, object]]:
    """One row per class: threshold, pixels predicted as the class (arg-max), pixels labelled
    with it. The reweighted arg-max of :func:`assign_pseudo_labels` can give a rare class
    pixels predicted as another one, so ``kept`` is not bounded by ``predicted``."""
    return [
        dict(name=str(name), threshold=float(t), predicted=int(p), kept=int(k))
        for name, t, p, k in zip(classes, thresholds, predicted, kept)
    ]


def summary_table(rows: Sequence[Dict[str, object]], ignored: Optional[int] = None) -> str:
    """The per-class summary as a plain-text table (and the ignored pixel count)."""
    width = max(len('class'), *(len(str(r['name'])) for r in rows))
    lines = [f'{"class":<{width}}  {"threshold":>9}  {"predicted":>12}  {"kept":>12}  '
             f'{"kept %":>7}']
    for r in rows:
        share = 100.0 * r['kept'] / r['predicted'] if r['predicted'] else 0.0
        lines.append(f'{r["name"]:<{width}}  {r["threshold"]:>9.4f}  {r["predicted"]:>12d}  '
                     f'{r["kept"]:>12d}  {share:>6.1f}%')
    if ignored is not None:
        lines.append(f'ignored (255): {ignored} pixels')
    return '\n'.join(lines)
