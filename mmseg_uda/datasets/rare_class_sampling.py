"""Rare-class sampling (RCS) of DAFormer (Hoyer, Dai, Van Gool, CVPR 2022, Sec. 3.3).

Source images are drawn so that rare classes are seen more often: a class c is drawn with
probability ``softmax((1 - f_c) / T)`` over the classes present in the source set (``f_c`` its
share of all labelled source pixels, T the temperature), then an image among those holding more
than ``min_pixels`` pixels of c, then its pipeline (random crop) is re-run until the crop holds
more than ``min_pixels * min_crop_ratio`` pixels of c (at most 10 re-draws, the last kept), as
DAFormer's ``mmseg/datasets/uda_dataset.py`` (``get_rcs_class_probs``,
``get_rare_class_sample``).

The per-image class pixel counts come from a ``label_stats.json`` in the format the dataset
converters write (``mmseg_uda.datasets.convert``; ``tools/compute_label_stats.py`` writes one
for any config's source set). DAFormer's ``sample_class_stats.json`` holds the same counts, of
the converted label files at their stored resolution.
"""
import json
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np

#: Re-draws of the crop at most (DAFormer: 10); the last one is kept.
CROP_TRIES = 10
#: How a missing statistics file is built (printed in the error).
LABEL_STATS_COMMAND = 'python tools/compute_label_stats.py {config} --out {path}'


def rcs_class_probabilities(class_pixels: Sequence[int],
                            temperature: float) -> Tuple[List[int], np.ndarray]:
    """DAFormer's ``get_rcs_class_probs``: the classes present and their probabilities.

    Args:
        class_pixels: Labelled pixels of each class over the source set.
        temperature: T > 0; smaller T favours the rarest classes more (DAFormer: 0.01).

    Returns:
        tuple[list[int], ndarray]: The classes with at least one pixel, in increasing order of
        pixels (DAFormer's order), and ``softmax((1 - f) / T)`` over them (float64).
    """
    if not temperature > 0:
        raise ValueError(f'rare-class sampling class_temp must be > 0, got {temperature!r}')
    present = sorted((n, c) for c, n in enumerate(class_pixels) if n > 0)
    if not present:
        raise ValueError('rare-class sampling: no class has any labelled pixel')
    counts = np.array([n for n, _ in present], dtype=np.float64)
    logits = (1.0 - counts / counts.sum()) / temperature
    probs = np.exp(logits - logits.max())
    return [c for _, c in present], probs / probs.sum()


class RareClassSampler:
    """The class and source image draws of rare-class sampling.

    Args:
        stats_file: A ``label_stats.json`` of the source set (see the module docstring).
        classes: The source dataset's class names, in order.
        seg_map_paths: The source dataset's label files, by sample index.
        class_temp: T of :func:`rcs_class_probabilities`.
        min_pixels: An image is drawn for class c only if it holds more than this many
            pixels of c (DAFormer: 3000).
        min_crop_ratio: The crop is re-drawn until it holds more than
            ``min_pixels * min_crop_ratio`` pixels of c (DAFormer: 0.5); 0 keeps the first.

    Raises:
        FileNotFoundError: The statistics file is missing (naming the command that builds it).
        ValueError: Its classes are not the dataset's (naming both), a file it counts is not in
            the dataset or a dataset label file is not in it (naming the first), or a class
            present in the counts has no image above ``min_pixels``.
    """

    def __init__(self, stats_file: str, classes: Sequence[str], seg_map_paths: Sequence[str],
                 class_temp: float = 0.01, min_pixels: int = 3000,
                 min_crop_ratio: float = 0.5) -> None:
        if not osp.isfile(stats_file):
            raise FileNotFoundError(
                f'rare-class sampling: statistics file {stats_file!r} does not exist; write it '
                'with `' + LABEL_STATS_COMMAND.format(config='CONFIG', path=stats_file) +
                '` (or use the label_stats.json of tools/dataset_converters/)')
        if min_pixels < 0 or min_crop_ratio < 0:
            raise ValueError('rare-class sampling min_pixels and min_crop_ratio must be >= 0, '
                             f'got {min_pixels} and {min_crop_ratio}')
        with open(stats_file) as f:
            stats = json.load(f)
        for key in ('classes', 'images'):
            if key not in stats:
                raise ValueError(f'{stats_file} has no {key!r}: not a label_stats.json')
        classes = [str(c) for c in classes]
        if [str(c) for c in stats['classes']] != classes:
            raise ValueError(f'rare-class sampling: {stats_file} counts the classes '
                             f'{stats["classes"]} (dataset {stats.get("dataset")!r}), but the '
                             f'source dataset has the classes {classes}')
        by_name = {osp.basename(p): i for i, p in enumerate(seg_map_paths)}
        images: Dict[str, dict] = stats['images']
        unknown = sorted(set(images) - set(by_name))
        if unknown:
            raise ValueError(f'rare-class sampling: {stats_file} counts {unknown[0]!r}, which is '
                             f'not a label file of the source dataset ({len(unknown)} such '
                             'files): the statistics are of another dataset or split')
        missing = sorted(set(by_name) - set(images))
        if missing:
            raise ValueError(f'rare-class sampling: the source label {missing[0]!r} is not in '
                             f'{stats_file} ({len(missing)} such files): rebuild the statistics')
        totals = np.zeros(len(classes), dtype=np.int64)
        for name, entry in images.items():
            pixels = entry.get('pixels', ())
            if len(pixels) != len(classes):
                raise ValueError(f'{stats_file}: {name!r} has {len(pixels)} class counts, '
                                 f'expected {len(classes)}')
            totals += np.asarray(pixels, dtype=np.int64)
        self.classes, self.probs = rcs_class_probabilities(totals.tolist(), class_temp)
        self.samples_with_class: Dict[int, List[int]] = {}
        for c in self.classes:
            indices = sorted(by_name[name] for name, entry in images.items()
                             if entry['pixels'][c] > min_pixels)
            if not indices:
                raise ValueError(f'rare-class sampling: no source image holds more than '
                                 f'min_pixels={min_pixels} pixels of class {classes[c]!r} '
                                 f'({stats_file}); lower min_pixels')
            self.samples_with_class[c] = indices
        self.min_pixels = min_pixels
        self.min_crop_ratio = min_crop_ratio

    def draw(self) -> Tuple[int, int]:
        """A class and a source sample index holding it (numpy's global generator)."""
        c = int(np.random.choice(self.classes, p=self.probs))
        return c, int(np.random.choice(self.samples_with_class[c]))

    def enough(self, label: np.ndarray, c: int) -> bool:
        """Whether a crop's label holds enough pixels of ``c`` to stop re-drawing it."""
        return self.min_crop_ratio <= 0 or int((label == c).sum()) > \
            self.min_pixels * self.min_crop_ratio
