from .base_adaptation import SEGMENTOR_OUTPUTS, BaseAdaptation
from .global_alignment import GlobalFeatureAlignment
from .output_space import OutputSpaceAdaptation
from .patch_alignment import PatchAlignment
from .patch_cluster_head import PatchClusterHead

__all__ = [
    'SEGMENTOR_OUTPUTS', 'BaseAdaptation', 'GlobalFeatureAlignment', 'OutputSpaceAdaptation',
    'PatchAlignment', 'PatchClusterHead'
]
