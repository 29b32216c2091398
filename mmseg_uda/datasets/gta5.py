"""GTA5 (Richter et al., "Playing for Data: Ground Truth from Computer Games", ECCV 2016)."""
from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS
from .file_checks import FileCheckMixin


@DATASETS.register_module()
class GTA5Dataset(FileCheckMixin, CityscapesDataset):
    """GTA5: 24,966 frames rendered from the game GTA V at 1914x1052, the source domain of the
    GTA5 -> Cityscapes benchmark.

    The released labels use the Cityscapes label ids; ``tools/dataset_converters/gta.py`` writes
    ``labels/<name>_labelTrainIds.png`` with the 19 Cityscapes train ids, so this dataset shares
    ``CityscapesDataset``'s classes and palette (``METAINFO``) and a model trained on it is
    evaluated on Cityscapes directly. Layout (``data_prefix`` of the dataset configs)::

        data_root/images/00001.png
        data_root/labels/00001_labelTrainIds.png

    Args:
        img_suffix (str): Image file suffix. Default: ``'.png'``.
        seg_map_suffix (str): Label file suffix. Default: ``'_labelTrainIds.png'``.
        **kwargs: ``BaseSegDataset`` arguments (``data_root``, ``data_prefix``, ``pipeline``...).
    """

    def __init__(self, img_suffix: str = '.png', seg_map_suffix: str = '_labelTrainIds.png',
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
