"""Label-map statistics shared by the offline tools and training.

Patch-mode discovery of Tsai, Sohn, Schulter, Chandraker, "Domain Adaptation for Structured
Output via Discriminative Patch Representations", ICCV 2019, Sec. 3.2: every patch of a source
label map is described by the class histograms of a grid of cells (2x2 in the paper), K-means
over these descriptors gives K modes, and Γ(Y) assigns every patch of a label map to its nearest
mode. This module is the ONE implementation of the descriptor (:func:`patch_histograms`), of Γ
(:func:`assign_modes`) and of the modes file format (:func:`save_patch_modes`,
:func:`load_patch_modes`), so that ``tools/build_patch_modes.py`` and
:class:`~mmseg_uda.models.adaptation.PatchAlignment` cannot disagree.

Descriptor layout: for a patch split into ``grid = (grid_h, grid_w)`` cells, the descriptor is the
concatenation of the cells' normalised class histograms in row-major cell order (top-left,
top-right, bottom-left, bottom-right for 2x2), i.e. index ``(cell_row * grid_w + cell_col) * C +
class``; its length is ``grid_h * grid_w * num_classes``.

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
"""
import json
import os
import os.path as osp
from array import array
from dataclasses import asdict, dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

Pair = Union[int, Sequence[int]]
ArrayLike = Union[torch.Tensor, np.ndarray]

#: Keys of a patch-modes file besides ``modes``.
PATCH_MODES_METADATA = ('classes', 'num_classes', 'patch_size', 'grid', 'k', 'dataset', 'seed')
#: How a missing modes file is built (printed in the error).
BUILD_PATCH_MODES_COMMAND = 'python tools/build_patch_modes.py CONFIG --out {path}'

#: Percentiles of the class-size statistics α_c and γ_c (Hoffman et al. 2016, Sec. 3.2).
LOWER_PERCENTILE = 10.0
UPPER_PERCENTILE = 90.0
#: ``format`` field of a class-size statistics file.
CLASS_STATS_FORMAT = 'mmseg_uda.class_size_stats'
#: How a missing class-size statistics file is built (printed in the error).
COMPUTE_CLASS_STATS_COMMAND = 'python tools/compute_class_stats.py {config} --out {path}'


def to_pair(value: Pair, name: str) -> Tuple[int, int]:
    """``(v, v)`` for an int, the pair itself for a 2-sequence of positive ints.

    Raises:
        ValueError: naming ``name`` and the value when it is not one or two positive ints.
    """
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
        raise ValueError(f'{name} must be a positive int or a pair of positive ints, '
                         f'got {value!r}')
    return int(pair[0]), int(pair[1])


def invalid_label_values(label: ArrayLike, num_classes: int, ignore_index: int = 255,
                         limit: int = 10) -> List[int]:
    """The values of a label map that are neither a class id in ``[0, num_classes)`` nor
    ``ignore_index``, sorted, at most ``limit`` of them (empty when the label is valid).

    The ONE label-value policy of the package: the annotation-loading transform of training and
    evaluation (``mmseg_uda.datasets.LoadCheckedAnnotations``), the offline label tools and
    :func:`patch_histograms` all apply it. The valid case costs one reduction (``max``) for
    unsigned labels without ignored pixels, otherwise two element-wise comparisons.

    Args:
        label (Tensor | ndarray): Integer label map of any shape.
        num_classes (int): Number of classes C.
        ignore_index (int): Label of ignored pixels.
        limit (int): Most values returned.

    Returns:
        list[int]: The offending values.
    """
    if isinstance(label, torch.Tensor) and label.device.type != 'cpu':
        if label.numel() == 0 or (label.min() >= 0 and label.max() < num_classes):
            return []
        bad = (label != ignore_index) & ((label < 0) | (label >= num_classes))
        return torch.unique(label[bad])[:limit].tolist() if bad.any() else []
    # CPU tensors as numpy views: its uint8 comparisons are ~15x faster than torch's (1 thread)
    label = label.numpy() if isinstance(label, torch.Tensor) else np.asarray(label)
    if label.size == 0 or (label.max() < num_classes and (label.dtype.kind == 'u'
                                                          or label.min() >= 0)):
        return []
    bad = (label >= num_classes) & (label != ignore_index)
    if label.dtype.kind != 'u':
        bad |= (label < 0) & (label != ignore_index)
    return np.unique(label[bad])[:limit].tolist() if bad.any() else []


