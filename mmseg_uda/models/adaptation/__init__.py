from .base_adaptation import SEGMENTOR_OUTPUTS, BaseAdaptation
from .output_space import OutputSpaceAdaptation

__all__ = ['SEGMENTOR_OUTPUTS', 'BaseAdaptation', 'OutputSpaceAdaptation']
