from .conv_discriminator import ConvDiscriminator
from .discriminator_dict import DiscriminatorDict
from .fc_discriminator import FCDiscriminator
from .feature_discriminator import FeatureDiscriminator

__all__ = ['ConvDiscriminator', 'DiscriminatorDict', 'FCDiscriminator', 'FeatureDiscriminator']
