from .base_adaptation import SEGMENTOR_OUTPUTS, BaseAdaptation
from .category_adaptation import CategoryAdaptation
from .dacs import DACS
from .ema_teacher import EMATeacher
from .feature_distance import ImageNetFeatureDistance
from .global_alignment import GlobalFeatureAlignment
from .masked_consistency import MaskedImageConsistency
from .output_space import OutputSpaceAdaptation
from .patch_alignment import PatchAlignment
from .patch_cluster_head import PatchClusterHead
from .self_training import (AdversarialSelfTraining, ConfidenceDiscriminator,
                            PseudoLabelTraining)

__all__ = [
    'SEGMENTOR_OUTPUTS', 'BaseAdaptation', 'CategoryAdaptation', 'DACS', 'EMATeacher',
    'GlobalFeatureAlignment', 'ImageNetFeatureDistance', 'MaskedImageConsistency',
    'OutputSpaceAdaptation', 'PatchAlignment', 'PatchClusterHead', 'AdversarialSelfTraining',
    'ConfidenceDiscriminator', 'PseudoLabelTraining'
]
