"""Oxford RobotCar in the 9-class protocol of Tsai et al. (ICCV 2019), Cityscapes -> RobotCar.

Maddern et al., "1 Year, 1000 km: The Oxford RobotCar Dataset", IJRR 2017; the semantic labels
of the rainy target sequences are those annotated by Tsai, Sohn, Schulter, Chandraker,
"Domain Adaptation for Structured Output via Discriminative Patch Representations", ICCV 2019.

Label spaces. A UDA model has one output space, shared by both domains: ``UDADataset`` refuses
source and target datasets with different classes, and the output-space discriminator compares
the same per-class probabilities on both. The Cityscapes -> RobotCar configs therefore train in
the 9 RobotCar classes: :class:`CityscapesAsRobotCarDataset` reads the Cityscapes labels through
:data:`CITYSCAPES_TO_ROBOTCAR` (MMSeg's ``label_map``, applied by ``LoadAnnotations``), so the
model's predictions are RobotCar ids and stock ``IoUMetric`` / ``tools/test.py`` evaluate them
directly. Merged classes (car, truck and bus -> automobile) are learnt as one class instead of
being merged after an arg-max over 19. :func:`cityscapes_to_robotcar` applies the same mapping
to any train-id array (e.g. to score the predictions of a 19-class Cityscapes model offline).
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from mmseg.datasets import BaseSegDataset, CityscapesDataset
from mmseg.registry import DATASETS
from .file_checks import FileCheckMixin

IGNORE_INDEX = 255
ROBOTCAR_CLASSES: Tuple[str, ...] = ('road', 'sidewalk', 'building', 'light', 'sign', 'sky',
                                     'person', 'automobile', 'two-wheel')
# The Cityscapes colours of the corresponding classes.
ROBOTCAR_PALETTE = [[128, 64, 128], [244, 35, 232], [70, 70, 70], [250, 170, 30],
                    [220, 220, 0], [70, 130, 180], [220, 20, 60], [0, 0, 142], [119, 11, 32]]

#: Cityscapes train id -> RobotCar class id. Rider -> person (the rider is annotated apart from
#: the two-wheeler it rides); car, truck, bus -> automobile; motorcycle, bicycle -> two-wheel.
#: Wall, fence, pole, vegetation, terrain and train have no RobotCar class: ignored (255).
CITYSCAPES_TO_ROBOTCAR: Dict[int, int] = {
    0: 0,  # road
    1: 1,  # sidewalk
    2: 2,  # building
    6: 3,  # traffic light -> light
    7: 4,  # traffic sign -> sign
    10: 5,  # sky
    11: 6,  # person
    12: 6,  # rider -> person
    13: 7,  # car -> automobile
    14: 7,  # truck -> automobile
    15: 7,  # bus -> automobile
    17: 8,  # motorcycle -> two-wheel
    18: 8,  # bicycle -> two-wheel
}
_NUM_CITYSCAPES_CLASSES = 19


def cityscapes_to_robotcar(train_ids: np.ndarray) -> np.ndarray:
    """Map Cityscapes train ids (0..18, 255) to RobotCar class ids (0..8, 255).

    Args:
        train_ids (np.ndarray): Integer array of Cityscapes train ids, any shape.

    Returns:
        np.ndarray: uint8 array of the same shape; ids without a RobotCar class become 255.

    Raises:
        ValueError: ``train_ids`` holds a value that is neither a train id nor 255.
    """
    train_ids = np.asarray(train_ids)
    bad = (train_ids < 0) | ((train_ids >= _NUM_CITYSCAPES_CLASSES) & (train_ids != IGNORE_INDEX))
    if bad.any():
        raise ValueError(f'cityscapes_to_robotcar: values {np.unique(train_ids[bad]).tolist()} '
                         f'are not Cityscapes train ids (0..18 or {IGNORE_INDEX})')
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    for cs_id, rc_id in CITYSCAPES_TO_ROBOTCAR.items():
        lut[cs_id] = rc_id
    return lut[train_ids]


@DATASETS.register_module()
class OxfordRobotCarDataset(FileCheckMixin, BaseSegDataset):
    """Oxford RobotCar frames with the 9-class labels of Tsai et al. (ICCV 2019).

    Labels are single-channel PNGs of the ids of :data:`ROBOTCAR_CLASSES` (0..8), 255 = not
    annotated. Layout (``docs/data_preparation.md``)::

        data_root/images/{train,val}/<name>.png
        data_root/labels/val/<name>.png

    Args:
        img_suffix (str): Image file suffix. Default: ``'.png'``.
        seg_map_suffix (str): Label file suffix. Default: ``'.png'``.
        **kwargs: ``BaseSegDataset`` arguments.
    """
    METAINFO = dict(classes=ROBOTCAR_CLASSES, palette=ROBOTCAR_PALETTE)

    def __init__(self, img_suffix: str = '.png', seg_map_suffix: str = '.png', **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)


@DATASETS.register_module()
class CityscapesAsRobotCarDataset(FileCheckMixin, CityscapesDataset):
    """Cityscapes read in the 9-class RobotCar label space: the source of Cityscapes -> RobotCar.

    Same files and layout as ``CityscapesDataset``; its ``label_map`` is
    :data:`CITYSCAPES_TO_ROBOTCAR`, which MMSeg's ``LoadAnnotations`` applies to every label,
    and its classes and palette are RobotCar's (so ``UDADataset`` pairs it with
    :class:`OxfordRobotCarDataset`).
    """
    METAINFO = OxfordRobotCarDataset.METAINFO

    @classmethod
    def get_label_map(cls, new_classes: Optional[Sequence[str]] = None) -> Dict[int, int]:
        """Cityscapes train id -> RobotCar id for all 19 train ids (unmapped ones -> 255).

        Raises:
            ValueError: ``metainfo`` asks for classes other than the 9 RobotCar classes.
        """
        if new_classes is not None and tuple(new_classes) != ROBOTCAR_CLASSES:
            raise ValueError(f'CityscapesAsRobotCarDataset: metainfo classes must be '
                             f'{ROBOTCAR_CLASSES}, got {tuple(new_classes)}')
        return {cs_id: CITYSCAPES_TO_ROBOTCAR.get(cs_id, IGNORE_INDEX)
                for cs_id in range(_NUM_CITYSCAPES_CLASSES)}
