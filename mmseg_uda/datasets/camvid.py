"""CamVid (Brostow et al., "Semantic object classes in video: A high-definition ground truth
database", Pattern Recognition Letters 2009), 11-class SegNet version."""
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS
from .file_checks import FileCheckMixin


@DATASETS.register_module()
class CamVidDataset(FileCheckMixin, BaseSegDataset):
    """CamVid with the 11 classes of the SegNet tutorial release (255 = "Unlabelled").

    Used for the day -> dusk benchmark (``configs/_base_/datasets/camvid_day_to_dusk.py``): day
    sequences 0006R0 and 0016E5 as labelled source, dusk sequence 0001TP as target. Images and
    labels are PNGs with the same file name::

        data_root/{source,target}/img/{train,val,test}/<seq>_<frame>.png
        data_root/{source,target}/ann/{train,val,test}/<seq>_<frame>.png

    Args:
        img_suffix (str): Image file suffix. Default: ``'.png'``.
        seg_map_suffix (str): Label file suffix. Default: ``'.png'``.
        **kwargs: ``BaseSegDataset`` arguments.
    """
    METAINFO = dict(
        classes=('sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign_symbol', 'fence',
                 'car', 'pedestrian', 'bicyclist'),
        palette=[[128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128], [60, 40, 222],
                 [128, 128, 0], [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0],
                 [0, 128, 192]])

    def __init__(self, img_suffix: str = '.png', seg_map_suffix: str = '.png', **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
