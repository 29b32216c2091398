from .deeplab_resnet import BN_MODES, DeepLabV2ResNet, convert_deeplabv2_state_dict
from .efficientnet_lite import EfficientNetLite, convert_efficientnet_lite_state_dict
from .vgg_dilated import DilatedVGG16, convert_vgg16_state_dict

__all__ = [
    'BN_MODES', 'DeepLabV2ResNet', 'DilatedVGG16', 'EfficientNetLite',
    'convert_deeplabv2_state_dict', 'convert_efficientnet_lite_state_dict',
    'convert_vgg16_state_dict'
]
