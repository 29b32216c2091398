"""Class sizes: the α, δ, γ statistics of the constrained MIL loss and their file.

Class-size statistics of Hoffman, Wang, Yu, Darrell, "FCNs in the Wild", 2016, Sec. 3.2: for
each class c, over the source images that contain c, the per-image pixel fraction's lower 10 %
boundary α_c (10th percentile), mean δ_c and upper 10 % boundary γ_c (90th percentile). On a
target image c is taken as present when its predicted fraction exceeds 0.1·α_c, and present
classes are constrained to δ_c ≤ fraction ≤ γ_c (``mmseg_uda.models.losses.constrained_mil``).
This module is the ONE implementation of these statistics (:func:`class_size_stats`, the
streaming :class:`ClassSizeAccumulator`) and of their file format (:class:`ClassSizeStats`,
:func:`load_class_size_stats`), used by ``tools/compute_class_stats.py`` and
:class:`~mmseg_uda.models.adaptation.CategoryAdaptation`.

A class's fraction in an image is its pixel count over all the image's pixels (height·width,
ignored pixels included), as in the converters' ``label_stats.json``
(``mmseg_uda.datasets.convert``). Classes that occur in no image get the neutral statistics
α = δ = 0, γ = 1 (no constraint) and a zero ``class_images`` count.

Note that δ_c need not lie between α_c and γ_c: the mean of a skewed sample can fall below its
10th or above its 90th percentile (e.g. one image at 1.0 and nineteen at 0.01 give
γ = 0.01 < δ ≈ 0.06). Only α_c ≤ γ_c is an invariant; the loss's slack on the lower bound
handles δ_c > γ_c.

The file is validated in one place, :func:`load_class_size_stats`; the values themselves are
checked where a :class:`ClassSizeStats` is made (:meth:`ClassSizeStats.__post_init__`), so
computed and loaded statistics obey the same rules.
"""
import json
import os
import os.path as osp
from array import array
from dataclasses import asdict, dataclass
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
import torch

from .label_values import ArrayLike, check_label_values

#: Percentiles of the class-size statistics α_c and γ_c (Hoffman et al. 2016, Sec. 3.2).
LOWER_PERCENTILE = 10.0
UPPER_PERCENTILE = 90.0
#: ``format`` field of a class-size statistics file.
CLASS_STATS_FORMAT = 'mmseg_uda.class_size_stats'
#: How a missing class-size statistics file is built (printed in the error).
COMPUTE_CLASS_STATS_COMMAND = 'python tools/compute_class_stats.py {config} --out {path}'


def class_size_stats(fractions_per_class: Sequence[ArrayLike]) -> Dict[str, np.ndarray]:
    """α (10th percentile), δ (mean) and γ (90th percentile) of each class's pixel fractions.

    Args:
        fractions_per_class (Sequence): For each class, the 1-D pixel fractions (in [0, 1]) of
            the images that contain it; an empty sequence for a class that occurs nowhere.

    Returns:
        dict: ``alpha``, ``delta``, ``gamma``, each a float64 array of length C (neutral
        0, 0, 1 for empty classes).
    """
    num_classes = len(fractions_per_class)
    alpha, delta, gamma = np.zeros(num_classes), np.zeros(num_classes), np.ones(num_classes)
    for c, fractions in enumerate(fractions_per_class):
        values = np.asarray(fractions, dtype=np.float64).ravel()
        if values.size == 0:
            continue
        if not np.all((values > 0) & (values <= 1)):
            bad = values[~((values > 0) & (values <= 1))][0]
            raise ValueError(f'class {c}: pixel fractions must be in (0, 1] (images containing '
                             f'the class), got {bad}')
        alpha[c], gamma[c] = np.percentile(values, [LOWER_PERCENTILE, UPPER_PERCENTILE])
        delta[c] = values.mean()
    return dict(alpha=alpha, delta=delta, gamma=gamma)


