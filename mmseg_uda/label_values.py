"""The label-value policy and the class-set comparison of the package.

Shared by the annotation-loading transform of training and evaluation
(``mmseg_uda.datasets.LoadCheckedAnnotations``), the offline label tools
(``mmseg_uda.source_labels``) and both statistics files of the adaptations: the patch modes
(:mod:`mmseg_uda.patch_modes`) and the class sizes (:mod:`mmseg_uda.class_stats`).
"""
from typing import List, Sequence, Union

import numpy as np
import torch

ArrayLike = Union[torch.Tensor, np.ndarray]


def invalid_label_values(label: ArrayLike, num_classes: int, ignore_index: int = 255,
                         limit: int = 10) -> List[int]:
    """The values of a label map that are neither a class id in ``[0, num_classes)`` nor
    ``ignore_index``, sorted, at most ``limit`` of them (empty when the label is valid).

    The ONE label-value policy of the package: the annotation-loading transform of training and
    evaluation (``mmseg_uda.datasets.LoadCheckedAnnotations``), the offline label tools and
    :func:`~mmseg_uda.patch_modes.patch_histograms` all apply it. The valid case costs one
    reduction (``max``) for unsigned labels without ignored pixels, otherwise two element-wise
    comparisons.

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
    files (patch modes, class sizes) are compared by name, in order.

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