def check_label_values(label: ArrayLike, num_classes: int, ignore_index: int = 255,
                       where: str = 'label') -> None:
    """Raise when a label map holds values outside the class set (:func:`invalid_label_values`).

    Raises:
        ValueError: naming ``where`` (e.g. the label file), the values, C and ``ignore_index``.
    """
    bad = invalid_label_values(label, num_classes, ignore_index)
    if bad:
        raise ValueError(f'{where}: label values {bad} are neither class ids in '
                         f'[0, {num_classes}) nor ignore_index={ignore_index}')


def check_same_classes(what: str, in_file: Sequence[str], expected: Sequence[str],
                       expected_from: str, fix: str) -> None:
    """Raise when the class names stored in a file differ from the expected ones.

    Counts alone cannot tell two class sets apart (e.g. 19 reordered classes), so the statistics
    files of this module are compared by name, in order.

    Args:
        what (str): The file, as named in the message (e.g. ``"patch modes file 'x.pth'"``).
        in_file (Sequence[str]): Class names stored in the file.
        expected (Sequence[str]): Class names it must list.
        expected_from (str): Where ``expected`` comes from (e.g. ``'the source dataset'``).
        fix (str): How to fix it, appended to the message.

    Raises:
        ValueError: naming both class lists and the first position where they differ.
    """
    in_file, expected = [str(c) for c in in_file], [str(c) for c in expected]
    if in_file == expected:
        return
    first = next((i for i, (a, b) in enumerate(zip(in_file, expected)) if a != b),
                 min(len(in_file), len(expected)))
    raise ValueError(f'{what} was built for the classes {in_file}, but {expected_from} has the '
                     f'classes {expected} (first difference at index {first}); {fix}')


def patch_grid_size(image_size: Sequence[int], patch_size: Pair) -> Tuple[int, int]:
    """Number of whole patches ``(floor(H / ph), floor(W / pw))`` in an ``(H, W)`` image.

    The bottom rows and right columns that do not fill a whole patch are left out (cropped)
    everywhere in this package: in :func:`patch_histograms` and in the patch-level adaptation.

    Raises:
        ValueError: when the patch is larger than the image.
    """
    ph, pw = to_pair(patch_size, 'patch_size')
    height, width = (int(s) for s in image_size)
    if height < ph or width < pw:
        raise ValueError(f'patch_size {(ph, pw)} is larger than the image/label size '
                         f'{(height, width)}')
    return height // ph, width // pw