@dataclass
class ClassSizeStats:
    """Validated class-size statistics with the metadata of the data they come from.

    Args:
        classes (list[str]): Class names, in train-id order.
        alpha (list[float]): Lower 10 % boundary α_c of each class's pixel fraction.
        delta (list[float]): Mean δ_c.
        gamma (list[float]): Upper 10 % boundary γ_c.
        class_images (list[int]): Number of images containing each class.
        num_images (int): Number of label maps accumulated.
        ignore_index (int): Label value that is no class.
        dataset (str): Name of the source dataset.
        config (str): Config the statistics were computed from (empty when unknown).
    """

    classes: List[str]
    alpha: List[float]
    delta: List[float]
    gamma: List[float]
    class_images: List[int]
    num_images: int
    ignore_index: int = 255
    dataset: str = ''
    config: str = ''

    def __post_init__(self) -> None:
        self.classes = [str(c) for c in self.classes]
        num_classes = len(self.classes)
        for name in ('alpha', 'delta', 'gamma', 'class_images'):
            values = list(getattr(self, name))
            if len(values) != num_classes:
                raise ValueError(f'{name} has {len(values)} values for {num_classes} classes')
            setattr(self, name, values)
        for name in ('alpha', 'delta', 'gamma'):
            for cls, value in zip(self.classes, getattr(self, name)):
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f'{name} of class {cls!r} must be in [0, 1], got {value}')
        for cls, a, g in zip(self.classes, self.alpha, self.gamma):
            if a > g:
                raise ValueError(f'class {cls!r}: alpha (10th percentile) {a} exceeds gamma '
                                 f'(90th percentile) {g}')
        if any(n < 0 or n > self.num_images for n in self.class_images):
            raise ValueError(f'class_images {self.class_images} must lie in [0, num_images='
                             f'{self.num_images}]')

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def tensors(self, device: Optional[torch.device] = None) -> Dict[str, torch.Tensor]:
        """α, δ, γ as float32 tensors (the arguments of ``constrained_mil_loss``)."""
        return {
            name: torch.tensor(getattr(self, name), dtype=torch.float32, device=device)
            for name in ('alpha', 'delta', 'gamma')
        }

    def save(self, path: str) -> None:
        """Write the statistics and metadata as JSON (read by :func:`load_class_size_stats`)."""
        content = dict(format=CLASS_STATS_FORMAT, num_classes=self.num_classes, **asdict(self))
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, 'w') as f:
            json.dump(content, f, indent=1)


def load_class_size_stats(path: str, num_classes: Optional[int] = None,
                          classes: Optional[Sequence[str]] = None,
                          config: Optional[str] = None) -> ClassSizeStats:
    """Read and validate a class-size statistics file, checked against the model's classes.

    The one reader of the format :meth:`ClassSizeStats.save` writes: the file must exist, be
    JSON of that ``format`` with every key, hold valid values (:class:`ClassSizeStats`), a
    ``num_classes`` equal to its number of class names, and the caller's classes.

    Args:
        path (str): File written by ``tools/compute_class_stats.py`` (:meth:`ClassSizeStats.save`).
        num_classes (int, optional): Classes of the configured segmentor.
        classes (Sequence[str], optional): Class names the file must list, in order.
        config (str, optional): Config the statistics are computed from, for the command in the
            error messages (``CONFIG`` when not given).

    Returns:
        ClassSizeStats: The validated statistics.

    Raises:
        FileNotFoundError: naming the command that computes the file.
        ValueError: naming the file and what is wrong with it (not a statistics file, missing
            keys, the first invalid value, another class set or class count), and the command
            that recomputes it.
    """
    command = COMPUTE_CLASS_STATS_COMMAND.format(config=config or 'CONFIG', path=path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'class-size statistics file {path!r} does not exist; compute it '
                                f'from the source dataset with `{command}`')
    fix = f'; recompute it with `{command}` or fix the config'
    try:
        with open(path) as f:
            content = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{path} is not valid JSON ({err}){fix}') from None
    if not isinstance(content, dict) or content.get('format') != CLASS_STATS_FORMAT:
        raise ValueError(f'{path} is not a class-size statistics file (format '
                         f'{content.get("format") if isinstance(content, dict) else None!r}'
                         f', expected {CLASS_STATS_FORMAT!r}){fix}')
    required = ('classes', 'alpha', 'delta', 'gamma', 'class_images', 'num_images',
                'num_classes')
    missing = [k for k in required if k not in content]
    if missing:
        raise ValueError(f'{path} lacks the keys {missing}{fix}')
    fields = {k: content[k] for k in ClassSizeStats.__dataclass_fields__ if k in content}
    try:
        stats = ClassSizeStats(**fields)
    except (TypeError, ValueError) as err:
        raise ValueError(f'{path}: {err}{fix}') from None
    if content['num_classes'] != stats.num_classes:
        raise ValueError(f'{path}: num_classes {content["num_classes"]} does not match '
                         f'its {stats.num_classes} class names{fix}')
    if classes is not None and [str(c) for c in classes] != stats.classes:
        raise ValueError(f'{path} holds statistics for classes {stats.classes}, but the '
                         f'model uses classes {list(classes)}{fix}')
    if num_classes is not None and stats.num_classes != num_classes:
        raise ValueError(f'class-size statistics file {path!r} holds {stats.num_classes} classes '
                         f'{stats.classes}, but the model has num_classes={num_classes}{fix}')
    return stats


