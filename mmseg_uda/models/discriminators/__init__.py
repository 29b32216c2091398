from .conv_discriminator import ConvDiscriminator
from .fc_discriminator import FCDiscriminator
from .feature_discriminator import FeatureDiscriminator

__all__ = ['ConvDiscriminator', 'FCDiscriminator', 'FeatureDiscriminator']
