"""Patch modes: the patch descriptor, Γ and the modes file.

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
"""
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .label_values import ArrayLike, check_label_values, check_same_classes

Pair = Union[int, Sequence[int]]

#: Keys of a patch-modes file besides ``modes``.
PATCH_MODES_METADATA = ('classes', 'num_classes', 'patch_size', 'grid', 'k', 'dataset', 'seed')
#: How a missing modes file is built (printed in the error).
BUILD_PATCH_MODES_COMMAND = 'python tools/build_patch_modes.py CONFIG --out {path}'


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