class ClassSizeAccumulator:
    """Streaming collection of per-image class pixel fractions.

    Label maps are added one at a time; only the fraction of each class present in an image is
    kept (one float per (image, present class)).

    Args:
        classes (Sequence[str]): Class names; label values ``0..C-1`` are the classes.
        ignore_index (int): Label value that is no class (counts in the image size only).
        dataset (str): Name of the dataset, kept as metadata.
    """

    def __init__(self, classes: Sequence[str], ignore_index: int = 255,
                 dataset: str = '') -> None:
        if not classes:
            raise ValueError('classes must not be empty')
        self.classes = [str(c) for c in classes]
        self.ignore_index = ignore_index
        self.dataset = dataset
        self.num_images = 0
        self._fractions = [array('d') for _ in self.classes]

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def update(self, label: ArrayLike) -> None:
        """Add one label map (H, W) of train ids (``ignore_index`` counts in the image size).

        Raises:
            ValueError: on a value that is neither a class id nor ``ignore_index``
                (:func:`check_label_values`).
        """
        label = torch.as_tensor(np.asarray(label) if not isinstance(label, torch.Tensor)
                                else label)
        if label.dim() == 3 and label.shape[0] == 1:
            label = label[0]
        if label.dim() != 2:
            raise ValueError(f'a label map must be (H, W) or (1, H, W), got {tuple(label.shape)}')
        check_label_values(label, self.num_classes, self.ignore_index)
        flat = label.reshape(-1).long()
        counts = torch.bincount(flat[flat != self.ignore_index], minlength=self.num_classes)
        self.update_counts(counts.tolist(), flat.numel())

    def update_counts(self, pixels: Sequence[int], num_pixels: int) -> None:
        """Add one image given its per-class pixel counts and total pixel count."""
        if len(pixels) != self.num_classes:
            raise ValueError(f'got {len(pixels)} class pixel counts for {self.num_classes} '
                             'classes')
        if num_pixels <= 0 or sum(pixels) > num_pixels:
            raise ValueError(f'num_pixels {num_pixels} must be positive and at least the '
                             f'class pixels {sum(pixels)}')
        for c, count in enumerate(pixels):
            if count > 0:
                self._fractions[c].append(count / num_pixels)
        self.num_images += 1

    @classmethod
    def from_label_stats(cls, label_stats: Mapping) -> 'ClassSizeAccumulator':
        """The fractions of a converter's ``label_stats.json`` content (no image re-read)."""
        acc = cls(label_stats['classes'], label_stats.get('ignore_index', 255),
                  label_stats.get('dataset', ''))
        for _, entry in sorted(label_stats['images'].items()):
            acc.update_counts(entry['pixels'], entry['height'] * entry['width'])
        return acc

    def fractions(self) -> List[np.ndarray]:
        """Per class, the fractions of the images containing it."""
        return [np.frombuffer(values, dtype=np.float64) if len(values) else np.zeros(0)
                for values in self._fractions]

    def compute(self) -> ClassSizeStats:
        """The statistics of the images added so far."""
        fractions = self.fractions()
        stats = class_size_stats(fractions)
        return ClassSizeStats(
            classes=self.classes, alpha=stats['alpha'].tolist(), delta=stats['delta'].tolist(),
            gamma=stats['gamma'].tolist(), class_images=[len(f) for f in fractions],
            num_images=self.num_images, ignore_index=self.ignore_index, dataset=self.dataset)
