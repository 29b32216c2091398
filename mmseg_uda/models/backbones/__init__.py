from .deeplab_resnet import BN_MODES, DeepLabV2ResNet, convert_deeplabv2_state_dict
from .vgg_dilated import DilatedVGG16, convert_vgg16_state_dict

__all__ = [
    'BN_MODES', 'DeepLabV2ResNet', 'DilatedVGG16', 'convert_deeplabv2_state_dict',
    'convert_vgg16_state_dict'
]