def _cell_of_offset(patch_len: int, cells: int, device: torch.device) -> torch.Tensor:
    """Cell index of each pixel offset ``0..patch_len-1`` inside a patch.

    Cells split a patch as ``numpy.array_split`` does: the first ``patch_len % cells`` cells are
    one pixel longer than the others. Needs ``cells <= patch_len``.
    """
    offsets = torch.arange(patch_len, device=device)
    base, extra = divmod(patch_len, cells)
    split = extra * (base + 1)
    return torch.where(offsets < split, offsets // (base + 1),
                       extra + (offsets - split) // base)


def patch_histograms(label: ArrayLike, patch_size: Pair, num_classes: int,
                     ignore_index: int = 255,
                     grid: Pair = (2, 2)) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-cell class histograms of the non-overlapping patches of label maps.

    Tsai et al., ICCV 2019, Sec. 3.2: each patch is split into ``grid`` cells and described by
    the concatenated normalised class histograms of its cells. Vectorised: one ``bincount`` over
    (image, cell row, cell column, class) indices, no loop over pixels or patches.

    Args:
        label (Tensor | ndarray): Label map(s), (N, H, W) or (H, W), integer class ids.
        patch_size (int | tuple[int, int]): Patch height and width ``(ph, pw)``. The patch grid
            is ``floor(H / ph) x floor(W / pw)``; the remaining bottom rows and right columns are
            cropped (ignored).
        num_classes (int): Number of classes C.
        ignore_index (int): Label of ignored pixels (e.g. padding); they are excluded from every
            histogram.
        grid (int | tuple[int, int]): Cells per patch ``(grid_h, grid_w)``; cells split a patch
            as ``numpy.array_split`` does when the patch is not divisible.

    Returns:
        tuple[Tensor, Tensor]: ``hist`` (N, gh, gw, grid_h * grid_w * C) float32, each cell's
        histogram summing to 1, or all zeros when the cell is all-ignore (layout: see the module
        docstring); ``valid`` (N, gh, gw) bool, False for all-ignore patches. A 2-D ``label``
        gives (gh, gw, D) and (gh, gw).

    Raises:
        ValueError: on a label value that is neither a class nor ``ignore_index``, a cell grid
            finer than the patch, or a patch larger than the label map.
    """
    label = torch.as_tensor(label)
    single = label.dim() == 2
    if single:
        label = label[None]
    if label.dim() != 3:
        raise ValueError(f'label must be (N, H, W) or (H, W), got shape {tuple(label.shape)}')
    ph, pw = to_pair(patch_size, 'patch_size')
    cells_h, cells_w = to_pair(grid, 'grid')
    if cells_h > ph or cells_w > pw:
        raise ValueError(f'grid {(cells_h, cells_w)} has more cells than pixels in a patch of '
                         f'patch_size {(ph, pw)}')
    num, height, width = label.shape
    gh, gw = patch_grid_size((height, width), (ph, pw))
    label = label[:, :gh * ph, :gw * pw]
    ignored = label == ignore_index
    check_label_values(label, num_classes, ignore_index)

    device = label.device
    bins = num_classes + 1  # the last bin collects ignored pixels and is dropped
    num_bins = num * gh * cells_h * gw * cells_w * bins
    # int32 indices halve the memory traffic; int64 only when the bin count needs it
    dtype = torch.int32 if num_bins < 2**31 else torch.int64
    rows = torch.arange(gh * ph, device=device)
    cols = torch.arange(gw * pw, device=device)
    # global cell row/column of every pixel: patch index * cells per patch + cell in the patch
    cell_row = (rows // ph) * cells_h + _cell_of_offset(ph, cells_h, device).repeat(gh)
    cell_col = (cols // pw) * cells_w + _cell_of_offset(pw, cells_w, device).repeat(gw)
    # bin offset of every pixel position (shared by all images) and of every image
    # (scaled on the 1-D vectors: one int32 pass over the pixels, not four int64 ones)
    position = ((cell_row * (gw * cells_w * bins)).to(dtype)[:, None]
                + (cell_col * bins).to(dtype)[None, :])
    image = (torch.arange(num, device=device) * (gh * cells_h * gw * cells_w * bins)).to(dtype)
    index = label.to(dtype, copy=True).masked_fill_(ignored, num_classes)
    index += position
    index += image[:, None, None]
    counts = torch.bincount(index.flatten(), minlength=num_bins)
    counts = counts.view(num, gh, cells_h, gw, cells_w, bins)[..., :num_classes]
    counts = counts.permute(0, 1, 3, 2, 4, 5).to(torch.float32)  # N, gh, gw, ch, cw, C
    totals = counts.sum(-1, keepdim=True)
    hist = (counts / totals.clamp(min=1)).flatten(3)
    valid = totals.flatten(3).sum(-1) > 0
    if single:
        return hist[0], valid[0]
    return hist, valid


def assign_modes(hist: ArrayLike, modes: ArrayLike, valid: Optional[ArrayLike] = None,
                 ignore_index: int = 255) -> torch.Tensor:
    """Γ: the nearest mode (Euclidean distance) of every patch descriptor.

    Tsai et al., ICCV 2019, Sec. 3.2. Ties go to the lower mode index.

    Args:
        hist (Tensor | ndarray): Descriptors (..., D) from :func:`patch_histograms`.
        modes (Tensor | ndarray): Mode centres (K, D).
        valid (Tensor | ndarray, optional): (...) mask; invalid patches get ``ignore_index``.
        ignore_index (int): Label of invalid patches; must not be a mode index.

    Returns:
        LongTensor: Mode indices of shape ``hist.shape[:-1]``.

    Raises:
        ValueError: when the descriptor lengths differ or ``ignore_index`` is a mode index.
    """
    hist = torch.as_tensor(hist)
    hist = hist if hist.is_floating_point() else hist.float()
    modes = torch.as_tensor(modes).to(device=hist.device, dtype=hist.dtype)
    if modes.dim() != 2 or modes.shape[1] != hist.shape[-1]:
        raise ValueError(f'modes must be (K, {hist.shape[-1]}) to match the descriptors, got '
                         f'{tuple(modes.shape)}')
    if valid is not None and 0 <= ignore_index < modes.shape[0]:
        raise ValueError(f'ignore_index={ignore_index} is a mode index for K={modes.shape[0]} '
                         'modes')
    dist = torch.cdist(hist.reshape(-1, hist.shape[-1]), modes,
                       compute_mode='donot_use_mm_for_euclid_dist')
    assigned = dist.argmin(dim=1).view(hist.shape[:-1])
    if valid is not None:
        valid = torch.as_tensor(valid, device=assigned.device, dtype=torch.bool)
        assigned = assigned.masked_fill(~valid, ignore_index)
    return assigned


def save_patch_modes(path: str, modes: torch.Tensor, classes: Sequence[str], patch_size: Pair,
                     grid: Pair, dataset: str, seed: int) -> None:
    """Write a modes file that :func:`load_patch_modes` reads.

    Args:
        path (str): Output file (``torch.save`` of a dict).
        modes (Tensor): Mode centres (K, grid_h * grid_w * len(classes)).
        classes (Sequence[str]): Class names of the source dataset, in label order.
        patch_size (int | tuple[int, int]): Patch size the descriptors were computed with.
        grid (int | tuple[int, int]): Cells per patch.
        dataset (str): Name/description of the source data the modes come from.
        seed (int): K-means seed.
    """
    patch_size, grid = to_pair(patch_size, 'patch_size'), to_pair(grid, 'grid')
    modes = torch.as_tensor(modes, dtype=torch.float32).cpu()
    expected = grid[0] * grid[1] * len(classes)
    if modes.dim() != 2 or modes.shape[1] != expected:
        raise ValueError(f'modes must be (K, {expected}) for grid {grid} and {len(classes)} '
                         f'classes, got {tuple(modes.shape)}')
    torch.save(
        dict(modes=modes, classes=list(classes), num_classes=len(classes),
             patch_size=list(patch_size), grid=list(grid), k=modes.shape[0], dataset=dataset,
             seed=int(seed)), path)


def load_patch_modes(path: str, num_classes: int, patch_size: Pair, grid: Pair = (2, 2),
                     num_modes: int = 50, classes: Optional[Sequence[str]] = None,
                     classes_from: str = 'the source dataset') -> torch.Tensor:
    """The mode centres of a modes file, checked against the configuration.

    Args:
        path (str): File written by ``tools/build_patch_modes.py`` (see
            :func:`save_patch_modes`): a dict with ``modes`` (K, D) and the metadata keys
            ``PATCH_MODES_METADATA``.
        num_classes (int): Classes of the configured segmentor.
        patch_size (int | tuple[int, int]): Configured patch size.
        grid (int | tuple[int, int]): Configured cells per patch.
        num_modes (int): Configured K.
        classes (Sequence[str], optional): Class names of the source dataset; the file must
            have been built for these classes, in this order.
        classes_from (str): Where ``classes`` come from, for the error message.

    Returns:
        Tensor: ``modes`` (K, grid_h * grid_w * num_classes), float32.

    Raises:
        FileNotFoundError: naming the command that builds the file.
        ValueError: naming the file's and the configuration's value of the first field that
            disagrees (num_classes, K, patch size, grid, class names), or an unreadable or
            malformed file.
    """
    rebuild = BUILD_PATCH_MODES_COMMAND.format(path=path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'patch modes file {path!r} does not exist; build it from the '
                                f'source dataset with `{rebuild}`')
    try:
        data = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # torch raises RuntimeError, EOFError or UnpicklingError
        raise ValueError(f'patch modes file {path!r} cannot be read ({type(err).__name__}: '
                         f'{err}); rebuild it with `{rebuild}`') from err
    if not isinstance(data, dict):
        raise ValueError(f'patch modes file {path!r} holds a {type(data).__name__}, expected a '
                         f'dict; rebuild it with `{rebuild}`')
    missing = [k for k in ('modes', ) + PATCH_MODES_METADATA if k not in data]
    if missing:
        raise ValueError(f'patch modes file {path!r} lacks the keys {missing}; rebuild it with '
                         f'`{rebuild}`')
    checks = (
        ('num_classes', int(data['num_classes']), int(num_classes)),
        ('K (num_modes)', int(data['k']), int(num_modes)),
        ('patch_size', to_pair(data['patch_size'], 'patch_size'),
         to_pair(patch_size, 'patch_size')),
        ('grid', to_pair(data['grid'], 'grid'), to_pair(grid, 'grid')),
    )
    for field, in_file, in_config in checks:
        if in_file != in_config:
            raise ValueError(f'patch modes file {path!r} was built with {field}={in_file} but the '
                             f'config has {field}={in_config}; rebuild it with `{rebuild}` or '
                             'fix the config')
    if classes is not None:
        check_same_classes(f'patch modes file {path!r}', data['classes'], classes,
                           classes_from, f'rebuild it with `{rebuild}`')
    modes = torch.as_tensor(data['modes'], dtype=torch.float32)
    grid_h, grid_w = to_pair(grid, 'grid')
    expected = (int(num_modes), grid_h * grid_w * int(num_classes))
    if tuple(modes.shape) != expected:
        raise ValueError(f'patch modes file {path!r} has modes of shape {tuple(modes.shape)}, '
                         f'expected {expected} from its metadata; rebuild it with `{rebuild}`')
    return modes


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
        """Write the statistics and metadata as JSON."""
        content = dict(format=CLASS_STATS_FORMAT, num_classes=self.num_classes, **asdict(self))
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, 'w') as f:
            json.dump(content, f, indent=1)

    @classmethod
    def load(cls, path: str, classes: Optional[Sequence[str]] = None) -> 'ClassSizeStats':
        """Read statistics written by :meth:`save`, validating them.

        Args:
            path (str): The JSON file.
            classes (Sequence[str], optional): The class set the caller trains on; a file
                for another class set is an error.

        Raises:
            FileNotFoundError: when ``path`` does not exist.
            ValueError: naming ``path``: not a statistics file, missing keys, another class
                set, inconsistent ``num_classes``, or invalid values (out of [0, 1], α > γ).
        """
        try:
            with open(path) as f:
                content = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path} is not valid JSON ({err})') from None
        if not isinstance(content, dict) or content.get('format') != CLASS_STATS_FORMAT:
            raise ValueError(f'{path} is not a class-size statistics file (format '
                             f'{content.get("format") if isinstance(content, dict) else None!r}'
                             f', expected {CLASS_STATS_FORMAT!r})')
        required = ('classes', 'alpha', 'delta', 'gamma', 'class_images', 'num_images',
                    'num_classes')
        missing = [k for k in required if k not in content]
        if missing:
            raise ValueError(f'{path} lacks the keys {missing}')
        fields = {k: content[k] for k in cls.__dataclass_fields__ if k in content}
        try:
            stats = cls(**fields)
        except (TypeError, ValueError) as err:
            raise ValueError(f'{path}: {err}') from None
        if content['num_classes'] != stats.num_classes:
            raise ValueError(f'{path}: num_classes {content["num_classes"]} does not match '
                             f'its {stats.num_classes} class names')
        if classes is not None and [str(c) for c in classes] != stats.classes:
            raise ValueError(f'{path} holds statistics for classes {stats.classes}, but the '
                             f'model uses classes {list(classes)}')
        return stats


def load_class_size_stats(path: str, num_classes: int,
                          classes: Optional[Sequence[str]] = None,
                          config: Optional[str] = None) -> ClassSizeStats:
    """Class-size statistics of a file, checked against the model's classes.

    Args:
        path (str): File written by ``tools/compute_class_stats.py`` (:meth:`ClassSizeStats.save`).
        num_classes (int): Classes of the configured segmentor.
        classes (Sequence[str], optional): Class names the file must list, in order.
        config (str, optional): Config the statistics are computed from, for the command in the
            error messages (``CONFIG`` when not given).

    Returns:
        ClassSizeStats: The validated statistics.

    Raises:
        FileNotFoundError: naming the command that computes the file.
        ValueError: naming the file and the configured and stored class counts/names, or the
            first invalid value.
    """
    command = COMPUTE_CLASS_STATS_COMMAND.format(config=config or 'CONFIG', path=path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'class-size statistics file {path!r} does not exist; compute it '
                                f'from the source dataset with `{command}`')
    try:
        stats = ClassSizeStats.load(path, classes)
    except ValueError as err:
        raise ValueError(f'{err}; recompute it with `{command}` or fix the config') from None
    if stats.num_classes != num_classes:
        raise ValueError(f'class-size statistics file {path!r} holds {stats.num_classes} classes '
                         f'{stats.classes}, but the model has num_classes={num_classes}; '
                         f'recompute it with `{command}` or fix the config')
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
