from .vgg_dilated import DilatedVGG16, convert_vgg16_state_dict

__all__ = ['DilatedVGG16', 'convert_vgg16_state_dict']
