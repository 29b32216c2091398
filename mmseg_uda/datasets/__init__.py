from .camvid import CamVidDataset
from .fda import FourierDomainAdaptation, fda_source_to_target
from .gta5 import GTA5Dataset
from .robotcar import (CITYSCAPES_TO_ROBOTCAR, CityscapesAsRobotCarDataset, OxfordRobotCarDataset,
                       cityscapes_to_robotcar)
from .synthia import SYNTHIA_CLASSES_13, SYNTHIA_CLASSES_16, SynthiaDataset
from .transforms import LoadCheckedAnnotations, bind_label_checks
from .translated import LoadTranslatedImage, TranslatedSourceDataset
from .uda_dataset import UDADataset, UDAIndex
from .warmup_sampler import UDAWarmupBatchSampler

__all__ = [
    'UDADataset', 'UDAIndex', 'UDAWarmupBatchSampler', 'CamVidDataset', 'GTA5Dataset',
    'SynthiaDataset', 'OxfordRobotCarDataset',
    'CityscapesAsRobotCarDataset', 'cityscapes_to_robotcar', 'CITYSCAPES_TO_ROBOTCAR',
    'SYNTHIA_CLASSES_16', 'SYNTHIA_CLASSES_13', 'LoadCheckedAnnotations', 'bind_label_checks',
    'FourierDomainAdaptation', 'fda_source_to_target', 'TranslatedSourceDataset',
    'LoadTranslatedImage'
]
