"""The ResNet of DeepLab-v2 as AdaptSegNet trains it: MMSeg's ResNet with its stem pooling and
BatchNorm modes."""
from typing import Dict, List, Mapping, Tuple

import torch
import torch.nn as nn

from mmseg.models.backbones import ResNet
from mmseg.registry import MODELS
from mmseg.utils import ConfigType

#: BatchNorm modes of :class:`DeepLabV2ResNet`.
BN_MODES = ('frozen_affine', 'frozen')


@MODELS.register_module()
class DeepLabV2ResNet(ResNet):
    """MMSeg's ResNet with DeepLab-v2's stem max-pooling and a named BatchNorm mode.

    Chen et al., "DeepLab: Semantic Image Segmentation with Deep Convolutional Nets, Atrous
    Convolution, and Fully Connected CRFs", TPAMI 2018, as ported to PyTorch and trained by
    AdaptSegNet (Tsai et al., CVPR 2018; ``model/deeplab_multi.py``) and by Tsai et al., ICCV
    2019, which follows its framework. With ``style='caffe'`` (stride on the first 1x1 conv of a
    block, 7x7 stem), ``strides=(1, 2, 1, 1)``, ``dilations=(1, 1, 2, 4)`` and
    ``contract_dilation=False`` it is the reference network layer for layer, so the DeepLab-v2
    initialisation converted by ``tools/model_converters/deeplabv2_to_mmseg.py`` loads into it.

    BatchNorm (``bn_mode``):

    - ``'frozen_affine'``: the affine parameters are frozen (``requires_grad=False``) but the
      layers run in training mode when the model does: every training forward normalises with
      its own batch's statistics (one image in the paper setting) and updates the running
      statistics, which evaluation uses. This is what AdaptSegNet's training script does: its BN
      parameters have ``requires_grad=False`` and it calls ``model.train()`` without ever
      putting BatchNorm in eval mode (its ``--is-training`` flag is never read), so the source
      and the target forwards both update the running statistics.
    - ``'frozen'``: affine parameters and statistics frozen (BatchNorm always in eval mode,
      MMSeg's ``norm_eval=True``), as the original Caffe DeepLab-v2 training does; no forward
      changes any statistic.

    Args:
        bn_mode (str): ``'frozen_affine'`` or ``'frozen'``, see above.
        stem_pool_ceil_mode (bool): ``ceil_mode`` of the stem's 3x3 / stride-2 max-pooling; True
            in DeepLab-v2 (a 1280x720 input gives 161x91 output-stride-8 maps, 160x90 without).
        norm_cfg (dict): Normalisation layer config; ``requires_grad`` is set by ``bn_mode``.
        **kwargs: Further :class:`mmseg.models.backbones.ResNet` arguments, except
            ``norm_eval``, which ``bn_mode`` sets.

    Raises:
        ValueError: on an unknown ``bn_mode``, on ``norm_eval`` given, or on a ``norm_cfg``
            asking for trainable affine parameters.
    """

    def __init__(self, bn_mode: str = 'frozen_affine', stem_pool_ceil_mode: bool = True,
                 norm_cfg: ConfigType = dict(type='BN'), **kwargs) -> None:
        if bn_mode not in BN_MODES:
            raise ValueError(f'DeepLabV2ResNet bn_mode must be one of {BN_MODES}, got '
                             f'{bn_mode!r}')
        if 'norm_eval' in kwargs:
            raise ValueError(f'DeepLabV2ResNet sets norm_eval from bn_mode={bn_mode!r}; got '
                             f'norm_eval={kwargs["norm_eval"]!r} as well')
        if norm_cfg.get('requires_grad', False):
            raise ValueError('DeepLabV2ResNet freezes the BatchNorm affine parameters in every '
                             f'bn_mode; got norm_cfg={dict(norm_cfg)!r}')
        super().__init__(norm_cfg=dict(norm_cfg, requires_grad=False),
                         norm_eval=bn_mode == 'frozen', **kwargs)
        self.bn_mode = bn_mode
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1,
                                    ceil_mode=stem_pool_ceil_mode)


