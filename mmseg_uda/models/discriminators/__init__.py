from .conv_discriminator import ConvDiscriminator

__all__ = ['ConvDiscriminator']
