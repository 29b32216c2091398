"""SYNTHIA-RAND-CITYSCAPES (Ros et al., "The SYNTHIA Dataset", CVPR 2016)."""
from typing import Tuple

from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS
from .file_checks import FileCheckMixin

#: The 16 Cityscapes classes that occur in SYNTHIA (all but terrain, truck and train): the
#: class set of the 16-class SYNTHIA -> Cityscapes mIoU.
SYNTHIA_CLASSES_16: Tuple[str, ...] = (
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign',
    'vegetation', 'sky', 'person', 'rider', 'car', 'bus', 'motorcycle', 'bicycle')
#: The 13 classes of mIoU* (Tsai et al. ICCV 2019, after AdaptSegNet): the 16 minus wall,
#: fence and pole.
SYNTHIA_CLASSES_13: Tuple[str, ...] = tuple(
    c for c in SYNTHIA_CLASSES_16 if c not in ('wall', 'fence', 'pole'))


@DATASETS.register_module()
class SynthiaDataset(FileCheckMixin, CityscapesDataset):
    """SYNTHIA-RAND-CITYSCAPES: 9,400 synthetic 1280x760 frames, the source domain of the
    SYNTHIA -> Cityscapes benchmark.

    ``tools/dataset_converters/synthia.py`` maps the SYNTHIA class ids to the 19 Cityscapes
    train ids (``GT/LABELS/<name>_labelTrainIds.png``), so the dataset keeps
    ``CityscapesDataset``'s 19 classes and a model trained on it is comparable with a
    GTA5- or Cityscapes-trained one; only 16 of them occur (:data:`SYNTHIA_CLASSES_16`: no
    terrain, truck or train). Evaluation on Cityscapes reports three numbers with
    ``ClassSubsetIoUMetric`` (``configs/_base_/datasets/synthia_to_cityscapes.py``):

    - ``mIoU``: the 19-class mean (the three absent classes score about 0);
    - ``mIoU16``: the 16-class protocol, ground truth of terrain/truck/train ignored;
    - ``mIoU13``: mIoU* of Tsai et al. (ICCV 2019), the mean over
      :data:`SYNTHIA_CLASSES_13` of the 16-class protocol's IoUs.

    Layout::

        data_root/RGB/0000000.png
        data_root/GT/LABELS/0000000_labelTrainIds.png

    Args:
        img_suffix (str): Image file suffix. Default: ``'.png'``.
        seg_map_suffix (str): Label file suffix. Default: ``'_labelTrainIds.png'``.
        **kwargs: ``BaseSegDataset`` arguments.
    """

    def __init__(self, img_suffix: str = '.png', seg_map_suffix: str = '_labelTrainIds.png',
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