#: Prefixes stripped from the keys of a DeepLab-v2 state dict: ``Scale.`` (the module name of
#: the multi-scale DeepLab wrapper the ImageNet+COCO initialisation was saved from) and
#: ``module.`` (DataParallel).
DEEPLABV2_PREFIXES = ('Scale.', 'module.')
#: Classifier modules of DeepLab-v2 / AdaptSegNet's ``ResNetMulti`` (ASPP on stage 4 in the
#: initialisation file; ``layer5`` on stage 3 and ``layer6`` on stage 4 in AdaptSegNet's own
#: snapshots), dropped by the conversion.
DEEPLABV2_CLASSIFIERS = ('layer5.', 'layer6.')


def resnet_state_dict_keys(depth: int) -> List[str]:
    """The state-dict keys of an MMSeg / torchvision bottleneck ResNet of ``depth`` without
    ``num_batches_tracked`` (7x7 stem, ``downsample.0/1`` on the first block of every stage).

    Raises:
        ValueError: for a depth MMSeg's ResNet does not build with bottleneck blocks.
    """
    if depth not in (50, 101, 152):
        raise ValueError(f'DeepLab-v2 ResNets are bottleneck ResNets (depth 50, 101 or 152), '
                         f'got depth={depth}')
    bn = ('weight', 'bias', 'running_mean', 'running_var')
    keys = ['conv1.weight'] + [f'bn1.{p}' for p in bn]
    for stage, blocks in enumerate(ResNet.arch_settings[depth][1], start=1):
        for block in range(blocks):
            prefix = f'layer{stage}.{block}.'
            for i in (1, 2, 3):
                keys += [f'{prefix}conv{i}.weight'] + [f'{prefix}bn{i}.{p}' for p in bn]
            if block == 0:
                keys += [f'{prefix}downsample.0.weight'] + [f'{prefix}downsample.1.{p}'
                                                            for p in bn]
    return keys


def convert_deeplabv2_state_dict(
        state_dict: Mapping[str, torch.Tensor],
        depth: int = 101) -> Tuple[Dict[str, torch.Tensor], List[str], List[str]]:
    """Map a DeepLab-v2 ResNet state dict onto :class:`DeepLabV2ResNet`'s keys.

    The source is AdaptSegNet's initialisation ``DeepLab_resnet_pretrained_init-f81d91e8.pth``
    (DeepLab-v2's ImageNet + MS-COCO ResNet-101, converted from Caffe to PyTorch) or one of
    AdaptSegNet's own snapshots. AdaptSegNet's ``train_gta2cityscapes_multi.py`` strips the first
    component of every key (``Scale.layer5.conv2d_list.3.weight`` is its example) and loads the
    rest with a strict ``load_state_dict`` into ``ResNetMulti`` (``model/deeplab_multi.py``), so
    the keys are ``Scale.`` + ``conv1``, ``bn1``, ``layer1``..``layer4`` with ``conv1..3``,
    ``bn1..3`` and ``downsample.0`` / ``downsample.1``, + the classifier ``layer5``: the names
    of MMSeg's ResNet once the prefix is stripped. ``num_batches_tracked`` entries are kept when
    present; BatchNorm fills them in otherwise.

    Args:
        state_dict (Mapping[str, Tensor]): The source weights.
        depth (int): ResNet depth (101 in the papers).

    Returns:
        tuple: ``(weights, dropped, unmatched)``: the backbone's weights (keys without prefix),
        the dropped classifier keys, and every other source key that matched no backbone key.

    Raises:
        ValueError: naming the backbone keys the source lacks.
    """
    expected = resnet_state_dict_keys(depth)
    names = set(expected)
    weights: Dict[str, torch.Tensor] = {}
    dropped, unmatched = [], []
    for key, value in state_dict.items():
        name = key
        for prefix in DEEPLABV2_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix):]
        if name.startswith(DEEPLABV2_CLASSIFIERS):
            dropped.append(key)
        elif name in names or (name.endswith('.num_batches_tracked')
                               and name.replace('num_batches_tracked', 'weight') in names):
            weights[name] = value.detach().clone()
        else:
            unmatched.append(key)
    missing = [k for k in expected if k not in weights]
    if missing:
        raise ValueError(f'the DeepLab-v2 ResNet-{depth} state dict lacks {len(missing)} '
                         f'backbone keys, e.g. {missing[:5]} (source keys not matched: '
                         f'{unmatched[:5]})')
    return weights, dropped, unmatched
